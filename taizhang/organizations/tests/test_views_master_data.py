"""The system administrator's pages: create, close, merge, reorder, the picker, tree
search and groupings. Scope enforced (inside/outside a partial part), clerks get 403."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import Grouping, GroupingMembership, Organization, OrgKind
from taizhang.organizations.services import grouping_create, organization_close
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db

SUB = ScopeKind.SUBTREE


@pytest.fixture
def admin_a(tree):
    return make_user("sys_a", ("system_admin", SUB, tree.street_a))


def _child(code: str, kind: str = OrgKind.COMMUNITY) -> dict[str, str]:
    return {
        "child-kind": kind,
        "child-code": code,
        "child-name": f"{code} 社区党委",
        "child-short_name": code,
        "child-valid_from": "2030-01-01",
    }


def test_partial_admin_creates_inside_her_part_only(client, tree, admin_a):
    """Under A1: created and audited. Under B1: the 404 of a node she cannot see."""
    client.force_login(admin_a)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert f"/organizations/{tree.community_a.pk}/create-child/" in page
    response = client.post(f"/organizations/{tree.community_a.pk}/create-child/", _child("NEW1"))
    created = Organization.objects.get(code="NEW1")
    assert response.status_code == 302 and f"org={created.pk}" in response["Location"]
    assert created.parent_id == tree.community_a.pk
    assert AuditEvent.objects.filter(action="organization.create", actor_id=admin_a.pk).exists()
    response = client.post(f"/organizations/{tree.community_b.pk}/create-child/", _child("NEW2"))
    assert response.status_code == 404
    assert not Organization.objects.filter(code="NEW2").exists()


def test_create_child_offers_only_allowed_kinds(client, tree, admin_a):
    """No city committee is offered as a child kind."""
    client.force_login(admin_a)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert 'value="community"' in page and 'value="city_committee"' not in page


def test_clerk_gets_403_on_every_write(client, tree, personas):
    """A clerk (organizations.view only) sees no manage forms and is refused."""
    client.force_login(personas.district)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert "/create-child/" not in page and "/close/" not in page
    pk = tree.grid_a.pk
    for url, data in (
        (f"/organizations/{pk}/create-child/", _child("X")),
        (f"/organizations/{pk}/close/", {"close-closed_on": "2030-01-01", "close-reason": "x"}),
        (f"/organizations/{pk}/merge/", {"merge-into": "B1", "merge-merged_on": "2030-01-01"}),
        (
            f"/organizations/{tree.district.pk}/reorder/",
            {"child": tree.street_b.pk, "direction": "up"},
        ),
        ("/organizations/groupings/", {"name": "g", "owner": "D"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert Organization.objects.get(pk=pk).closed_on is None
    assert not Grouping.objects.exists()


def test_close_page_marks_the_unit_and_refuses_open_children(client, tree, admin_a):
    """Closing A1 (open grid below) gives a message naming the grid; closing the grid
    works, and the tree marks it closed."""
    client.force_login(admin_a)
    data = {"close-closed_on": "2030-01-01", "close-reason": "撤并"}
    page = client.post(
        f"/organizations/{tree.community_a.pk}/close/", data, follow=True
    ).content.decode()
    assert tree.grid_a.name in page
    assert Organization.objects.get(pk=tree.community_a.pk).closed_on is None
    client.post(f"/organizations/{tree.grid_a.pk}/close/", data)
    assert Organization.objects.get(pk=tree.grid_a.pk).closed_on is not None
    nodes = client.get(
        f"/organizations/{tree.community_a.pk}/children/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "已撤销" in nodes


def test_merge_page_with_the_picker_text(client, tree):
    """The target may be typed as a code without JavaScript; children follow."""
    admin = make_user("sys", ("system_admin", SUB, tree.district))
    client.force_login(admin)
    response = client.post(
        f"/organizations/{tree.street_a.pk}/merge/",
        {"merge-into": tree.street_b.code, "merge-merged_on": "2030-01-01"},
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=tree.community_a.pk).parent_id == tree.street_b.pk
    assert Organization.objects.get(pk=tree.street_a.pk).closed_on is not None


def test_reorder_buttons_change_the_tree_order(client, tree):
    admin = make_user("sys", ("system_admin", SUB, tree.district))
    client.force_login(admin)
    client.post(
        f"/organizations/{tree.district.pk}/reorder/",
        {"child": tree.street_b.pk, "direction": "up"},
    )
    page = client.get(f"/organizations/?org={tree.district.pk}").content.decode()
    assert page.index(tree.street_b.name) < page.index(tree.street_a.name)
    assert AuditEvent.objects.filter(action="organization.reorder").count() == 1


def test_picker_suggests_within_scope_for_the_purpose(client, tree, admin_a):
    """A's administrator asking for move targets sees A's units with their path, never
    B's; closed units are not offered; at most 20 results."""
    client.force_login(admin_a)
    url = "/organizations/pick/?purpose=organizations.manage&q=组织"
    body = client.get(url).content.decode()
    assert tree.community_a.name in body and tree.community_b.name not in body
    assert "A ›" in body or "A1" in body
    organization_close(
        organization=tree.grid_a,
        closed_on=tree.grid_a.versions.get().valid_from.replace(year=2031),
        reason="x",
        acting_user=admin_a,
    )
    assert tree.grid_a.name not in client.get(url).content.decode()
    for index in range(25):
        make_org(tree.community_a, f"MANY{index}")
    assert (
        client.get("/organizations/pick/?purpose=organizations.manage&q=MANY")
        .content.decode()
        .count('class="org-pick"')
        == 20
    )


def test_picker_reads_the_field_named_by_htmx(client, tree, admin_a):
    """htmx sends the input under its own name; ``field`` names it."""
    client.force_login(admin_a)
    body = client.get(
        "/organizations/pick/?purpose=organizations.manage&field=move-new_parent&move-new_parent=A1"
    ).content.decode()
    assert tree.community_a.name in body


def test_picker_refuses_unknown_or_unheld_purposes(client, tree, personas):
    """A clerk has no organizations.manage: 403; an unregistered purpose: 403."""
    client.force_login(personas.district)
    assert client.get("/organizations/pick/?purpose=organizations.manage&q=A").status_code == 403
    assert client.get("/organizations/pick/?purpose=nothing.at_all&q=A").status_code == 403
    assert client.get("/organizations/pick/?purpose=organizations.view&q=A").status_code == 200


def test_same_name_typed_without_javascript_asks_to_choose(client, tree):
    """Two units named alike: the typed name is ambiguous, the code is not."""
    admin = make_user("sys", ("system_admin", SUB, tree.district))
    client.force_login(admin)
    for parent in (tree.street_a, tree.street_b):
        Organization.objects.filter(pk=make_org(parent, f"SAME{parent.code}").pk).update(
            name="幸福社区党委"
        )
    target = Organization.objects.get(code="SAMEB")
    page = client.post(
        f"/organizations/{tree.grid_a.pk}/move/",
        {"move-new_parent": "幸福社区党委", "move-effective": "2030-01-01"},
        follow=True,
    ).content.decode()
    assert "多个" in page
    client.post(
        f"/organizations/{tree.grid_a.pk}/move/",
        {
            "move-new_parent": "",
            "move-new_parent_id": str(target.pk),
            "move-effective": "2030-01-01",
        },
    )
    assert Organization.objects.get(pk=tree.grid_a.pk).parent_id == target.pk


def test_tree_search_shows_paths_in_scope(client, tree, personas):
    """street_a finds A1 with its path; B1 is not found for her."""
    client.force_login(personas.street_a)
    body = client.get("/organizations/?q=1").content.decode()
    assert tree.community_a.name in body and tree.community_b.name not in body
    assert "org-pick-path" in body
    body = client.get("/organizations/?q=B1").content.decode()
    assert tree.community_b.name not in body


def test_grouping_pages(client, tree, admin_a, personas):
    """A's administrator creates a grouping owned by A, adds A1 and ends it; the page
    lists current and past members. B's clerk does not see it (404)."""
    client.force_login(admin_a)
    response = client.post(
        "/organizations/groupings/",
        {"name": "联创协作组一", "kind": "联创", "owner": tree.street_a.code, "description": ""},
    )
    grouping = Grouping.objects.get()
    assert response.status_code == 302 and grouping.owner_id == tree.street_a.pk
    client.post(
        f"/organizations/groupings/{grouping.pk}/members/",
        {"add-organization": tree.community_a.code, "add-joined_on": "2030-01-01"},
    )
    member = GroupingMembership.objects.get()
    page = client.get(f"/organizations/groupings/{grouping.pk}/").content.decode()
    assert tree.community_a.name in page
    client.post(
        f"/organizations/groupings/{grouping.pk}/members/{member.pk}/end/",
        {"end-left_on": "2030-06-01"},
    )
    member.refresh_from_db()
    assert str(member.left_on) == "2030-06-01"
    # B is outside her part: not a member candidate.
    client.post(
        f"/organizations/groupings/{grouping.pk}/members/",
        {"add-organization": tree.community_b.code, "add-joined_on": "2030-01-01"},
    )
    assert GroupingMembership.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="grouping.").count() == 3
    client.force_login(personas.street_b)
    assert client.get(f"/organizations/groupings/{grouping.pk}/").status_code == 404
    assert "联创协作组一" not in client.get("/organizations/groupings/").content.decode()


def test_detail_lists_only_visible_groupings(client, tree, personas):
    """A grouping owned by B with A1 as member is not shown to street_a."""
    from taizhang.core.actors import SYSTEM

    grouping_create(
        name="B的协作组",
        kind="",
        owner=tree.street_b,
        members=[tree.community_a],
        acting_user=SYSTEM,
    )
    client.force_login(personas.street_a)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert "B的协作组" not in page
