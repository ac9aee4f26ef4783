"""Close, merge, reorder, kind rules and grouping members: scoped, audited, history kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import GroupingMembership, Organization, OrgKind
from taizhang.organizations.selectors import grouping_member_ids, organization_version_at
from taizhang.organizations.services import (
    grouping_create,
    grouping_member_add,
    grouping_member_end,
    organization_close,
    organization_create,
    organization_merge,
    organization_move,
    organization_rename,
    organization_reorder,
)
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db

SUB = ScopeKind.SUBTREE
DAY = dt.date(2030, 3, 1)


@pytest.fixture
def admin(tree):
    return make_user("sys_all", ("system_admin", SUB, tree.district))


@pytest.fixture
def admin_a(tree):
    """A system administrator of subdistrict A only."""
    return make_user("sys_a", ("system_admin", SUB, tree.street_a))


def test_close_keeps_row_and_history_and_refuses_children(tree, admin):
    """A closed unit stays, its current version ends on the day, and it takes no child."""
    org = organization_close(
        organization=tree.grid_a, closed_on=DAY, reason="撤销", acting_user=admin
    )
    assert org.closed_on == DAY and not org.is_active and org.closed_reason == "撤销"
    assert Organization.objects.filter(pk=tree.grid_a.pk).exists()
    assert organization_version_at(org, DAY - dt.timedelta(days=1)) is not None
    assert organization_version_at(org, DAY) is None
    event = AuditEvent.objects.get(action="organization.close")
    assert event.actor_id == admin.pk and event.changes["closed_on"][1] == str(DAY)
    with pytest.raises(ValidationError):
        make_org(org, "UNDER-CLOSED")
    with pytest.raises(ValidationError):
        organization_rename(organization=org, name="x", short_name="x", acting_user=admin)
    with pytest.raises(ValidationError):
        organization_move(organization=org, new_parent=tree.community_b, acting_user=admin)


def test_close_with_open_children_is_refused_with_their_names(tree, admin):
    """Closing A1 while its grid is open names the grid; nothing changes."""
    with pytest.raises(ValidationError) as refused:
        organization_close(
            organization=tree.community_a, closed_on=DAY, reason="x", acting_user=admin
        )
    assert tree.grid_a.name in str(refused.value)
    assert Organization.objects.get(pk=tree.community_a.pk).closed_on is None


def test_close_needs_a_reason_and_not_the_root(tree, admin):
    with pytest.raises(ValidationError):
        organization_close(organization=tree.grid_a, closed_on=DAY, reason=" ", acting_user=admin)
    with pytest.raises(ValidationError):
        organization_close(
            organization=tree.district, closed_on=DAY, reason="x", acting_user=SYSTEM
        )


def test_close_scope(tree, admin_a):
    """A's administrator closes inside her part only; a clerk holds no manage at all."""
    clerk = make_user("clerk", ("clerk", SUB, tree.district))
    for user in (admin_a, clerk):
        with pytest.raises(PermissionDenied):
            organization_close(
                organization=tree.community_b, closed_on=DAY, reason="x", acting_user=user
            )
    organization_close(organization=tree.grid_a, closed_on=DAY, reason="x", acting_user=admin_a)


def test_merge_moves_children_and_closes_the_merged_one(tree, admin):
    """Merging A into B: A1 (with its grid) moves under B, A is closed 'merged into B'."""
    merged = organization_merge(
        organization=tree.street_a, into=tree.street_b, merged_on=DAY, acting_user=admin
    )
    community = Organization.objects.get(pk=tree.community_a.pk)
    street_b = Organization.objects.get(pk=tree.street_b.pk)
    assert community.parent_id == street_b.pk and community.path.startswith(street_b.path)
    assert merged.closed_on == DAY and tree.street_b.code in merged.closed_reason
    event = AuditEvent.objects.get(action="organization.merge")
    assert event.object_id == str(tree.street_a.pk)
    assert AuditEvent.objects.filter(action="organization.move").count() == 1


def test_merge_scope_and_refusals(tree, admin_a):
    """A's administrator cannot merge into B (outside her part), nor into the unit's own
    subtree; nothing changes."""
    with pytest.raises(PermissionDenied):
        organization_merge(
            organization=tree.community_a, into=tree.street_b, merged_on=DAY, acting_user=admin_a
        )
    with pytest.raises(ValidationError):
        organization_merge(
            organization=tree.community_a, into=tree.grid_a, merged_on=DAY, acting_user=admin_a
        )
    assert Organization.objects.get(pk=tree.community_a.pk).closed_on is None


def test_reorder_sets_sibling_order_and_audits(tree, admin, admin_a):
    """B before A after the reorder; A's administrator may not reorder the district."""
    organization_reorder(
        parent=tree.district, order=[tree.street_b, tree.street_a], acting_user=admin
    )
    kids = list(Organization.objects.filter(parent=tree.district).order_by("sort_order", "path"))
    assert kids == [tree.street_b, tree.street_a]
    event = AuditEvent.objects.get(action="organization.reorder")
    assert event.changes["children"][1] == [tree.street_b.pk, tree.street_a.pk]
    with pytest.raises(ValidationError):
        organization_reorder(parent=tree.district, order=[tree.street_b], acting_user=admin)
    with pytest.raises(PermissionDenied):
        organization_reorder(
            parent=tree.district, order=[tree.street_a, tree.street_b], acting_user=admin_a
        )


def test_city_committee_is_root_only_and_districts_sit_under_it():
    """A city can be the root above districts; a city committee is never a child, and a
    district committee is never under a community."""
    city = organization_create(
        parent=None, kind=OrgKind.CITY_COMMITTEE, code="C", name="市委", acting_user=SYSTEM
    )
    district = organization_create(
        parent=city, kind=OrgKind.DISTRICT_COMMITTEE, code="D1", name="区委", acting_user=SYSTEM
    )
    assert district.depth == 2
    with pytest.raises(ValidationError):
        organization_create(
            parent=district, kind=OrgKind.CITY_COMMITTEE, code="C2", name="x", acting_user=SYSTEM
        )
    community = make_org(district, "CM", OrgKind.COMMUNITY)
    with pytest.raises(ValidationError):
        organization_create(
            parent=community,
            kind=OrgKind.DISTRICT_COMMITTEE,
            code="D2",
            name="x",
            acting_user=SYSTEM,
        )


def test_grouping_members_with_dates(tree, admin):
    """Members join and leave on dates; the selector answers for any day; audited."""
    grouping = grouping_create(
        name="联创协作组", kind="联创", owner=tree.district, members=[], acting_user=admin
    )
    grouping_member_add(
        grouping=grouping, organization=tree.community_a, joined_on=DAY, acting_user=admin
    )
    member = grouping_member_add(
        grouping=grouping, organization=tree.community_b, joined_on=DAY, acting_user=admin
    )
    with pytest.raises(ValidationError):
        grouping_member_add(
            grouping=grouping, organization=tree.community_b, joined_on=DAY, acting_user=admin
        )
    later = DAY + dt.timedelta(days=30)
    grouping_member_end(membership=member, left_on=later, acting_user=admin)
    assert grouping_member_ids(grouping, on=DAY - dt.timedelta(days=1)) == []
    assert grouping_member_ids(grouping, on=DAY) == sorted(
        [tree.community_a.pk, tree.community_b.pk]
    )
    assert grouping_member_ids(grouping, on=later) == [tree.community_a.pk]
    # Rejoining after leaving is a new membership; the past one stays.
    grouping_member_add(
        grouping=grouping, organization=tree.community_b, joined_on=later, acting_user=admin
    )
    assert GroupingMembership.objects.filter(organization=tree.community_b).count() == 2
    actions = list(
        AuditEvent.objects.filter(action__startswith="grouping.").values_list("action", flat=True)
    )
    assert actions.count("grouping.member_add") == 3 and "grouping.member_end" in actions


def test_grouping_scope(tree, admin_a):
    """A's administrator: a grouping owned by A may list A's units but not B's (unseen);
    one owned by the district is refused; a clerk may not add members."""
    with pytest.raises(PermissionDenied):
        grouping_create(name="g", kind="", owner=tree.district, members=[], acting_user=admin_a)
    grouping = grouping_create(
        name="g", kind="", owner=tree.street_a, members=[tree.community_a], acting_user=admin_a
    )
    with pytest.raises(PermissionDenied):
        grouping_member_add(
            grouping=grouping, organization=tree.community_b, joined_on=DAY, acting_user=admin_a
        )
    clerk = make_user("clerk", ("clerk", SUB, tree.district))
    with pytest.raises(PermissionDenied):
        grouping_member_add(
            grouping=grouping, organization=tree.grid_a, joined_on=DAY, acting_user=clerk
        )


def test_closed_unit_joins_no_grouping(tree, admin):
    organization_close(organization=tree.grid_a, closed_on=DAY, reason="x", acting_user=admin)
    grouping = grouping_create(
        name="g", kind="", owner=tree.district, members=[], acting_user=admin
    )
    with pytest.raises(ValidationError):
        grouping_member_add(
            grouping=grouping, organization=tree.grid_a, joined_on=DAY, acting_user=admin
        )
