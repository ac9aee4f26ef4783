"""The investment API follows the same scope and services as the pages."""

from __future__ import annotations

from unittest.mock import ANY

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import Lead, LeadStage
from taizhang.investment.services import competition_create, subsidy_create, team_create
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/investment"


def test_leads_are_scoped(client, personas, tree):
    """A's clerk lists A's leads only; B's clerk gets 404 on A's lead."""
    lead = make_lead(tree.street_a, "临溪储能")
    make_lead(tree.street_b, "望澜芯片")
    body = client.get(f"{URL}/leads", **bearer(client, personas.street_a)).json()
    assert [item["project_name"] for item in body["items"]] == ["临溪储能"]
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/leads/{lead.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/leads/999999", **headers).status_code == 404


def test_nobody_is_forbidden(client, personas):
    """Without investment.view the API answers 403."""
    assert client.get(f"{URL}/leads", **bearer(client, personas.nobody)).status_code == 403


CREATES = {
    "leads": {
        "enterprise": "越权公司",
        "project_name": "越权项目",
        "sector": "新能源",
        "source": "resident",
    },
    "events": {"kind": "promotion", "name": "越权推介会", "held_on": days_ago(1).isoformat()},
    "competitions": {
        "name": "越权竞赛",
        "starts_on": days_ago(1).isoformat(),
        "ends_on": days_ago(-10).isoformat(),
    },
    "subsidies": {
        "policy": "x",
        "enterprise": "越权企业",
        "amount": 1000,
        "paid_on": days_ago(1).isoformat(),
    },
}


@pytest.mark.parametrize("endpoint", sorted(CREATES))
def test_hidden_and_missing_org_ids_get_the_same_422(client, personas, tree, endpoint):
    """Naming B's organization (or the district above A) answers exactly as naming an id
    that does not exist: one 422 with one message, so ids cannot be probed. Nothing is
    written."""
    from taizhang.core.models import AuditEvent
    from taizhang.organizations.policy import unknown_message

    headers = bearer(client, personas.street_a)
    before = AuditEvent.objects.count()
    answers = []
    for org_id in (tree.street_b.pk, tree.district.pk, 999_999):
        response = client.post(
            f"{URL}/{endpoint}",
            data={"org_id": org_id, **CREATES[endpoint]},
            content_type="application/json",
            **headers,
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == (
        422,
        {"error": {"code": "invalid", "message": ANY, "fields": {"org_id": [unknown_message()]}}},
    )
    assert answers[1] == answers[0]
    assert answers[2] == answers[0]
    assert AuditEvent.objects.count() == before


def test_create_advance_and_convert(client, personas, tree):
    """Create, sign, land and convert a lead through the API."""
    headers = bearer(client, personas.street_a)
    response = client.post(
        f"{URL}/leads",
        data={
            "org_id": tree.street_a.pk,
            "enterprise": "临溪新能",
            "project_name": "储能项目",
            "sector": "新能源",
            "source": "referral",
            "amount": 500_000_000,
            "contacted_on": days_ago(30).isoformat(),
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    lead_id = response.json()["id"]
    for stage, extra in ((20, {}), (30, {"signed_amount": 420_000_000}), (40, {})):
        response = client.post(
            f"{URL}/leads/{lead_id}/advance",
            data={"to_stage": stage, "on": days_ago(40 - stage // 2).isoformat(), **extra},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.content
    assert response.json()["signed_amount"] == 420_000_000
    response = client.post(
        f"{URL}/leads/{lead_id}/convert",
        data={"category": "industry", "lead_unit_id": tree.street_a.pk},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    assert Lead.objects.get(pk=lead_id).project_id == response.json()["project_id"]


def test_invalid_moves_are_422(client, personas, tree):
    """Going back without a reason and an unknown stage are 422."""
    lead = make_lead(tree.street_a, stage=LeadStage.SIGNED)
    headers = bearer(client, personas.street_a)
    for body in ({"to_stage": 20}, {"to_stage": 77}):
        response = client.post(
            f"{URL}/leads/{lead.pk}/advance",
            data=body,
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 422


def test_scoreboard_and_subsidy_summary(client, personas, tree):
    """The scoreboard and the subsidy summary are computed and scoped."""
    competition = competition_create(
        org=tree.district,
        name="竞赛",
        starts_on=days_ago(100),
        ends_on=days_ago(-10),
        acting_user=SYSTEM,
    )
    team_create(competition=competition, name="驻深圳组", acting_user=SYSTEM)
    subsidy_create(
        org=tree.street_a,
        policy=subsidy_policy("技改补助"),
        enterprise="甲",
        amount=840_000_000,
        paid_on=days_ago(1),
        acting_user=SYSTEM,
    )
    headers = bearer(client, personas.district)
    board = client.get(f"{URL}/competitions/{competition.pk}/scoreboard", **headers).json()
    assert board["unranked"][0]["team"] == "驻深圳组"
    summary = client.get(f"{URL}/subsidies/summary", **headers).json()
    assert summary == {"amount": 840_000_000, "payments": 1, "enterprises": 1}
    b_summary = client.get(f"{URL}/subsidies/summary", **bearer(client, personas.street_b)).json()
    assert b_summary["payments"] == 0
    response = client.get(
        f"{URL}/competitions/{competition.pk}/scoreboard", **bearer(client, personas.street_a)
    )
    assert response.status_code == 404


def test_set_up_a_competition_and_a_team(client, personas, tree):
    """The district clerk sets up a competition with custom points and adds a team."""
    from taizhang.projects.tests.factories import make_person

    member = make_person(tree.district, "招商队员")
    headers = bearer(client, personas.district)
    response = client.post(
        f"{URL}/competitions",
        data={
            "org_id": tree.district.pk,
            "name": "驻点招商竞赛",
            "starts_on": days_ago(10).isoformat(),
            "ends_on": days_ago(-200).isoformat(),
            "min_cases": 4,
            "points_signed": 7,
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["min_cases"], body["points_signed"]) == (4, 7)
    response = client.post(
        f"{URL}/competitions/{body['id']}/teams",
        data={"name": "驻深圳招商组", "leader_id": member.pk, "member_ids": [member.pk]},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["member_ids"] == [member.pk]
    response = client.post(
        f"{URL}/competitions/{body['id']}/teams",
        data={"name": "越权组"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 404


def test_patch_lead(client, personas, tree):
    """A patch changes only the fields sent and is audited; B's clerk gets 404."""
    from taizhang.core.models import AuditEvent

    lead = make_lead(tree.street_a)
    response = client.patch(
        f"{URL}/leads/{lead.pk}",
        data={"amount": 1_200_000_000},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == 1_200_000_000
    assert AuditEvent.objects.latest("id").changes == {"amount": [970_000_000, 1_200_000_000]}
    response = client.patch(
        f"{URL}/leads/{lead.pk}",
        data={"amount": 1},
        content_type="application/json",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 404


def test_hidden_and_missing_ids_in_a_payload_get_the_same_422(client, personas, tree):
    """A team member, an event or a team of B named by A's clerk is as unknown as an id
    that does not exist: the same 422 and message."""
    from taizhang.investment.services import event_create
    from taizhang.organizations.policy import unknown_message
    from taizhang.projects.tests.factories import make_person

    headers = bearer(client, personas.street_a)
    hidden_person = make_person(tree.community_b, "望澜队员")
    hidden_event = event_create(
        org=tree.street_b, kind="fair", name="望澜投洽会", held_on=days_ago(3), acting_user=SYSTEM
    )
    other = competition_create(
        org=tree.street_b,
        name="望澜竞赛",
        starts_on=days_ago(10),
        ends_on=days_ago(-10),
        acting_user=SYSTEM,
    )
    hidden_team = team_create(competition=other, name="望澜组", acting_user=SYSTEM)
    own = competition_create(
        org=tree.street_a,
        name="临溪竞赛",
        starts_on=days_ago(10),
        ends_on=days_ago(-10),
        acting_user=SYSTEM,
    )
    lead = make_lead(tree.street_a, "临溪线索")
    cases = [
        (
            f"{URL}/competitions/{own.pk}/teams",
            "member_ids",
            lambda pk: {"name": "x", "member_ids": [pk]},
        ),
        (
            f"{URL}/competitions/{own.pk}/teams",
            "leader_id",
            lambda pk: {"name": "y", "leader_id": pk},
        ),
        (
            f"{URL}/leads/{lead.pk}/advance",
            "event_id",
            lambda pk: {"to_stage": LeadStage.SIGNED, "event_id": pk},
        ),
    ]
    for url, field, body in cases:
        hidden_id = {"event_id": hidden_event.pk}.get(field, hidden_person.pk)
        answers = [
            client.post(url, data=body(pk), content_type="application/json", **headers)
            for pk in (hidden_id, 999_999)
        ]
        expected = {
            "error": {"code": "invalid", "message": ANY, "fields": {field: [unknown_message()]}}
        }
        assert [(a.status_code, a.json()) for a in answers] == [(422, expected)] * 2, field
    answers = [
        client.patch(
            f"{URL}/leads/{lead.pk}",
            data={"team_id": pk},
            content_type="application/json",
            **headers,
        )
        for pk in (hidden_team.pk, 999_999)
    ]
    expected = {
        "error": {"code": "invalid", "message": ANY, "fields": {"team_id": [unknown_message()]}}
    }
    assert [(a.status_code, a.json()) for a in answers] == [(422, expected)] * 2
