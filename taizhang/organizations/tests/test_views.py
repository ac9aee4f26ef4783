"""The tree browser: scoped, a fixed number of queries, 404 outside the scope."""

from __future__ import annotations

import pytest

from tests.support import make_org

pytestmark = pytest.mark.django_db


def test_tree_page_shows_the_subtree(client, tree, personas):
    """street_a's browser starts at her subdistrict and shows its children."""
    client.force_login(personas.street_a)
    response = client.get("/organizations/")
    assert response.status_code == 200
    body = response.content.decode()
    assert tree.street_a.name in body and tree.community_a.name in body
    assert tree.street_b.name not in body


def test_out_of_scope_node_is_404(client, tree, personas):
    """Opening, expanding or reading B's nodes is a 404 for street_a."""
    client.force_login(personas.street_a)
    for url in (
        f"/organizations/?org={tree.street_b.pk}",
        f"/organizations/{tree.street_b.pk}/children/",
        f"/organizations/{tree.community_b.pk}/",
    ):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_user_without_grant_is_refused(client, tree, personas):
    """A signed-in user with no role gets 403; an anonymous one goes to the login page."""
    client.force_login(personas.nobody)
    assert client.get("/organizations/").status_code == 403
    client.logout()
    response = client.get("/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_children_partial(client, tree, personas):
    """Expanding a node returns its children for htmx to insert."""
    client.force_login(personas.district)
    response = client.get(f"/organizations/{tree.street_a.pk}/children/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert tree.community_a.short_name in response.content.decode()


def test_tree_queries_do_not_grow_with_the_tree(
    client, tree, personas, django_assert_max_num_queries
):
    """Opening a node costs the same number of queries with 3 or 30 children."""
    client.force_login(personas.district)
    url = f"/organizations/?org={tree.street_a.pk}"
    client.get(url)
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    for index in range(30):
        make_org(tree.street_a, f"EXTRA{index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "EXTRA29" in response.content.decode()
    children_url = f"/organizations/{tree.street_a.pk}/children/"
    with django_assert_max_num_queries(9):
        client.get(children_url, HTTP_HX_REQUEST="true")


def test_system_admin_renames_and_moves(client, tree):
    """The system administrator renames A1 and moves it under B; history records both."""
    from taizhang.organizations.models import Organization
    from tests.support import make_user

    admin = make_user("sys", ("system_admin", "subtree", tree.district))
    client.force_login(admin)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert f"/organizations/{tree.community_a.pk}/move/" in page
    client.post(
        f"/organizations/{tree.community_a.pk}/rename/",
        {
            "rename-name": "新名社区党委",
            "rename-short_name": "新名",
            "rename-effective": "2030-01-01",
        },
    )
    client.post(
        f"/organizations/{tree.community_a.pk}/move/",
        {"move-new_parent": tree.street_b.code, "move-effective": "2030-02-01"},
    )
    moved = Organization.objects.get(pk=tree.community_a.pk)
    assert moved.name == "新名社区党委" and moved.parent_id == tree.street_b.pk
    assert moved.versions.count() == 3


def test_clerk_cannot_move(client, tree, personas):
    """A clerk sees no manage forms and gets 403 on a move."""
    client.force_login(personas.district)
    page = client.get(f"/organizations/?org={tree.community_a.pk}").content.decode()
    assert "/move/" not in page
    response = client.post(
        f"/organizations/{tree.community_a.pk}/move/", {"move-new_parent": tree.street_b.code}
    )
    assert response.status_code == 403


def test_move_into_own_subtree_reports_error(client, tree):
    """An impossible move is refused with a message and changes nothing."""
    from taizhang.organizations.models import Organization
    from tests.support import make_user

    admin = make_user("sys", ("system_admin", "subtree", tree.district))
    client.force_login(admin)
    response = client.post(
        f"/organizations/{tree.street_a.pk}/move/",
        {"move-new_parent": tree.grid_a.code, "move-effective": "2030-01-01"},
        follow=True,
    )
    assert (
        "不能把组织调整到其自身的下级" in response.content.decode() or response.status_code == 200
    )
    assert Organization.objects.get(pk=tree.street_a.pk).parent_id == tree.district.pk


def test_partial_admin_cannot_move_out_of_her_part(client, tree):
    """A's administrator names B as the new parent: the form answers as for an unknown
    code and nothing moves; B's nodes are a 404 for her."""
    from taizhang.organizations.models import Organization
    from tests.support import make_user

    admin = make_user("sys_a", ("system_admin", "subtree", tree.street_a))
    client.force_login(admin)
    for code in (tree.street_b.code, "NO-SUCH"):
        response = client.post(
            f"/organizations/{tree.community_a.pk}/move/",
            {"move-new_parent": code, "move-effective": "2030-01-01"},
            follow=True,
        )
        assert "范围" in response.content.decode() or response.status_code == 200
    assert Organization.objects.get(pk=tree.community_a.pk).parent_id == tree.street_a.pk
    response = client.post(
        f"/organizations/{tree.community_b.pk}/rename/",
        {"rename-name": "x", "rename-short_name": "x", "rename-effective": "2030-01-01"},
    )
    assert response.status_code == 404
    assert Organization.objects.get(pk=tree.community_b.pk).name == "B1 组织"
