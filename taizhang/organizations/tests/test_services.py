"""The tree services keep path, depth and dated history, and audit every change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import Organization, OrganizationVersion, OrgKind
from taizhang.organizations.selectors import organization_version_at
from taizhang.organizations.services import (
    grouping_create,
    organization_create,
    organization_move,
    organization_rename,
)
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db


def test_create_sets_path_and_depth(tree):
    """A child's path is its parent's path plus its own fixed-width segment."""
    assert tree.district.depth == 1
    assert tree.grid_a.depth == 4
    assert tree.grid_a.path.startswith(tree.community_a.path)
    assert len(tree.grid_a.path) == 4 * 6
    assert AuditEvent.objects.filter(action="organization.create").count() == 6


def test_second_root_refused(tree):
    """There is one root organization."""
    with pytest.raises(ValidationError):
        make_org(None, "ROOT2")


def test_move_rewrites_subtree_paths(tree):
    """Moving A1 under B moves its grid too; nothing else changes."""
    admin = make_user("sys_all", ("system_admin", ScopeKind.SUBTREE, tree.district))
    before_b1 = Organization.objects.get(pk=tree.community_b.pk).path
    organization_move(organization=tree.community_a, new_parent=tree.street_b, acting_user=admin)
    community = Organization.objects.get(pk=tree.community_a.pk)
    grid = Organization.objects.get(pk=tree.grid_a.pk)
    street_b = Organization.objects.get(pk=tree.street_b.pk)
    assert community.parent_id == street_b.pk
    assert community.path.startswith(street_b.path)
    assert grid.path.startswith(community.path) and grid.depth == community.depth + 1
    assert Organization.objects.get(pk=tree.community_b.pk).path == before_b1
    event = AuditEvent.objects.filter(action="organization.move").get()
    assert event.actor_id == admin.pk
    assert event.changes["parent"] == [tree.street_a.pk, tree.street_b.pk]


def test_move_into_own_subtree_refused(tree):
    """A node cannot become its own descendant."""
    with pytest.raises(ValidationError):
        organization_move(organization=tree.street_a, new_parent=tree.grid_a, acting_user=SYSTEM)


def test_root_cannot_move(tree):
    """The root has nowhere to go."""
    with pytest.raises(ValidationError):
        organization_move(organization=tree.district, new_parent=tree.street_a, acting_user=SYSTEM)


def test_rename_and_move_keep_dated_history(tree):
    """Each rename or move closes the current version and opens a new one."""
    day1, day2 = dt.date(2025, 3, 1), dt.date(2025, 9, 1)
    community = tree.community_a
    OrganizationVersion.objects.filter(organization=community).update(
        valid_from=dt.date(2020, 1, 1)
    )
    organization_rename(
        organization=community,
        name="新名称社区党委",
        short_name="新名称",
        effective=day1,
        acting_user=SYSTEM,
    )
    organization_move(
        organization=community, new_parent=tree.street_b, effective=day2, acting_user=SYSTEM
    )
    old = organization_version_at(community, dt.date(2024, 12, 31))
    mid = organization_version_at(community, dt.date(2025, 5, 1))
    now = organization_version_at(community, dt.date(2025, 10, 1))
    assert old.name == "A1 组织" and old.parent_id == tree.street_a.pk
    assert mid.name == "新名称社区党委" and mid.parent_id == tree.street_a.pk
    assert now.parent_id == tree.street_b.pk and now.valid_to is None
    assert mid.valid_to == day2


def test_change_before_current_version_refused(tree):
    """History cannot be rewritten by back-dating a change."""
    version = OrganizationVersion.objects.get(organization=tree.community_a)
    with pytest.raises(ValidationError):
        organization_rename(
            organization=tree.community_a,
            name="x",
            short_name="x",
            effective=version.valid_from - dt.timedelta(days=1),
            acting_user=SYSTEM,
        )


def test_grouping_spans_branches(tree):
    """A grouping holds units from different subdistricts and is audited."""
    grouping = grouping_create(
        name="联创协作组",
        kind="党建联创协作组",
        owner=tree.district,
        members=[tree.community_a, tree.community_b],
        acting_user=SYSTEM,
    )
    assert set(grouping.members.all()) == {tree.community_a, tree.community_b}
    assert _latest_action() == "grouping.create"


# --- scope: the services refuse what the acting user may not manage -----------------


@pytest.fixture
def admin_a(tree):
    """A system administrator of subdistrict A's subtree only."""
    return make_user("sys_a", ("system_admin", ScopeKind.SUBTREE, tree.street_a))


def _latest_action() -> str:
    return AuditEvent.objects.order_by("-pk").values_list("action", flat=True).first()


def test_partial_admin_creates_only_inside_her_subtree(tree, admin_a):
    """A child under A's community is hers to create; one under B is refused."""
    org = organization_create(
        parent=tree.community_a,
        kind=OrgKind.GENERAL_BRANCH,
        code="A1G2",
        name="A1 第二网格",
        acting_user=admin_a,
    )
    assert org.parent_id == tree.community_a.pk
    assert _latest_action() == "organization.create"
    with pytest.raises(PermissionDenied):
        organization_create(
            parent=tree.street_b,
            kind=OrgKind.COMMITTEE,
            code="B2",
            name="B2",
            acting_user=admin_a,
        )
    assert not Organization.objects.filter(code="B2").exists()


def test_only_the_system_creates_the_root(db):
    """The root has no parent to hold a grant on: a user is refused, SYSTEM is not."""
    make_org(None, "D")
    admin = make_user("sys_root")
    with pytest.raises(PermissionDenied):
        organization_create(
            parent=None, kind=OrgKind.DISTRICT_COMMITTEE, code="R", name="R", acting_user=admin
        )


def test_partial_admin_renames_only_inside_her_subtree(tree, admin_a):
    """A's administrator renames A1 (audited) and is refused on B1 and on the district."""
    organization_rename(
        organization=tree.community_a, name="新A1", short_name="新A1", acting_user=admin_a
    )
    assert Organization.objects.get(pk=tree.community_a.pk).name == "新A1"
    event = AuditEvent.objects.order_by("-pk").first()
    assert event.action == "organization.rename" and event.actor_id == admin_a.pk
    assert event.changes["name"] == ["A1 组织", "新A1"]
    for org in (tree.community_b, tree.district):
        with pytest.raises(PermissionDenied):
            organization_rename(organization=org, name="x", short_name="x", acting_user=admin_a)
    assert Organization.objects.get(pk=tree.community_b.pk).name == "B1 组织"


def test_a_clerk_cannot_rename(tree, personas):
    """Viewing the tree is not managing it."""
    with pytest.raises(PermissionDenied):
        organization_rename(
            organization=tree.grid_a, name="x", short_name="x", acting_user=personas.street_a
        )


def test_partial_admin_moves_only_inside_her_subtree(tree, admin_a):
    """Inside A: allowed. Out of A, into A from B, or of A itself: refused."""
    sibling = make_org(tree.street_a, "A2")
    organization_move(organization=tree.grid_a, new_parent=sibling, acting_user=admin_a)
    assert Organization.objects.get(pk=tree.grid_a.pk).parent_id == sibling.pk
    assert _latest_action() == "organization.move"
    refused = [
        (tree.community_a, tree.street_b),  # out of her part
        (tree.community_b, tree.street_a),  # B's node into her part
        (tree.street_a, tree.street_b),  # the top of her part is the district's
    ]
    for org, target in refused:
        parent_before = Organization.objects.get(pk=org.pk).parent_id
        with pytest.raises(PermissionDenied):
            organization_move(organization=org, new_parent=target, acting_user=admin_a)
        assert Organization.objects.get(pk=org.pk).parent_id == parent_before


def test_grouping_needs_manage_on_its_owner(tree, admin_a):
    """A's administrator groups A's units (audited); B as owner or member is refused."""
    grouping = grouping_create(
        name="A 协作组",
        kind="党建联创协作组",
        owner=tree.street_a,
        members=[tree.community_a, tree.grid_a],
        acting_user=admin_a,
    )
    assert _latest_action() == "grouping.create"
    assert set(grouping.members.all()) == {tree.community_a, tree.grid_a}
    with pytest.raises(PermissionDenied):
        grouping_create(
            name="B 协作组", kind="x", owner=tree.street_b, members=[], acting_user=admin_a
        )
    with pytest.raises(PermissionDenied):
        grouping_create(
            name="跨街协作组",
            kind="x",
            owner=tree.street_a,
            members=[tree.community_b],
            acting_user=admin_a,
        )


def test_services_refuse_a_missing_actor(tree):
    """None is not a way to skip the checks."""
    with pytest.raises(TypeError):
        organization_rename(organization=tree.grid_a, name="x", short_name="x", acting_user=None)
