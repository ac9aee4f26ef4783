"""Data scope: personas see exactly their part of the tree, and can ask why."""

from __future__ import annotations

import pytest
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, grant_revoke
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import clear_cache, scope_for
from taizhang.organizations.selectors import (
    get_organization_for_viewer,
    organization_list,
    organization_roots,
)
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db


def test_district_sees_everything_below(tree, personas):
    """The district clerk sees all six organizations."""
    assert organization_list(viewer=personas.district).count() == 6


def test_street_a_sees_only_her_subdistrict(tree, personas):
    """street_a sees A, A1 and A1's grid; nothing of B."""
    visible = set(organization_list(viewer=personas.street_a))
    assert visible == {tree.street_a, tree.community_a, tree.grid_a}
    for other in (tree.street_b, tree.community_b, tree.district):
        with pytest.raises(Http404):
            get_organization_for_viewer(personas.street_a, other.pk)


def test_missing_and_out_of_scope_look_the_same(tree, personas):
    """A missing id and a hidden one both raise the same 404."""
    for pk in (tree.community_b.pk, 999_999, "not-a-number"):
        with pytest.raises(Http404):
            get_organization_for_viewer(personas.street_a, pk)


def test_no_grant_sees_nothing(tree, personas):
    """Deny by default: a user without grants sees no organization."""
    assert organization_list(viewer=personas.nobody).count() == 0
    assert scope_for(personas.nobody, "organizations.view").is_empty


def test_filters_only_narrow(tree, personas):
    """A parent filter pointing outside the scope yields nothing, not B's children."""
    assert organization_list(viewer=personas.street_a, parent_id=tree.street_b.pk).count() == 0


def test_audit_admin_cannot_browse_the_tree(tree, personas):
    """The audit administrator's role carries no organization view."""
    assert organization_list(viewer=personas.auditor).count() == 0


def test_widest_grant_wins(tree):
    """An org-only grant and a subtree grant on the same node give the subtree."""
    user = make_user(
        "both",
        ("viewer", ScopeKind.ORG, tree.street_a),
        ("clerk", ScopeKind.SUBTREE, tree.street_a),
    )
    assert organization_list(viewer=user).count() == 3
    scope = scope_for(user, "organizations.view")
    assert scope.subtree_paths == (tree.street_a.path,)


def test_listed_and_own_grants(tree):
    """A listed grant shows exactly the listed organizations; an own grant shows none."""
    user = make_user("lister")
    grant_create(
        user=user,
        role="viewer",
        scope_kind=ScopeKind.LISTED,
        listed=[tree.community_a, tree.community_b],
        acting_user=SYSTEM,
    )
    assert set(organization_list(viewer=user)) == {tree.community_a, tree.community_b}
    own = make_user("owner", ("viewer", ScopeKind.OWN, None))
    assert organization_list(viewer=own).count() == 0
    assert scope_for(own, "organizations.view").own_records


def test_grants_are_read_in_one_query_and_listed_organizations_in_one_more(
    tree, django_assert_num_queries
):
    """Every request reads the grants: one query, and one more only when a grant lists
    organizations (for all the listed grants together)."""
    plain = make_user("plain", ("clerk", ScopeKind.SUBTREE, tree.street_a))
    with django_assert_num_queries(1):
        assert scope_for(plain, "organizations.view").subtree_paths == (tree.street_a.path,)
    lister = make_user("lister2", ("clerk", ScopeKind.SUBTREE, tree.street_b))
    for listed in ([tree.community_a], [tree.community_b]):
        grant_create(
            user=lister, role="viewer", scope_kind=ScopeKind.LISTED, listed=listed,
            acting_user=SYSTEM,
        )  # fmt: skip
    clear_cache(lister)
    with django_assert_num_queries(2):
        scope = scope_for(lister, "organizations.view")
    assert scope.org_ids == {tree.community_a.pk, tree.community_b.pk}


def test_revoked_grant_stops_working(tree):
    """Revoking a grant removes its scope."""
    user = make_user("temp")
    grant = grant_create(
        user=user,
        role="clerk",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.street_a,
        acting_user=SYSTEM,
    )
    assert organization_list(viewer=user).exists()
    grant_revoke(grant=grant, acting_user=SYSTEM)
    user.refresh_from_db()
    assert not organization_list(viewer=user).exists()


def test_scope_is_built_once_per_function_and_forgotten_on_grant_change(
    tree, django_assert_num_queries
):
    """A request asks for the same scope many times (a dashboard does for each metric):
    the grants are read once, and a grant change is seen at once."""
    user = make_user("memo", ("clerk", ScopeKind.SUBTREE, tree.street_a))
    first = scope_for(user, "organizations.view")
    with django_assert_num_queries(0):
        assert scope_for(user, "organizations.view") is first
    grant_create(
        user=user,
        role="clerk",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.street_b,
        acting_user=SYSTEM,
    )
    widened = scope_for(user, "organizations.view")
    assert set(widened.subtree_paths) == {tree.street_a.path, tree.street_b.path}


def test_scope_explains_itself(tree, personas):
    """The scope names the grant that lets the viewer see an organization."""
    reasons = scope_for(personas.street_a, "organizations.view").explain(tree.grid_a)
    assert len(reasons) == 1 and tree.street_a.name in reasons[0]
    assert scope_for(personas.street_a, "organizations.view").explain(tree.community_b) == []


def test_roots_are_the_top_of_the_scope(tree, personas):
    """The tree browser starts at the viewer's grant organizations."""
    assert organization_roots(viewer=personas.street_a) == [tree.street_a]
    assert organization_roots(viewer=personas.district) == [tree.district]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shape=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=25),
    grants=st.lists(
        st.tuples(st.integers(min_value=0, max_value=25), st.sampled_from(["org", "subtree"])),
        min_size=0,
        max_size=3,
    ),
)
def test_list_and_single_lookup_agree_on_random_trees(django_db_blocker, shape, grants):
    """On any tree and grants, an org is in the list exactly when the lookup finds it,
    and the list equals the brute-force set computed from parent links."""
    from django.db import transaction

    with transaction.atomic():
        sid = transaction.savepoint()
        root = make_org(None, "R")
        nodes = [root]
        for index, parent_pick in enumerate(shape):
            nodes.append(make_org(nodes[parent_pick % len(nodes)], f"N{index}"))
        user = make_user("prop")
        for pick, kind in grants:
            grant_create(
                user=user,
                role="clerk",
                scope_kind=kind,
                organization=nodes[pick % len(nodes)],
                acting_user=SYSTEM,
            )
        listed = {org.pk for org in organization_list(viewer=user)}
        parents = dict(Organization.objects.values_list("pk", "parent_id"))

        def under(pk: int, top: int) -> bool:
            while pk is not None:
                if pk == top:
                    return True
                pk = parents[pk]
            return False

        expected = set()
        for pick, kind in grants:
            top = nodes[pick % len(nodes)].pk
            expected |= {
                pk for pk in parents if (under(pk, top) if kind == "subtree" else pk == top)
            }
        assert listed == expected
        for org in nodes:
            try:
                get_organization_for_viewer(user, org.pk)
                found = True
            except Http404:
                found = False
            assert found == (org.pk in listed)
        transaction.savepoint_rollback(sid)
