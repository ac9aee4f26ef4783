"""The tree services keep path, depth and dated history, and audit every change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.testing import make_org
from taizhang.organizations.models import Organization, OrganizationVersion
from taizhang.organizations.selectors import organization_version_at
from taizhang.organizations.services import (
    grouping_create,
    organization_move,
    organization_rename,
)

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


def test_move_rewrites_subtree_paths(tree, personas):
    """Moving A1 under B moves its grid too; nothing else changes."""
    before_b1 = Organization.objects.get(pk=tree.community_b.pk).path
    organization_move(
        organization=tree.community_a, new_parent=tree.street_b, acting_user=personas.district
    )
    community = Organization.objects.get(pk=tree.community_a.pk)
    grid = Organization.objects.get(pk=tree.grid_a.pk)
    street_b = Organization.objects.get(pk=tree.street_b.pk)
    assert community.parent_id == street_b.pk
    assert community.path.startswith(street_b.path)
    assert grid.path.startswith(community.path) and grid.depth == community.depth + 1
    assert Organization.objects.get(pk=tree.community_b.pk).path == before_b1
    event = AuditEvent.objects.filter(action="organization.move").get()
    assert event.actor_id == personas.district.pk
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
    assert AuditEvent.objects.filter(action="grouping.create").exists()
