"""The organization tree in Excel: the columns its export writes and its import reads.

Rows are identified by 组织编码 and hang from 上级组织编码. A row whose code exists is
that unit (an edited export): its name, short name and kind are compared and changed
through ``organization_rename`` / ``organization_change_kind``; a changed parent is
refused, because a move is a tree operation done on the unit's page. A row with a new
code is a new unit, under an existing unit the importer manages or under another row of
the same file, earlier or later: the rows are put parent first, and a circle of parent
codes or a parent found nowhere is an error on the row. The new units are created
together by ``organization_import`` (one audited bulk write).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.actors import is_system
from taizhang.core.exports import DATE, INTEGER
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.permissions import MANAGE, ORGANIZATION
from taizhang.organizations.services import (
    IMPORT_BATCH,
    OrganizationIn,
    check_kind,
    field_problems,
    organization_change_kind,
    organization_import,
    organization_import_undo,
    organization_rename,
    refuse_kind_for_children,
)

LABEL = "organizations.organization"

FIELDS = (
    Field(
        "code",
        gettext_lazy("organization code"),
        required=True,
        help=gettext_lazy("a code already recorded names that unit; a new code adds a unit"),
    ),
    Field(
        "parent_code",
        gettext_lazy("parent organization code"),
        help=gettext_lazy("a unit in your scope or a row of this file; empty only for the root"),
    ),
    Field("name", gettext_lazy("organization name"), required=True, width=26),
    Field(
        "short_name",
        gettext_lazy("short name"),
        width=16,
        help=gettext_lazy("the full name when left empty"),
    ),
    Field(
        "kind",
        gettext_lazy("organization kind"),
        CHOICE,
        required=True,
        choices=lambda: OrgKind.choices,
    ),
    Field("parent", gettext_lazy("parent organization"), readonly=True, width=20),
    Field("depth", gettext_lazy("level"), INTEGER, readonly=True),
    Field("closed_on", gettext_lazy("closed on"), DATE, readonly=True),
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the import compares of a recorded unit: a light row, not a model instance,
    so a re-imported export of 50,000 units stays small."""

    pk: int
    code: str
    parent_id: int | None
    name: str
    short_name: str
    kind: str
    closed_on: Any


@dataclass
class Change:
    row: Row
    unit: Recorded
    fields: dict[str, Any]


@dataclass(slots=True)
class Entry:
    """One row of the file as the tree sees it."""

    row: Row
    code: str
    parent_code: str
    name: str
    short_name: str
    kind: str
    existing: Recorded | None = None
    recorded: bool = False  # the code is in use, in the scope or not
    bad: bool = False
    parent: Recorded | None = None  # a new unit's existing parent
    children: list[Entry] = field(default_factory=list)  # new units under this row


class _Kind:
    """What ``check_kind`` reads of a parent: its kind (as the file leaves it)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


class OrganizationImporter(Importer):
    kind = LABEL
    label = gettext_lazy("Organizations")
    permission = MANAGE
    fields = FIELDS
    order = 10

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "code": "320101",
                "parent_code": "3201",
                "name": _("Linxi Community Party Committee"),
                "short_name": _("Linxi Community"),
                "kind": OrgKind.COMMITTEE.label,
            },
            {
                "code": "32010101",
                "parent_code": "320101",
                "name": _("First Grid General Branch"),
                "short_name": _("First Grid"),
                "kind": OrgKind.GENERAL_BRANCH.label,
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        entries = self._entries(rows, ctx)
        wanted = set(entries) | {e.parent_code for e in entries.values() if e.parent_code}
        existing, managed, parents = _existing(wanted, ctx.actor)
        kinds = {code: org.kind for code, org in existing.items()}
        kinds.update(dict(parents.values()))
        kinds.update({code: e.kind for code, e in entries.items()})
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        unchanged = 0
        new: list[Entry] = []
        tops: list[Entry] = []
        for index, entry in enumerate(entries.values(), start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(entries))
            org = existing.get(entry.code)
            entry.recorded = org is not None
            if org is not None and org.code not in managed:
                ctx.error(
                    entry.row,
                    "code",
                    _(
                        "The code “%(code)s” is used by an organization outside your scope; "
                        "give the new unit another code."
                    )
                    % {"code": entry.code},
                )
                entry.bad = True
            elif org is not None:
                entry.existing = org
                if not entry.bad:
                    change = self._compare(entry, org, parents, ctx)
                    if change is None:
                        unchanged += 1
                    elif change.fields:
                        update.append(change)
                        preview.append(
                            (
                                entry.row.number,
                                "update",
                                f"{org.code} {org.name} · "
                                + "、".join(
                                    ctx.fields[k].title if k in ctx.fields else k
                                    for k in change.fields
                                ),
                            )
                        )
            else:
                new.append(entry)
        roots = sum(1 for e in new if not e.parent_code)
        roots_allowed = is_system(ctx.actor) and roots == 1 and not Organization.objects.exists()
        for entry in new:
            if entry.bad:
                continue
            if not entry.parent_code:
                if roots_allowed:
                    tops.append(entry)
                else:
                    ctx.error(
                        entry.row,
                        "parent_code",
                        _("Write the code of the parent organization; only the root has none."),
                    )
                    entry.bad = True
                continue
            if entry.parent_code in entries and not entries[entry.parent_code].recorded:
                entries[entry.parent_code].children.append(entry)
                continue
            parent = existing.get(entry.parent_code)
            if parent is None or parent.code not in managed:
                ctx.error(
                    entry.row,
                    "parent_code",
                    _("No organization with the code “%(code)s” within your scope or in this file.")
                    % {"code": entry.parent_code},
                )
                entry.bad = True
                continue
            if parent.closed_on is not None:
                ctx.error(
                    entry.row,
                    "parent_code",
                    _("%(name)s is closed and takes no new units.") % {"name": parent.name},
                )
                entry.bad = True
                continue
            if self._kind_refused(entry, _Kind(kinds[parent.code]), ctx):
                continue
            entry.parent = parent
            if parent.code in entries:  # its kind may change in this file: checked below
                entries[parent.code].children.append(entry)
            tops.append(entry)
        ordered = self._parent_first(tops, ctx)
        self._circles([e for e in new if not e.bad], {id(e) for e in ordered}, entries, ctx)
        self._check_kind_changes(update, entries, kinds, parents, ctx)
        create = [
            OrganizationIn(
                code=e.code,
                name=e.name,
                kind=e.kind,
                short_name=e.short_name,
                parent_id=e.parent.pk if e.parent is not None else None,
                parent_code="" if e.parent is not None else e.parent_code,
            )
            for e in ordered
        ]
        preview += [(e.row.number, "create", f"{e.code} {e.name}") for e in ordered]
        preview.sort()
        return Plan(create=create, update=update, unchanged=unchanged, preview=preview)

    def _entries(self, rows: Sequence[Row], ctx: Context) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        for row in rows:
            code = (row.get("code") or "").strip()
            entry = Entry(
                row=row,
                code=code,
                parent_code=(row.get("parent_code") or "").strip(),
                name=(row.get("name") or "").strip(),
                short_name=(row.get("short_name") or "").strip(),
                kind=row.get("kind") or "",
            )
            if code in entries:
                ctx.error(
                    row,
                    "code",
                    _("The code “%(code)s” is already on row %(row)d of this file.")
                    % {"code": code, "row": entries[code].row.number},
                )
                continue
            problems = field_problems(
                code=code, name=entry.name, short_name=entry.short_name, kind=entry.kind
            )
            for key, message in problems.items():
                ctx.error(row, key, message)
            entry.bad = bool(problems)
            entries[code] = entry
        return entries

    def _compare(
        self,
        entry: Entry,
        org: Recorded,
        parents: dict[int, tuple[str, str]],
        ctx: Context,
    ) -> Change | None:
        """The change an existing unit's row asks for (None: it is as recorded)."""
        current_parent = parents[org.parent_id][0] if org.parent_id is not None else ""
        if entry.parent_code != current_parent:
            ctx.error(
                entry.row,
                "parent_code",
                _(
                    "The parent differs from the recorded one (%(code)s). Move an "
                    "organization on its page in the organization tree: a move is a "
                    "recorded change of the tree."
                )
                % {"code": current_parent or "—"},
            )
            entry.bad = True
            return Change(entry.row, org, {})
        # An empty short name keeps the recorded one rather than clearing it.
        wanted = {
            "name": entry.name,
            "short_name": entry.short_name or org.short_name,
            "kind": entry.kind,
        }
        changed = {k: v for k, v in wanted.items() if getattr(org, k) != v}
        if not changed:
            return None
        if org.closed_on is not None:
            ctx.error(entry.row, "name", _("A closed organization cannot be changed."))
            entry.bad = True
            return Change(entry.row, org, {})
        return Change(entry.row, org, changed)

    def _kind_refused(self, entry: Entry, parent: Any, ctx: Context) -> bool:
        try:
            check_kind(entry.kind, parent)
        except ValidationError as error:
            ctx.error(entry.row, "kind", "；".join(error.messages))
            entry.bad = True
            return True
        return False

    def _parent_first(self, tops: list[Entry], ctx: Context) -> list[Entry]:
        """The new units reachable from an existing parent (or the root), parents
        first, siblings in the order of the file."""
        ordered: list[Entry] = []
        queue = list(tops)
        while queue:
            level: list[Entry] = []
            for entry in queue:
                ordered.append(entry)
                for child in entry.children:
                    if child.bad or self._kind_refused(child, _Kind(entry.kind), ctx):
                        continue
                    level.append(child)
            queue = level
        return ordered

    def _circles(
        self, new: list[Entry], placed: set[int], entries: dict[str, Entry], ctx: Context
    ) -> None:
        """Name the circles among rows no parent reaches. Rows below a refused row are
        left unplaced without an error of their own: the refused row has one."""
        done: set[str] = set()
        for start in new:
            if id(start) in placed or start.code in done:
                continue
            walk: list[str] = []
            entry: Entry | None = start
            while entry is not None and entry.code not in done and entry.code not in walk:
                walk.append(entry.code)
                nxt = entries.get(entry.parent_code)
                entry = nxt if nxt is not None and not nxt.recorded else None
            done.update(walk)
            if entry is None or entry.code not in walk:
                continue
            circle = walk[walk.index(entry.code) :]
            shown = " → ".join([*circle, circle[0]])
            for code in circle:
                ctx.error(
                    entries[code].row,
                    "parent_code",
                    _(
                        "The parent codes go round in a circle (%(circle)s); one of these "
                        "units needs a parent outside it."
                    )
                    % {"circle": shown},
                )

    def _check_kind_changes(
        self,
        update: list[Change],
        entries: dict[str, Entry],
        kinds: dict[str, str],
        parents: dict[int, tuple[str, str]],
        ctx: Context,
    ) -> None:
        """The checks ``organization_change_kind`` makes, with kinds as the file leaves them."""
        changing = [c for c in update if "kind" in c.fields]
        if not changing:
            return
        children: dict[int, list[str]] = {}
        ids = [c.unit.pk for c in changing]
        for start in range(0, len(ids), IMPORT_BATCH):
            for parent_id, code, kind in Organization.objects.filter(
                parent_id__in=ids[start : start + IMPORT_BATCH]
            ).values_list("parent_id", "code", "kind"):
                children.setdefault(parent_id, []).append(kinds.get(code, kind))
        for change in changing:
            org, kind = change.unit, change.fields["kind"]
            below = children.get(org.pk, []) + [
                e.kind for e in entries[org.code].children if not e.bad
            ]
            parent_code = parents[org.parent_id][0] if org.parent_id is not None else ""
            parent = _Kind(kinds[parent_code]) if parent_code else None
            try:
                check_kind(kind, parent)  # type: ignore[arg-type]
                refuse_kind_for_children(kind, below)
            except ValidationError as error:
                ctx.error(change.row, "kind", "；".join(error.messages))
                entries[org.code].bad = True
        update[:] = [c for c in update if not entries[c.unit.code].bad]

    def commit(self, plan: Plan, ctx: Context) -> Written:
        updated: list[int] = []
        units: dict[int, Organization] = {}
        pks = [change.unit.pk for change in plan.update]
        for start in range(0, len(pks), IMPORT_BATCH):
            units.update(Organization.objects.in_bulk(pks[start : start + IMPORT_BATCH]))
        for done, change in enumerate(plan.update, start=1):
            org, fields = units[change.unit.pk], change.fields
            if "name" in fields or "short_name" in fields:
                organization_rename(
                    organization=org,
                    name=fields.get("name", org.name),
                    short_name=fields.get("short_name", org.short_name),
                    reason=ctx.reason[:200],
                    acting_user=ctx.actor,
                )
            if "kind" in fields:
                organization_change_kind(
                    organization=org, kind=fields["kind"], acting_user=ctx.actor
                )
            updated.append(org.pk)
            ctx.progress(done, len(plan.update) + len(plan.create))
        created = (
            organization_import(rows=plan.create, source=ctx.source, acting_user=ctx.actor)
            if plan.create
            else []
        )
        return Written(created={LABEL: created}, updated={LABEL: updated})

    def undo(self, written: Written, ctx: Context) -> None:
        organization_import_undo(
            ids=written.created.get(LABEL, []), source=ctx.source, acting_user=ctx.actor
        )


def _existing(
    codes: Iterable[str], actor: Any
) -> tuple[dict[str, Recorded], set[str], dict[int, tuple[str, str]]]:
    """The recorded units with these codes, whoever may see them (a code is unique in
    the whole tree); the codes among them that ``actor`` manages, asked of the scope
    policy in the database; and the (code, kind) of each one's parent by id."""
    found: dict[str, Recorded] = {}
    managed: set[str] = set()
    wanted = sorted(c for c in codes if c)
    columns = ("pk", "code", "parent_id", "name", "short_name", "kind", "closed_on")
    for start in range(0, len(wanted), IMPORT_BATCH):
        chunk = wanted[start : start + IMPORT_BATCH]
        for values in Organization.objects.filter(code__in=chunk).values_list(*columns):
            found[values[1]] = Recorded(*values)
        managed.update(
            ORGANIZATION.queryset(actor, MANAGE)
            .filter(code__in=chunk)
            .values_list("code", flat=True)
        )
    parents = {org.pk: (org.code, org.kind) for org in found.values()}
    missing = sorted({o.parent_id for o in found.values() if o.parent_id} - set(parents))
    for start in range(0, len(missing), IMPORT_BATCH):
        for pk, code, kind in Organization.objects.filter(
            pk__in=missing[start : start + IMPORT_BATCH]
        ).values_list("pk", "code", "kind"):
            parents[pk] = (code, kind)
    return found, managed, parents


IMPORTER = OrganizationImporter()


def organization_row(org: Organization, kinds: dict[str, str] | None = None) -> list[Any]:
    """One unit as the export writes it (the importer's columns, in order); ``kinds``
    are the kind labels in the export's language, looked up once for many rows."""
    parent = org.parent
    return [
        org.code,
        parent.code if parent is not None else "",
        org.name,
        org.short_name,
        kinds[org.kind] if kinds is not None else org.get_kind_display(),
        parent.name if parent is not None else "",
        org.depth,
        org.closed_on,
    ]
