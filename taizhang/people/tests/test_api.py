"""The people API: scoped, masked, and no body field widens the scope."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.core.testing import bearer
from taizhang.people.models import Person
from taizhang.people.tests.factories import make_person

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
    """Creating a person in B's organization is a 404 whatever else the body says."""
    body = {"organization_id": tree.community_b.pk, "name": "赵六", "gender": "F", **extra}
    response = client.post(
        "/api/v1/people",
        body,
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 404
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
