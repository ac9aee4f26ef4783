"""Grouping endpoints: scoped reads (one 404), writes by the manager only (403 / 422),
members with dates, every write audited."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.services import grouping_create
from tests.support import bearer, make_user

pytestmark = pytest.mark.django_db

SUB = ScopeKind.SUBTREE


def test_manager_creates_and_keeps_members(client, tree):
    admin = make_user("sys_a", ("system_admin", SUB, tree.street_a))
    auth = bearer(client, admin)
    response = client.post(
        "/api/v1/organizations/groupings",
        {"name": "联创协作组", "kind": "联创", "owner_id": tree.street_a.pk},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    gid = response.json()["id"]
    response = client.post(
        f"/api/v1/organizations/groupings/{gid}/members",
        {"organization_id": tree.community_a.pk, "joined_on": "2030-01-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    mid = response.json()["id"]
    response = client.post(
        f"/api/v1/organizations/groupings/{gid}/members/{mid}/end",
        {"left_on": "2030-02-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200 and response.json()["left_on"] == "2030-02-01"
    members = client.get(f"/api/v1/organizations/groupings/{gid}/members", **auth).json()
    assert [m["organization_id"] for m in members] == [tree.community_a.pk]
    assert AuditEvent.objects.filter(action__startswith="grouping.").count() == 3


def test_outside_ids_are_one_422_and_hidden_groupings_one_404(client, tree):
    admin = make_user("sys_a", ("system_admin", SUB, tree.street_a))
    auth = bearer(client, admin)
    for owner in (tree.street_b.pk, 999999):
        response = client.post(
            "/api/v1/organizations/groupings",
            {"name": "x", "owner_id": owner},
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 422
    hidden = grouping_create(
        name="B组", kind="", owner=tree.street_b, members=[], acting_user=SYSTEM
    )
    assert client.get(f"/api/v1/organizations/groupings/{hidden.pk}", **auth).status_code == 404
    assert client.get("/api/v1/organizations/groupings", **auth).json()["count"] == 0
    mine = grouping_create(name="A组", kind="", owner=tree.street_a, members=[], acting_user=SYSTEM)
    response = client.post(
        f"/api/v1/organizations/groupings/{mine.pk}/members",
        {"organization_id": tree.community_b.pk, "joined_on": "2030-01-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422


def test_clerk_reads_but_cannot_write(client, tree, personas):
    auth = bearer(client, personas.district)
    grouping = grouping_create(
        name="g", kind="", owner=tree.district, members=[], acting_user=SYSTEM
    )
    assert client.get(f"/api/v1/organizations/groupings/{grouping.pk}", **auth).status_code == 200
    response = client.post(
        f"/api/v1/organizations/groupings/{grouping.pk}/members",
        {"organization_id": tree.community_a.pk, "joined_on": "2030-01-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 403
