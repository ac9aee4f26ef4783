"""The activities API: scoped, 404/403/422 where they belong."""

from __future__ import annotations

import pytest

from taizhang.activities.models import Activity
from taizhang.activities.tests.factories import make_activity, make_campaign, make_person
from taizhang.core.actors import SYSTEM
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/activities"


def _body(org_id, **extra):
    return {
        "org_id": org_id,
        "kind_code": "group_study",
        "title": "集中学习",
        "held_on": "2026-05-20",
        **extra,
    }


def test_list_scoped(client, tree, personas):
    make_activity(tree.community_a, headcount=5, title="A的")
    make_activity(tree.community_b, headcount=5, title="B的")
    items = client.get(URL, **bearer(client, personas.street_b)).json()["items"]
    assert [a["title"] for a in items] == ["B的"]


def test_detail_404_out_of_scope(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=5)
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/{activity.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/999999", **headers).status_code == 404


def test_create_with_attendees_and_out_of_scope_refused(client, tree, personas):
    """A creates in her community (201); B's org or B's person in the body is a 422."""
    member = make_person(tree.community_a)
    outsider = make_person(tree.community_b, "外人")
    headers = bearer(client, personas.street_a)
    ok = client.post(
        URL,
        _body(tree.community_a.pk, attendance_mode="list", attendee_ids=[member.pk]),
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["participants"] == 1 and ok.json()["attendee_ids"] == [member.pk]
    refused = client.post(
        URL, _body(tree.community_b.pk), content_type="application/json", **headers
    )
    assert refused.status_code == 422
    refused = client.post(
        URL,
        _body(tree.community_a.pk, attendance_mode="list", attendee_ids=[outsider.pk]),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422
    assert Activity.objects.count() == 1


def test_attendance_endpoint(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=5)
    response = client.post(
        f"{URL}/{activity.pk}/attendance",
        {"attendance_mode": "headcount", "headcount": 80},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 200 and response.json()["participants"] == 80
    response = client.post(
        f"{URL}/{activity.pk}/attendance",
        {"attendance_mode": "headcount", "headcount": 1},
        content_type="application/json",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 404


def test_viewer_without_manage_gets_403(client, tree, personas):
    """The auditor holds no activities function: 403 on every operation."""
    headers = bearer(client, personas.auditor)
    assert client.get(URL, **headers).status_code == 403
    assert (
        client.post(
            URL, _body(tree.community_a.pk), content_type="application/json", **headers
        ).status_code
        == 403
    )


def test_coverage_and_campaign(client, tree, personas):
    member = make_person(tree.community_a)
    make_activity(tree.community_a, attendees=[member])
    make_activity(tree.community_a, headcount=500)
    headers = bearer(client, personas.district)
    response = client.get(
        f"{URL}/coverage?org_id={tree.district.pk}&start=2026-01-01&end=2026-12-31", **headers
    )
    assert response.json()["members_reached"] == 1
    response = client.get(
        f"{URL}/coverage?org_id={tree.street_a.pk}&start=2026-01-01&end=2026-12-31",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 404
    campaign = make_campaign(tree.district, target=10)
    body = client.get(f"{URL}/campaigns/{campaign.pk}", **headers).json()
    assert body["total"] == {"label": "百场宣讲进万家", "done": 0, "target": 10}
    assert (
        client.get(
            f"{URL}/campaigns/{campaign.pk}", **bearer(client, personas.street_a)
        ).status_code
        == 404
    )


def test_volunteer_service_api(client, tree, personas):
    member = make_person(tree.community_a)
    headers = bearer(client, personas.street_a)
    body = {
        "org_id": tree.community_a.pk,
        "person_id": member.pk,
        "served_on": "2026-05-01",
        "hours": "2",
        "content": "清洁",
    }
    assert (
        client.post(
            f"{URL}/volunteer-services", body, content_type="application/json", **headers
        ).status_code
        == 201
    )
    body["org_id"] = tree.community_b.pk
    assert (
        client.post(
            f"{URL}/volunteer-services", body, content_type="application/json", **headers
        ).status_code
        == 422
    )
    assert (
        client.get(f"{URL}/volunteer-services", **bearer(client, personas.street_b)).json()["count"]
        == 0
    )


def test_patch_corrects_and_refuses(client, tree, personas):
    """A corrects her activity; B gets 404; a viewer without manage gets 403."""
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    activity = make_activity(tree.community_a, headcount=5)
    url = f"{URL}/{activity.pk}"
    response = client.patch(
        url,
        {"title": "新题目", "venue_category_code": "online"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "新题目" and response.json()["venue_category"] == "online"
    assert (
        client.patch(
            url,
            {"title": "x"},
            content_type="application/json",
            **bearer(client, personas.street_b),
        ).status_code
        == 404
    )
    leader = make_user("lead", ("leader", ScopeKind.SUBTREE, tree.district))
    headers = bearer(client, leader)
    assert client.get(url, **headers).status_code == 200
    assert (
        client.patch(url, {"title": "x"}, content_type="application/json", **headers).status_code
        == 403
    )
    response = client.patch(
        url,
        {"kind_code": "nope"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 422


def test_campaign_and_team_through_the_api(client, tree, personas):
    """The district launches a campaign and forms a team; B's org for A's team is a 422,
    and street_a cannot form teams of the district's campaign (404: she cannot see it)."""
    member = make_person(tree.street_a, "宣讲员")
    headers = bearer(client, personas.district)
    response = client.post(
        f"{URL}/campaigns",
        {
            "org_id": tree.district.pk,
            "title": "百场宣讲",
            "target_count": 100,
            "start_date": "2026-03-01",
            "end_date": "2026-12-31",
            "kind_code": "outreach_talk",
            "venue_category_codes": ["enterprise", "online"],
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    campaign_id = response.json()["id"]
    team_url = f"{URL}/campaigns/{campaign_id}/teams"
    body = {"name": "一队", "org_id": tree.street_a.pk, "quota": 12, "leader_id": member.pk}
    response = client.post(team_url, body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    assert response.json()["member_ids"] == [member.pk]
    over = {"name": "二队", "org_id": tree.street_b.pk, "quota": 90}
    assert (
        client.post(team_url, over, content_type="application/json", **headers).status_code == 422
    )
    a_headers = bearer(client, personas.street_a)
    body = {"name": "三队", "org_id": tree.street_a.pk}
    assert (
        client.post(team_url, body, content_type="application/json", **a_headers).status_code == 404
    )
    response = client.post(
        f"{URL}/campaigns",
        {
            "org_id": tree.street_b.pk,
            "title": "越界",
            "target_count": 1,
            "start_date": "2026-03-01",
            "end_date": "2026-12-31",
        },
        content_type="application/json",
        **a_headers,
    )
    assert response.status_code == 422


def test_team_members_replaced(client, tree, personas):
    from taizhang.activities import services

    campaign = make_campaign(tree.district, target=10)
    team = services.campaign_team_create(
        campaign=campaign, name="一队", org=tree.street_a, acting_user=SYSTEM
    )
    one, two = make_person(tree.street_a, "甲"), make_person(tree.street_a, "乙")
    url = f"{URL}/campaigns/{campaign.pk}/teams/{team.pk}/members"
    headers = bearer(client, personas.district)
    response = client.put(
        url, {"member_ids": [one.pk, two.pk]}, content_type="application/json", **headers
    )
    assert response.status_code == 200 and response.json()["member_ids"] == sorted([one.pk, two.pk])
    missing = f"{URL}/campaigns/{campaign.pk}/teams/999999/members"
    assert (
        client.put(
            missing, {"member_ids": []}, content_type="application/json", **headers
        ).status_code
        == 404
    )


def test_missing_and_hidden_ids_get_the_same_422(client, tree, personas):
    """Every id in a body: a hidden one and a missing one answer alike (422, one message),
    so a caller cannot learn which ids exist outside her scope."""
    from taizhang.activities.tests.factories import make_team
    from taizhang.organizations.policy import unknown_message

    headers = bearer(client, personas.street_a)
    hidden_person = make_person(tree.community_b, "B的人").pk
    hidden_team = make_team(make_campaign(tree.community_b), tree.community_b).pk
    campaign = make_campaign(tree.street_a, title="A的宣讲")
    missing = 9_999_999
    cases = [
        (URL, lambda pk: _body(pk), "org_id", tree.community_b.pk),
        (URL, lambda pk: _body(tree.community_a.pk, co_org_ids=[pk]), "co_org_ids", None),
        (URL, lambda pk: _body(tree.community_a.pk, speaker_id=pk), "speaker_id", hidden_person),
        (
            URL,
            lambda pk: _body(tree.community_a.pk, attendance_mode="list", attendee_ids=[pk]),
            "attendee_ids",
            hidden_person,
        ),
        (URL, lambda pk: _body(tree.community_a.pk, team_id=pk), "team_id", hidden_team),
        (
            f"{URL}/campaigns",
            lambda pk: {
                "org_id": pk,
                "title": "宣讲",
                "target_count": 3,
                "start_date": "2026-03-01",
                "end_date": "2026-12-31",
            },
            "org_id",
            tree.community_b.pk,
        ),
        (
            f"{URL}/campaigns/{campaign.pk}/teams",
            lambda pk: {"name": "一队", "org_id": tree.community_a.pk, "leader_id": pk},
            "leader_id",
            hidden_person,
        ),
        (
            f"{URL}/volunteer-services",
            lambda pk: {
                "org_id": tree.community_a.pk,
                "person_id": pk,
                "served_on": "2026-05-20",
                "hours": "2",
                "content": "打扫",
            },
            "person_id",
            hidden_person,
        ),
    ]
    for url, body, field, hidden in cases:
        hidden = hidden if hidden is not None else tree.community_b.pk
        answers = []
        for pk in (hidden, missing):
            response = client.post(url, body(pk), content_type="application/json", **headers)
            assert response.status_code == 422, (url, field, pk, response.content)
            answers.append(response.json()["error"]["fields"])
        assert answers[0] == answers[1], (url, field)
        assert str(unknown_message()) in str(answers[0]), (url, field, answers[0])
    assert not Activity.objects.exists()
