"""Writes to the organization tree. The only code that sets ``path`` and ``depth``."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.organizations.models import (
    SEGMENT_WIDTH,
    Grouping,
    GroupingMembership,
    Organization,
    OrganizationVersion,
    TreeLock,
    encode_segment,
)
from taizhang.organizations.permissions import ORGANIZATION, VIEW
from taizhang.organizations.signals import organization_moved

AUDITED_FIELDS = ["parent", "kind", "code", "name", "short_name", "sort_order", "is_active"]


def _today() -> dt.date:
    return timezone.localdate()


def _lock_tree() -> None:
    TreeLock.objects.select_for_update().get_or_create(pk=1)


@transaction.atomic
def organization_create(
    *,
    parent: Organization | None,
    kind: str,
    code: str,
    name: str,
    short_name: str = "",
    sort_order: int = 0,
    valid_from: dt.date | None = None,
    acting_user: Actor,
) -> Organization:
    # A child needs manage on its parent; the root has no parent to hold a grant on, so
    # only the system actor (the demo loader, the install command) creates it.
    ORGANIZATION.require_org(acting_user, parent)
    if parent is None and Organization.objects.exists():
        raise ValidationError(_("Only one root organization is allowed."))
    org = Organization(
        parent=parent,
        kind=kind,
        code=code,
        name=name,
        short_name=short_name or name,
        sort_order=sort_order,
        # Placeholders until the id is known; both are rewritten below.
        path=f"tmp-{code}",
        depth=0,
    )
    org.full_clean(exclude=["path", "depth"])
    org.save()
    org.path = (parent.path if parent else "") + encode_segment(org.pk)
    org.depth = len(org.path) // SEGMENT_WIDTH
    Organization.objects.filter(pk=org.pk).update(path=org.path, depth=org.depth)
    OrganizationVersion.objects.create(
        organization=org,
        parent=parent,
        name=org.name,
        short_name=org.short_name,
        valid_from=valid_from or _today(),
        reason="created",
    )
    audit_record(
        actor=acting_user,
        action="organization.create",
        obj=org,
        changes=diff({}, snapshot(org, AUDITED_FIELDS)),
    )
    return org


def _open_new_version(org: Organization, *, effective: dt.date, reason: str) -> None:
    current = (
        OrganizationVersion.objects.select_for_update()
        .filter(organization=org, valid_to__isnull=True)
        .first()
    )
    if current is not None:
        if effective < current.valid_from:
            raise ValidationError(
                _("The change cannot take effect before the current version began (%(date)s).")
                % {"date": current.valid_from}
            )
        if effective == current.valid_from:
            # Two changes on one day: the later one replaces that day's version.
            current.delete()
        else:
            current.valid_to = effective
            current.save(update_fields=["valid_to"])
    OrganizationVersion.objects.create(
        organization=org,
        parent_id=org.parent_id,
        name=org.name,
        short_name=org.short_name,
        valid_from=effective,
        reason=reason,
    )


@transaction.atomic
def organization_rename(
    *,
    organization: Organization,
    name: str,
    short_name: str,
    effective: dt.date | None = None,
    reason: str = "",
    acting_user: Actor,
) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    ORGANIZATION.require(acting_user, org)
    before = snapshot(org, AUDITED_FIELDS)
    org.name = name
    org.short_name = short_name or name
    org.full_clean(exclude=["path", "depth"])
    org.save(update_fields=["name", "short_name"])
    _open_new_version(org, effective=effective or _today(), reason=reason or "renamed")
    audit_record(
        actor=acting_user,
        action="organization.rename",
        obj=org,
        changes=diff(before, snapshot(org, AUDITED_FIELDS)),
    )
    return org


@transaction.atomic
def organization_move(
    *,
    organization: Organization,
    new_parent: Organization,
    effective: dt.date | None = None,
    reason: str = "",
    acting_user: Actor,
) -> Organization:
    """Move a node and its subtree under ``new_parent``.

    Takes the tree lock so two moves cannot interleave into a cycle, then rewrites the
    paths of the moved subtree in one UPDATE. Ledger rows keep only ``org_id`` and are
    not touched.
    """
    _lock_tree()
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    target = Organization.objects.get(pk=new_parent.pk)
    # Manage on the moved node (its paths are read from the locked row) and on the new
    # parent: a partial-subtree administrator cannot move a node out of her part.
    ORGANIZATION.require(acting_user, org)
    ORGANIZATION.require_org(acting_user, target)
    if org.parent_id is None:
        raise ValidationError(_("The root organization cannot be moved."))
    if target.path.startswith(org.path):
        raise ValidationError(_("An organization cannot be moved into its own subtree."))
    if org.parent_id == target.pk:
        return org
    before = snapshot(org, AUDITED_FIELDS)
    old_prefix = org.path
    new_prefix = target.path + encode_segment(org.pk)
    depth_delta = len(new_prefix) // SEGMENT_WIDTH - org.depth
    lower, upper = org.subtree_bounds
    Organization.objects.filter(path__gte=lower, path__lt=upper).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + depth_delta,
    )
    old_parent_id = org.parent_id
    Organization.objects.filter(pk=org.pk).update(parent=target)
    org.refresh_from_db()
    organization_moved.send(
        sender=Organization,
        organization=org,
        old_parent_id=old_parent_id,
        new_parent_id=target.pk,
    )
    _open_new_version(org, effective=effective or _today(), reason=reason or "moved")
    audit_record(
        actor=acting_user,
        action="organization.move",
        obj=org,
        changes={**diff(before, snapshot(org, AUDITED_FIELDS)), "path": [old_prefix, org.path]},
    )
    return org


@transaction.atomic
def grouping_create(
    *,
    name: str,
    kind: str,
    owner: Organization,
    members: list[Organization],
    description: str = "",
    joined_on: dt.date | None = None,
    acting_user: Actor,
) -> Grouping:
    # The owner keeps the grouping; members may sit in other branches, but the acting
    # user must at least see each of them (a grouping never reveals an organization).
    ORGANIZATION.require_org(acting_user, owner)
    for org in members:
        ORGANIZATION.require(acting_user, org, VIEW)
    grouping = Grouping.objects.create(name=name, kind=kind, owner=owner, description=description)
    GroupingMembership.objects.bulk_create(
        GroupingMembership(grouping=grouping, organization=org, joined_on=joined_on)
        for org in members
    )
    audit_record(
        actor=acting_user,
        action="grouping.create",
        obj=grouping,
        changes={
            "name": [None, name],
            "kind": [None, kind],
            "owner": [None, owner.pk],
            "members": [None, sorted(org.pk for org in members)],
        },
    )
    return grouping
