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
    assert "organization_id" in answers[0].json()["detail"]
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
