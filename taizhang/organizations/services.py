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
    PARENT_KINDS,
    ROOT_ONLY_KINDS,
    SEGMENT_WIDTH,
    Grouping,
    GroupingMembership,
    Organization,
    OrganizationVersion,
    TreeLock,
    encode_segment,
)
from taizhang.organizations.permissions import GROUPING, ORGANIZATION, VIEW
from taizhang.organizations.signals import organization_moved

AUDITED_FIELDS = [
    "parent",
    "kind",
    "code",
    "name",
    "short_name",
    "sort_order",
    "is_active",
    "closed_on",
    "closed_reason",
]


def _today() -> dt.date:
    return timezone.localdate()


def _lock_tree() -> None:
    TreeLock.objects.select_for_update().get_or_create(pk=1)


def _refuse_closed(org: Organization) -> None:
    # A closed unit's history ends on its closing date; a later version would reopen it.
    if org.closed_on is not None:
        raise ValidationError(_("A closed organization cannot be changed."))


def check_kind(kind: str, parent: Organization | None) -> None:
    """Refuse a kind that may not sit under ``parent`` (see ``models.PARENT_KINDS``)."""
    if parent is not None and kind in ROOT_ONLY_KINDS:
        raise ValidationError({"kind": _("This kind can only be the root organization.")})
    allowed = PARENT_KINDS.get(kind)
    if parent is not None and allowed is not None and parent.kind not in allowed:
        raise ValidationError({"kind": _("This kind cannot be placed under that organization.")})


def _require_open(org: Organization, field: str = "parent") -> None:
    if org.closed_on is not None:
        raise ValidationError(
            {field: _("%(name)s is closed and takes no new units.") % {"name": org.name}}
        )


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
    if parent is not None:
        # Decide on the stored row: the caller's copy may predate a close.
        parent = Organization.objects.get(pk=parent.pk)
        _require_open(parent)
    check_kind(kind, parent)
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
    _refuse_closed(org)
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
    _refuse_closed(org)
    if target.path.startswith(org.path):
        raise ValidationError(_("An organization cannot be moved into its own subtree."))
    if org.parent_id == target.pk:
        return org
    _require_open(target, "new_parent")
    check_kind(org.kind, target)
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
    # The owner keeps the grouping (manage on it); each member is checked as when added.
    GROUPING.require_org(acting_user, owner)
    _require_open(Organization.objects.get(pk=owner.pk), "owner")
    for org in members:
        _grouping_member_check(acting_user, org)
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


@transaction.atomic
def organization_close(
    *,
    organization: Organization,
    closed_on: dt.date,
    reason: str,
    acting_user: Actor,
    action: str = "organization.close",
) -> Organization:
    """Close an organization from ``closed_on``: its row, history and records stay; it
    takes no children and no new records. Refused while it has open children."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    ORGANIZATION.require(acting_user, org)
    if org.parent_id is None:
        raise ValidationError(_("The root organization cannot be closed."))
    if org.closed_on is not None:
        raise ValidationError(_("This organization is already closed."))
    open_children = list(
        Organization.objects.filter(parent=org, closed_on__isnull=True).values_list(
            "name", flat=True
        )[:5]
    )
    if open_children:
        raise ValidationError(
            _("Close or move its subordinate units first: %(names)s.")
            % {"names": "、".join(open_children)}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for closing.")})
    before = snapshot(org, AUDITED_FIELDS)
    current = (
        OrganizationVersion.objects.select_for_update()
        .filter(organization=org, valid_to__isnull=True)
        .first()
    )
    if current is not None:
        if closed_on <= current.valid_from:
            raise ValidationError(
                {
                    "closed_on": _(
                        "The closing date must be after the current version began (%(date)s)."
                    )
                    % {"date": current.valid_from}
                }
            )
        current.valid_to = closed_on
        current.save(update_fields=["valid_to"])
    org.closed_on = closed_on
    org.closed_reason = reason.strip()
    org.is_active = False
    org.save(update_fields=["closed_on", "closed_reason", "is_active"])
    audit_record(
        actor=acting_user,
        action=action,
        obj=org,
        changes=diff(before, snapshot(org, AUDITED_FIELDS)),
    )
    return org


@transaction.atomic
def organization_reorder(
    *, parent: Organization, order: list[Organization], acting_user: Actor
) -> list[Organization]:
    """Put ``parent``'s children in ``order`` (every child once): the tree lists
    siblings by ``sort_order``. One audit event on the parent with both orders."""
    ORGANIZATION.require(acting_user, parent)
    children = list(
        Organization.objects.select_for_update()
        .filter(parent=parent)
        .order_by("sort_order", "path")
    )
    wanted = [o.pk for o in order]
    if sorted(wanted) != sorted(c.pk for c in children) or len(set(wanted)) != len(wanted):
        raise ValidationError(_("The new order must name every subordinate unit once."))
    before = [c.pk for c in children]
    by_pk = {c.pk: c for c in children}
    for index, pk in enumerate(wanted):
        child = by_pk[pk]
        if child.sort_order != (index + 1) * 10:
            child.sort_order = (index + 1) * 10
            child.save(update_fields=["sort_order"])
    audit_record(
        actor=acting_user,
        action="organization.reorder",
        obj=parent,
        changes={"children": [before, wanted]},
    )
    return [by_pk[pk] for pk in wanted]


@transaction.atomic
def organization_merge(
    *,
    organization: Organization,
    into: Organization,
    merged_on: dt.date,
    acting_user: Actor,
) -> Organization:
    """Merge ``organization`` into ``into``: its children move under ``into`` and it is
    closed with the reason "merged into …". Ledger rows keep their ``org_id``: other
    modules read figures through the tree and the history, never copy an org."""
    source = Organization.objects.get(pk=organization.pk)
    target = Organization.objects.get(pk=into.pk)
    ORGANIZATION.require(acting_user, source)
    ORGANIZATION.require(acting_user, target)
    if source.pk == target.pk:
        raise ValidationError({"into": _("An organization cannot be merged into itself.")})
    if target.path.startswith(source.path):
        raise ValidationError({"into": _("An organization cannot be merged into its own subtree.")})
    _require_open(target, "into")
    moved = []
    for child in Organization.objects.filter(parent=source).order_by("sort_order", "path"):
        organization_move(
            organization=child,
            new_parent=target,
            effective=merged_on,
            reason=f"merged: {source.code} → {target.code}",
            acting_user=acting_user,
        )
        moved.append(child.pk)
    source.refresh_from_db()
    if source.closed_on is None:
        organization_close(
            organization=source,
            closed_on=merged_on,
            reason=f"merged into {target.name} ({target.code})",
            acting_user=acting_user,
            action="organization.merge",
        )
    source.refresh_from_db()
    return source


def _grouping_member_check(acting_user: Actor, org: Organization) -> None:
    # Members may sit in other branches, but the acting user must see each of them: a
    # grouping never reveals an organization. A closed unit joins nothing.
    ORGANIZATION.require(acting_user, org, VIEW)
    _require_open(Organization.objects.get(pk=org.pk), "organization")


@transaction.atomic
def grouping_member_add(
    *,
    grouping: Grouping,
    organization: Organization,
    joined_on: dt.date,
    acting_user: Actor,
) -> GroupingMembership:
    GROUPING.require(acting_user, grouping)
    _grouping_member_check(acting_user, organization)
    if GroupingMembership.objects.filter(
        grouping=grouping, organization=organization, left_on__isnull=True
    ).exists():
        raise ValidationError({"organization": _("This unit is already a member.")})
    membership = GroupingMembership.objects.create(
        grouping=grouping, organization=organization, joined_on=joined_on
    )
    audit_record(
        actor=acting_user,
        action="grouping.member_add",
        obj=grouping,
        changes={"member": [None, organization.pk], "joined_on": [None, str(joined_on)]},
    )
    return membership


@transaction.atomic
def grouping_member_end(
    *, membership: GroupingMembership, left_on: dt.date, acting_user: Actor
) -> GroupingMembership:
    row = (
        GroupingMembership.objects.select_for_update()
        .select_related("grouping")
        .get(pk=membership.pk)
    )
    GROUPING.require(acting_user, row.grouping)
    if row.left_on is not None:
        raise ValidationError(_("This membership has already ended."))
    if row.joined_on is not None and left_on <= row.joined_on:
        raise ValidationError({"left_on": _("A member leaves after the day it joined.")})
    row.left_on = left_on
    row.save(update_fields=["left_on"])
    audit_record(
        actor=acting_user,
        action="grouping.member_end",
        obj=row.grouping,
        changes={
            "member": [row.organization_id, row.organization_id],
            "left_on": [None, str(left_on)],
        },
    )
    return row
