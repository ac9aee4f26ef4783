"""The projects API follows the same scope and services as the pages."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from django.utils import timezone

from taizhang.core.models import AuditEvent
from taizhang.organizations.policy import unknown_message
from taizhang.projects.models import Project, Stage
from taizhang.projects.tests.factories import make_leader_user, make_person, make_project
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/projects"


@pytest.fixture
def project_a(tree):
    return make_project(tree.street_a, "临溪项目")


@pytest.fixture
def project_b(tree):
    return make_project(tree.street_b, "望澜项目")


def test_list_is_scoped(client, personas, project_a, project_b):
    """A's clerk lists only A's projects; the district clerk lists both."""
    response = client.get(URL, **bearer(client, personas.street_a))
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["临溪项目"]
    response = client.get(URL, **bearer(client, personas.district))
    assert response.json()["count"] == 2


def test_detail_out_of_scope_is_404(client, personas, project_a):
    """B's clerk gets 404 for A's project and for a missing one."""
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/{project_a.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/999999", **headers).status_code == 404


def test_detail_shows_money_as_integer_yuan(client, personas, project_a):
    """Money leaves the API as exact integer yuan."""
    body = client.get(f"{URL}/{project_a.pk}", **bearer(client, personas.street_a)).json()
    assert body["total_investment"] == 1_377_000_000
    assert body["stage"] == Stage.PLANNING


def test_nobody_is_forbidden(client, personas):
    """A user without projects.view gets 403."""
    assert client.get(URL, **bearer(client, personas.nobody)).status_code == 403


def test_create_in_scope(client, personas, tree):
    """A's clerk creates a project on A; it is audited."""
    response = client.post(
        URL,
        data={
            "name": "临溪新项目",
            "category": "industry",
            "org_id": tree.street_a.pk,
            "lead_unit_id": tree.street_a.pk,
            "total_investment": 340_000_000,
        },
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 201, response.content
    assert response.json()["total_investment"] == 340_000_000
    assert AuditEvent.objects.filter(action="project.create").exists()


def test_hidden_and_missing_org_ids_get_the_same_422(client, personas, tree):
    """Naming B's organization answers exactly as naming an id that does not exist: one
    422 with one message, so ids cannot be probed. Nothing is written."""
    headers = bearer(client, personas.street_a)
    answers = []
    for org_id in (tree.street_b.pk, 999_999):
        response = client.post(
            URL,
            data={
                "name": "越权项目",
                "category": "industry",
                "org_id": org_id,
                "lead_unit_id": tree.street_a.pk,
            },
            content_type="application/json",
            **headers,
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == (
        422,
        {"error": {"code": "invalid", "message": ANY, "fields": {"org_id": [unknown_message()]}}},
    )
    assert answers[1] == answers[0]
    assert not Project.objects.filter(name="越权项目").exists()


def test_hidden_and_missing_person_ids_get_the_same_422(client, personas, tree):
    """A responsible person outside the caller's person scope is as unknown as a missing
    id; a linked leader must be a leader candidate (any clerk may pick one)."""
    hidden = make_person(tree.community_b, "望澜负责人")  # a director, but not a leader
    leader = make_leader_user(tree).person
    headers = bearer(client, personas.street_a)
    body = {
        "name": "临溪挂钩项目",
        "category": "industry",
        "org_id": tree.street_a.pk,
        "lead_unit_id": tree.district.pk,
    }
    answers = []
    for person_id in (hidden.pk, 999_999):
        response = client.post(
            URL,
            data={**body, "responsible_id": person_id},
            content_type="application/json",
            **headers,
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == (
        422,
        {
            "error": {
                "code": "invalid",
                "message": ANY,
                "fields": {"responsible_id": [unknown_message()]},
            }
        },
    )
    assert answers[1] == answers[0]
    response = client.post(
        URL,
        data={**body, "linked_leader_id": hidden.pk},
        content_type="application/json",
        **headers,
    )
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": ANY,
            "fields": {"linked_leader_id": [unknown_message()]},
        }
    }
    # The district leader is outside A's person scope, yet may be linked; any unit of
    # the district may lead it.
    response = client.post(
        URL,
        data={**body, "linked_leader_id": leader.pk},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    assert response.json()["linked_leader_id"] == leader.pk
    assert response.json()["lead_unit_id"] == tree.district.pk


def test_invalid_body_is_422(client, personas, tree):
    """Negative money or an unknown category is a 422."""
    response = client.post(
        URL,
        data={
            "name": "x",
            "category": "casino",
            "org_id": tree.street_a.pk,
            "lead_unit_id": tree.street_a.pk,
            "total_investment": -5,
        },
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 422


def test_stage_move_back_without_reason_is_422(client, personas, tree):
    """Going back without a reason is a 422 with the message; forward works."""
    project = make_project(tree.street_a, stage=Stage.STARTED)
    headers = bearer(client, personas.street_a)
    url = f"{URL}/{project.pk}/stage"
    response = client.post(
        url, data={"to_stage": Stage.LAND}, content_type="application/json", **headers
    )
    assert response.status_code == 422
    response = client.post(
        url, data={"to_stage": Stage.CONSTRUCTION}, content_type="application/json", **headers
    )
    assert response.status_code == 200
    assert response.json()["stage"] == Stage.CONSTRUCTION


def test_stage_move_on_other_street_is_404(client, personas, project_a):
    """B's clerk cannot even find A's project to move it."""
    response = client.post(
        f"{URL}/{project_a.pk}/stage",
        data={"to_stage": Stage.PRELIMINARY},
        content_type="application/json",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 404


def test_progress_and_patch(client, personas, project_a):
    """Progress adds completed investment; a patch changes only the fields sent."""
    headers = bearer(client, personas.street_a)
    response = client.post(
        f"{URL}/{project_a.pk}/progress",
        data={
            "reported_on": timezone.localdate().isoformat(),
            "text": "完成可研批复",
            "completed_investment": 9_700_000,
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    response = client.patch(
        f"{URL}/{project_a.pk}",
        data={"location": "临溪片区"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    assert response.json()["location"] == "临溪片区"
    assert response.json()["completed_investment"] == 9_700_000


def test_leader_cannot_write(client, tree, project_a):
    """The linked leader role reads but cannot create: 403."""
    leader = make_leader_user(tree)
    headers = bearer(client, leader)
    assert client.get(f"{URL}/{project_a.pk}", **headers).status_code == 200
    response = client.patch(
        f"{URL}/{project_a.pk}", data={"location": "x"}, content_type="application/json", **headers
    )
    assert response.status_code == 403


def test_mine(client, tree, project_a):
    """/mine lists the projects linked to the caller's person."""
    leader = make_leader_user(tree)
    make_project(tree.street_b, "挂钩项目", linked_leader=leader.person)
    body = client.get(f"{URL}/mine", **bearer(client, leader)).json()
    assert [item["name"] for item in body] == ["挂钩项目"]


def test_a_past_stage_move_needs_a_late_reason_through_the_api(client, personas, tree):
    """A move dated before the project was listed is refused, unless it is a 补录."""
    import datetime as dt

    from taizhang.projects.models import StageChange

    project = make_project(tree.street_a)
    headers = bearer(client, personas.street_a)
    url = f"{URL}/{project.pk}/stage"
    past = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
    body = {"to_stage": Stage.LAND, "on": past}
    response = client.post(url, data=body, content_type="application/json", **headers)
    assert response.status_code == 422
    body["late_reason"] = "去年的台账补录"
    response = client.post(url, data=body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    change = StageChange.objects.filter(project=project, to_stage=Stage.LAND).get()
    assert (change.changed_on.isoformat(), change.late_reason) == (past, "去年的台账补录")
    event = AuditEvent.objects.filter(action="project.stage_move").latest("pk")
    assert event.changes["late_entry"]["reason"] == "去年的台账补录"


def test_amounts_beyond_any_project_are_refused_and_lists_stay_up(client, personas, tree):
    """Issue 19: two totals of 9×10^18 entered by a street clerk made the district's
    list answer 500. An amount above 100万亿元 is now a 422 through the API and a
    validation error through the service; the list keeps working."""
    from django.core.exceptions import ValidationError

    from taizhang.core.formatting import MAX_YUAN
    from taizhang.projects.services import project_update

    headers = bearer(client, personas.street_a)
    payload = {
        "name": "天文项目",
        "category": "industry",
        "org_id": tree.street_a.pk,
        "lead_unit_id": tree.street_a.pk,
        "total_investment": 9 * 10**18,
    }
    response = client.post(URL, data=payload, content_type="application/json", **headers)
    assert response.status_code == 422
    assert not Project.objects.filter(name="天文项目").exists()
    project = make_project(tree.street_a, "临溪项目")
    with pytest.raises(ValidationError):
        project_update(
            project=project, total_investment=MAX_YUAN + 1, acting_user=personas.street_a
        )
    for year in (0, 99999):
        patch = client.patch(
            f"{URL}/{project.pk}",
            data={"plan_year": year},
            content_type="application/json",
            **headers,
        )
        assert patch.status_code == 422, year
    assert client.get(URL, **bearer(client, personas.district)).status_code == 200
