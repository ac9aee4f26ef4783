"""The people API: scoped, masked, and no body field widens the scope."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.people.models import Person
from taizhang.people.tests.factories import make_person
from tests.support import bearer

pytestmark = pytest.mark.django_db


def test_list_is_scoped_and_masked(client, tree, personas):
    """street_a lists her person with a masked number and never B's."""
    make_person(tree.grid_a, "张三")
    make_person(tree.community_b, "李四")
    data = client.get("/api/v1/people", **bearer(client, personas.street_a)).json()
    assert [item["name"] for item in data["items"]] == ["张三"]
    assert data["items"][0]["mobile"] == "138****5678"
    assert data["count"] == 1


def test_detail_404_outside_scope(client, tree, personas):
    """B's person and a missing id give the same 404."""
    other = make_person(tree.community_b, "李四")
    headers = bearer(client, personas.street_a)
    assert client.get(f"/api/v1/people/{other.pk}", **headers).status_code == 404
    assert client.get("/api/v1/people/999999", **headers).status_code == 404


def test_create_in_scope(client, tree, personas):
    """A clerk records a person in her subtree; the write is audited."""
    response = client.post(
        "/api/v1/people",
        {"organization_id": tree.grid_a.pk, "name": "王五", "gender": "M", "mobile": "13700001111"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 201
    assert response.json()["mobile"] == "137****1111"
    assert AuditEvent.objects.filter(action="person.create", actor=personas.street_a).exists()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"scope": "all"},
        {"organization": "B"},
        {"path": ""},
        {"acting_user": "district"},
    ],
)
def test_body_cannot_widen_scope(client, tree, personas, extra):
    """Creating a person in B's organization is a 422 whatever else the body says."""
    body = {"organization_id": tree.community_b.pk, "name": "赵六", "gender": "F", **extra}
    response = client.post(
        "/api/v1/people",
        body,
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 422
    assert not Person.objects.filter(name="赵六").exists()


def test_invalid_body_is_422(client, tree, personas):
    """An unknown gender is refused with 422 and nothing is written."""
    response = client.post(
        "/api/v1/people",
        {"organization_id": tree.grid_a.pk, "name": "钱七", "gender": "X"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 422
    assert not Person.objects.filter(name="钱七").exists()


def test_hidden_and_missing_organization_ids_are_one_422(client, tree, personas):
    """Creating in B's organization, in an organization street_a only views, or in one
    that does not exist: the same 422 with the same message; listing too."""
    headers = bearer(client, personas.street_a)
    answers = [
        client.post(
            "/api/v1/people",
            {"organization_id": org_id, "name": "赵六", "gender": "F"},
            content_type="application/json",
            **headers,
        )
        for org_id in (tree.community_b.pk, 999_999)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()
    assert "organization_id" in answers[0].json()["error"]["fields"]
    listed = [
        client.get(f"/api/v1/people?organization_id={org_id}", **headers)
        for org_id in (tree.community_b.pk, 999_999)
    ]
    assert [a.status_code for a in listed] == [422, 422]
    assert listed[0].json() == listed[1].json() == answers[0].json()


def test_external_person_through_the_api(client, tree, personas):
    """An external person is recorded and shown with her unit, masked as anyone."""
    headers = bearer(client, personas.street_a)
    response = client.post(
        "/api/v1/people",
        {
            "organization_id": tree.community_a.pk,
            "name": "外聘专家",
            "gender": "F",
            "mobile": "13600001234",
            "is_external": True,
            "affiliation": "省农科院",
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["is_external"] is True and body["affiliation"] == "省农科院"
    assert body["mobile"] == "136****1234"
    listed = client.get("/api/v1/people?external=true", **headers).json()
    assert [item["name"] for item in listed["items"]] == ["外聘专家"]


# --- positions and transfers ----------------------------------------------------------


def test_positions_api_appoint_list_end(client, tree, personas):
    """street_a appoints, lists and ends through the API; each write is audited; values
    come back as stored."""
    person = make_person(tree.community_a)
    headers = bearer(client, personas.street_a)
    response = client.post(
        f"/api/v1/people/{person.pk}/positions",
        {
            "organization_id": tree.community_a.pk,
            "title": "secretary",
            "start_date": "2024-01-01",
            "document_number": "A委〔2024〕3号",
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    position_id = response.json()["id"]
    listed = client.get(f"/api/v1/people/{person.pk}/positions", **headers).json()
    assert [row["document_number"] for row in listed] == ["A委〔2024〕3号"]
    response = client.post(
        f"/api/v1/people/{person.pk}/positions/{position_id}/end",
        {"end_date": "2024-12-31", "reason": "换届"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    assert response.json()["end_date"] == "2024-12-31"
    assert AuditEvent.objects.filter(action="position.assign", actor=personas.street_a).exists()
    assert AuditEvent.objects.filter(action="position.end", actor=personas.street_a).exists()


def test_positions_api_same_422_for_missing_and_hidden_org(client, tree, personas):
    """An organization in B and one that does not exist give the same 422; B's person
    is a 404; nothing is written."""
    person = make_person(tree.community_a)
    headers = bearer(client, personas.street_a)
    answers = []
    for org_id in (tree.community_b.pk, 999999):
        response = client.post(
            f"/api/v1/people/{person.pk}/positions",
            {"organization_id": org_id, "title": "secretary", "start_date": "2024-01-01"},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 422
        answers.append(response.json())
    assert answers[0] == answers[1]
    other = make_person(tree.community_b, "李四")
    assert client.get(f"/api/v1/people/{other.pk}/positions", **headers).status_code == 404
    assert not person.positions.exists()


def test_positions_api_refused_without_manage(client, tree, personas):
    """A leader of A, who keeps no register, gets 403 on appointing."""
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    leader = make_user("leader_a", ("leader", ScopeKind.SUBTREE, tree.street_a))
    person = make_person(tree.community_a)
    response = client.post(
        f"/api/v1/people/{person.pk}/positions",
        {"organization_id": tree.community_a.pk, "title": "secretary", "start_date": "2024-01-01"},
        content_type="application/json",
        **bearer(client, leader),
    )
    assert response.status_code == 403


def test_transfer_api_and_list_filters(client, tree, personas):
    """street_a transfers a person to A (audited); a transfer to B is the 422; the list
    filters by subtree (``within_id``) and by the external flag."""
    person = make_person(tree.grid_a, "张三")
    make_person(tree.street_a, "外聘专家", is_external=True, affiliation="某大学")
    headers = bearer(client, personas.street_a)
    response = client.post(
        f"/api/v1/people/{person.pk}/transfer",
        {"organization_id": tree.community_b.pk, "transferred_on": "2025-03-01"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/people/{person.pk}/transfer",
        {"organization_id": tree.community_a.pk, "transferred_on": "2025-03-01"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    assert response.json()["organization_id"] == tree.community_a.pk
    assert AuditEvent.objects.filter(action="person.transfer").count() == 1
    names = lambda query: [  # noqa: E731
        row["name"] for row in client.get(f"/api/v1/people?{query}", **headers).json()["items"]
    ]
    assert names(f"within_id={tree.community_a.pk}") == ["张三"]
    assert names("external=true") == ["外聘专家"]
    assert client.get(f"/api/v1/people?within_id={tree.street_b.pk}", **headers).status_code == 422
