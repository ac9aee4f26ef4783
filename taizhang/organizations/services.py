"""Writes to the organization tree. The only code that sets ``path`` and ``depth``."""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.versions import require_version
from taizhang.organizations.models import (
    PARENT_KINDS,
    ROOT_ONLY_KINDS,
    SEGMENT_WIDTH,
    Grouping,
    GroupingMembership,
    Organization,
    OrganizationVersion,
    OrgKind,
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
    version: int | None = None,
) -> Organization:
    """Rename from a date. ``version``: the one the renaming page showed; a change
    since is refused (``StaleEdit``), not overwritten."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    ORGANIZATION.require(acting_user, org)
    require_version(org, version)
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


# --- a whole tree from a file ----------------------------------------------------------

# Rows per INSERT and ids per IN (...): below SQLite's oldest variable limit (999).
IMPORT_BATCH = 900


@dataclass(frozen=True)
class OrganizationIn:
    """A new unit of an imported tree. Its parent is an existing unit (``parent_id``) or
    a unit created earlier in the same rows (``parent_code``); neither means the root."""

    code: str
    name: str
    kind: str
    short_name: str = ""
    parent_id: int | None = None
    parent_code: str = ""


_KINDS = frozenset(OrgKind.values)


@functools.cache
def _max_length(name: str) -> int:
    field = Organization._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return int(field.max_length)


def field_problems(*, code: str, name: str, short_name: str, kind: str) -> dict[str, str]:
    """What ``full_clean`` would refuse in a unit's own fields, keyed by field, without
    a query: an import checks 50,000 rows with it before anything is written."""
    problems: dict[str, str] = {}
    limits = {"code": code, "name": name, "short_name": short_name or name}
    for key, value in limits.items():
        limit = _max_length(key)
        if len(value) > limit:
            problems[key] = _("Write at most %(limit)d characters.") % {"limit": limit}
    if not code:
        problems["code"] = _("Give the organization a code.")
    if not name:
        problems["name"] = _("Give the organization a name.")
    if kind not in _KINDS:
        problems["kind"] = _("Pick one of the organization kinds.")
    return problems


def _chunks(values: Sequence[Any], size: int = IMPORT_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _allocate_ids(count: int) -> list[int]:
    """Ids for ``count`` new organizations, taken before they are inserted: a path is
    made of ids (ADR 0001), so knowing them first lets every path be computed in memory
    and written by one bulk insert. Called under the tree lock."""
    if count == 0:
        return []
    table = Organization._meta.db_table
    pk_column = Organization._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence hands out the ids, so a unit created meanwhile takes none of them.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX({pk_column}), 0) FROM {quoted}")  # noqa: S608
        top = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never reuses the id of a deleted unit; neither does an import
            # (its audit history stays its own). The IMMEDIATE transaction holds the write
            # lock, so no other writer takes these ids meanwhile.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is not None:
                top = max(top, int(row[0]))
    return list(range(top + 1, top + 1 + count))


@transaction.atomic
def organization_import(
    *, rows: Sequence[OrganizationIn], source: str, acting_user: Actor
) -> list[int]:
    """Create a tree of units at once (an imported org chart): one audit event.

    ``rows`` come parent first. Every row is checked as ``organization_create`` checks
    it (manage on an existing parent, an open parent, the kind rules, unique codes, the
    root by the system actor only); one refused row raises and the transaction writes
    nothing. The paths and depths are computed in memory from ids taken in advance
    under the tree lock, and the units and their first versions are bulk inserted in
    that order. Returns the new ids in the order of ``rows``.
    """
    _lock_tree()
    parents: dict[int, Organization] = {}
    wanted = sorted({row.parent_id for row in rows if row.parent_id is not None})
    for chunk in _chunks(wanted):
        parents.update(Organization.objects.in_bulk(list(chunk)))
    for parent in parents.values():
        ORGANIZATION.require_org(acting_user, parent)
        _require_open(parent)
    codes = [row.code for row in rows]
    repeated = sorted(code for code, times in Counter(codes).items() if times > 1)
    if repeated:
        raise ValidationError(
            _("These codes appear more than once: %(codes)s.") % {"codes": "、".join(repeated[:5])}
        )
    taken: list[str] = []
    for chunk in _chunks(codes):
        taken += Organization.objects.filter(code__in=chunk).values_list("code", flat=True)
    if taken:
        raise ValidationError(
            _("These codes are already in use: %(codes)s.") % {"codes": "、".join(taken[:5])}
        )
    roots = [row for row in rows if row.parent_id is None and not row.parent_code]
    if roots:
        ORGANIZATION.require_org(acting_user, None)
        if len(roots) > 1 or Organization.objects.exists():
            raise ValidationError(_("Only one root organization is allowed."))
    ids = _allocate_ids(len(rows))
    today = _today()
    # What a later row needs of a new parent: its id, path and kind (not the instance,
    # so 50,000 new units do not stay in memory at once).
    placed: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(rows), IMPORT_BATCH):
        batch: list[Organization] = []
        for row, pk in zip(rows[start : start + IMPORT_BATCH], ids[start:], strict=False):
            batch.append(_place(row, pk, parents, placed))
        Organization.objects.bulk_create(batch)
        OrganizationVersion.objects.bulk_create(
            OrganizationVersion(
                organization_id=org.pk,
                parent_id=org.parent_id,
                name=org.name,
                short_name=org.short_name,
                valid_from=today,
                reason="imported",
            )
            for org in batch
        )
    # No metric counts organizations today; the report keeps roll-ups right if one does.
    rows_written(Organization, ids)
    audit_record(
        actor=acting_user,
        action="organization.import",
        object_type=Organization._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(ids), "source": source, "ids": [ids[0], ids[-1]]}
        if ids
        else {"count": 0, "source": source},
    )
    return ids


def _place(
    row: OrganizationIn,
    pk: int,
    parents: dict[int, Organization],
    placed: dict[str, tuple[int, str, str]],
) -> Organization:
    """The unsaved unit of ``row`` with its final path and depth."""
    problems = field_problems(
        code=row.code, name=row.name, short_name=row.short_name, kind=row.kind
    )
    if problems:
        raise ValidationError({key: f"{row.code}：{message}" for key, message in problems.items()})
    parent_id: int | None = None
    parent_path = ""
    if row.parent_id is not None:
        parent = parents.get(row.parent_id)
        if parent is None:
            raise ValidationError(
                _("%(code)s: its parent organization no longer exists.") % {"code": row.code}
            )
        parent_id, parent_path = parent.pk, parent.path
        check_kind(row.kind, parent)
    elif row.parent_code:
        found = placed.get(row.parent_code)
        if found is None:
            raise ValidationError(
                _("%(code)s: its parent %(parent)s must come before it.")
                % {"code": row.code, "parent": row.parent_code}
            )
        parent_id, parent_path, parent_kind = found
        check_kind(row.kind, Organization(kind=parent_kind))
    path = parent_path + encode_segment(pk)
    placed[row.code] = (pk, path, row.kind)
    return Organization(
        pk=pk,
        parent_id=parent_id,
        path=path,
        depth=len(path) // SEGMENT_WIDTH,
        kind=row.kind,
        code=row.code,
        name=row.name,
        short_name=row.short_name or row.name,
    )


# Below this many separate subtrees, references are looked up by path range (one query
# per relation); above it, by ids in chunks.
RANGE_LOOKUPS = 50


def _tops(units: Sequence[Organization]) -> list[Organization]:
    """The units of ``units`` whose parent is not among them: where their subtrees start."""
    paths = {unit.path for unit in units}
    return [u for u in units if not any(p in paths for p in u.ancestor_paths())]


def _in_subtrees(tops: Sequence[Organization], prefix: str = "") -> models.Q:
    key = f"{prefix}__path" if prefix else "path"
    q = models.Q(pk__in=[])
    for top in tops:
        lower, upper = top.subtree_bounds
        q |= models.Q(**{f"{key}__gte": lower, f"{key}__lt": upper})
    return q


def organization_references(units: Sequence[Organization]) -> list[tuple[str, int]]:
    """What else refers to ``units`` (persons, grants, ledger rows, a unit outside them
    placed below one…), as (what, how many), found through every relation to
    ``Organization``: organizations imports no ledger, so it asks the models.

    Units put below them since the import are counted first; with none, the subtrees
    starting at ``units``' tops hold exactly ``units``, so every other relation is
    asked once per relation by path range (or by ids in chunks for many subtrees).
    """
    wanted = {unit.pk for unit in units}
    ordered = sorted(wanted)
    found: list[tuple[str, int]] = []
    below = 0
    for chunk in _chunks(ordered):
        below += sum(
            1
            for pk in Organization.objects.filter(parent_id__in=chunk).values_list("pk", flat=True)
            if pk not in wanted
        )
    if below:
        return [(str(Organization._meta.verbose_name_plural), below)]
    tops = _tops(units)
    relations = [
        f
        for f in Organization._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]
    for relation in relations:
        model: Any = relation.related_model
        name = relation.field.name  # type: ignore[union-attr]
        if model is Organization or (model is OrganizationVersion and name == "organization"):
            continue  # the units themselves, and their versions, which go with them
        rows = model._base_manager.all()
        count = 0
        if len(tops) <= RANGE_LOOKUPS:
            matching = rows.filter(_in_subtrees(tops, name))
            if model is OrganizationVersion:  # another unit's history naming one as parent
                matching = matching.exclude(_in_subtrees(tops, "organization"))
            count = matching.count()
        else:
            for chunk in _chunks(ordered):
                refs = rows.filter(**{f"{name}__in": chunk})
                if model is OrganizationVersion:
                    count += sum(
                        1 for o in refs.values_list("organization_id", flat=True) if o not in wanted
                    )
                else:
                    count += refs.count()
        if count:
            found.append((str(model._meta.verbose_name_plural), count))
    return found


@transaction.atomic
def organization_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the units an import created (its batch is being undone): one audit event.

    Refused while anything refers to them (a person, a grant, a ledger row, a unit put
    under them since): removing them would take that record's organization away.
    """
    _lock_tree()
    units: list[Organization] = []
    for chunk in _chunks(sorted(set(ids))):
        units += Organization.objects.filter(pk__in=chunk).only("pk", "path", "depth")
    for unit in units:
        ORGANIZATION.require(acting_user, unit)
    references = organization_references(units)
    if references:
        uses = "、".join(f"{what} {count}" for what, count in references)
        raise ValidationError(
            _(
                "The imported organizations are in use (%(uses)s) and cannot be removed. "
                "Move or remove those records first, or keep the organizations."
            )
            % {"uses": uses}
        )
    present = [unit.pk for unit in units]
    with rows_changing(Organization, present):
        # Nothing refers to the units but their own versions and children (checked
        # above), so plain deletes do: children first, as the parent key protects.
        for chunk in _chunks(present):
            OrganizationVersion.objects.filter(organization_id__in=chunk)._raw_delete(
                connection.alias
            )
        for depth in sorted({unit.depth for unit in units}, reverse=True):
            level = [unit.pk for unit in units if unit.depth == depth]
            for chunk in _chunks(level):
                Organization.objects.filter(pk__in=chunk)._raw_delete(connection.alias)
    audit_record(
        actor=acting_user,
        action="organization.import_undo",
        object_type=Organization._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(present), "source": source},
    )
    return len(present)


@transaction.atomic
def organization_change_kind(
    *, organization: Organization, kind: str, acting_user: Actor
) -> Organization:
    """Correct a unit's kind (a 党总支 recorded as a 党支部): the kind rules must hold
    for it under its parent and for its children under it."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    ORGANIZATION.require(acting_user, org)
    _refuse_closed(org)
    if org.kind == kind:
        return org
    check_kind(kind, org.parent)
    refuse_kind_for_children(
        kind, Organization.objects.filter(parent=org).values_list("kind", flat=True)
    )
    before = snapshot(org, AUDITED_FIELDS)
    org.kind = kind
    org.full_clean(exclude=["path", "depth"])
    org.save(update_fields=["kind"])
    audit_record(
        actor=acting_user,
        action="organization.change_kind",
        obj=org,
        changes=diff(before, snapshot(org, AUDITED_FIELDS)),
    )
    return org


def refuse_kind_for_children(kind: str, child_kinds: Any) -> None:
    """Refuse ``kind`` for a unit whose children's kinds need another parent kind."""
    for child_kind in set(child_kinds):
        allowed = PARENT_KINDS.get(child_kind)
        if allowed is not None and kind not in allowed:
            raise ValidationError({"kind": _("Its subordinate units cannot sit under this kind.")})
