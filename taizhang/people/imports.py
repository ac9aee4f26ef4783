"""The people register in Excel: the columns its export writes and its import reads.

A row is a person with their current positions and Party membership. It names an
existing person by its 编号 (an edited export), else by the ID number, else by name
within its organization; a person found is changed through the module's own services
(``person_update``, ``position_assign``, ``membership_set``) only where the file differs,
and a person not found is recorded through ``person_import`` with the others in one
audited write. So the same person in another file is updated or unchanged, never
recorded twice.

An empty cell leaves what is recorded as it is (an import never clears a value or ends
a position), and so does a masked cell: an export taken without the personal-data
right writes 138****5678, and that value read back means "unchanged", never a new
number. Mobile and ID numbers appear masked in every message and in the preview.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from taizhang.core.crypto import equals
from taizhang.core.exports import DATE, INTEGER
from taizhang.core.imports import BOOLEAN, CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.core.masking import mask_id_number, mask_mobile
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.models import Organization
from taizhang.people.models import (
    Gender,
    MembershipStatus,
    PartyMembership,
    Person,
    Position,
    PositionTitle,
)
from taizhang.people.permissions import MANAGE, PERSON, VIEW
from taizhang.people.services import (
    membership_set,
    person_import,
    person_import_undo,
    person_update,
    position_assign,
)

KIND = "people.person"
PERSONAL_KEYS = ("mobile", "id_number")
MOBILE = re.compile(r"^1\d{10}$")
ID_NUMBER = re.compile(r"^(\d{17}[\dX]|\d{15})$")
CHUNK = 2000  # keys per IN (…) query: far below every database's parameter limit

FIELDS = (
    Field(
        "id",
        pgettext_lazy("people column", "No."),
        INTEGER,
        help=gettext_lazy("empty for a new person"),
    ),
    Field(
        "org_code",
        pgettext_lazy("people column", "organization code"),
        help=gettext_lazy(
            "the code of the unit that keeps the record; or leave it empty and write its name"
        ),
    ),
    Field(
        "org",
        pgettext_lazy("people column", "organization"),
        width=18,
        help=gettext_lazy("the unit that keeps the record, when its name is unique"),
    ),
    Field("name", pgettext_lazy("person", "name"), required=True),
    Field("gender", gettext_lazy("gender"), CHOICE, required=True, choices=lambda: Gender.choices),
    Field(
        "mobile",
        gettext_lazy("mobile number"),
        width=14,
        help=gettext_lazy("11 digits; a masked number (138****5678) leaves the recorded one"),
        aliases=("手机号",),
    ),
    Field(
        "id_number",
        gettext_lazy("ID number"),
        width=21,
        help=gettext_lazy(
            "18 characters, the last may be X; a masked number leaves the recorded one"
        ),
        aliases=("身份证号码",),
    ),
    Field("birth_date", gettext_lazy("date of birth"), DATE),
    Field("is_external", pgettext_lazy("people column", "external person"), BOOLEAN),
    Field(
        "affiliation",
        pgettext_lazy("people column", "affiliation"),
        width=18,
        help=gettext_lazy("an external person's own unit"),
        aliases=("所在单位",),
    ),
    Field(
        "titles",
        gettext_lazy("position"),
        CHOICE,
        many=True,
        choices=lambda: PositionTitle.choices,
        help=gettext_lazy("positions held now; listed ones already held are left as they are"),
    ),
    Field(
        "position_orgs",
        pgettext_lazy("people column", "position held in"),
        many=True,
        width=18,
        help=gettext_lazy(
            "one unit per position, in the same order (or one for all); empty: the "
            "person's organization"
        ),
    ),
    Field(
        "position_dates",
        pgettext_lazy("people column", "position held from"),
        DATE,
        many=True,
        width=22,
        help=gettext_lazy("one date per position, in the same order (or one for all)"),
    ),
    Field(
        "branch",
        pgettext_lazy("people column", "Party organization"),
        width=18,
        help=gettext_lazy("the member's branch, by code or name; empty for a non-member"),
        aliases=("所在支部",),
    ),
    Field("joined_on", pgettext_lazy("party", "joined on"), DATE),
    Field(
        "membership_status",
        pgettext_lazy("people column", "member status"),
        CHOICE,
        choices=lambda: MembershipStatus.choices,
    ),
)

# The person's own details an import may change, in the order of the columns.
COMPARED = (
    "organization",
    "name",
    "gender",
    "mobile",
    "id_number",
    "birth_date",
    "is_external",
    "affiliation",
)
_COLUMN_OF = {"organization": "org_code", "is_external": "is_external"}


def _mask(key: str, value: str) -> str:
    return mask_mobile(value) if key == "mobile" else mask_id_number(value)


def _masked(value: str) -> bool:
    return "*" in value


def _mobile(row: Row) -> str:
    return str(row.get("mobile") or "").replace(" ", "").replace("-", "")


def _id_number(row: Row) -> str:
    return str(row.get("id_number") or "").replace(" ", "").upper()


def _names(org: Organization) -> set[str]:
    """What a file may write for ``org``: its code, its name or its short name."""
    return {org.code, org.name, org.short_name}


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(values, key=str)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass
class Entry:
    """A position named in a row: its title, the unit as written, the first day."""

    title: str
    org_text: str
    start_date: dt.date


@dataclass
class NewPerson:
    row: Row
    values: dict[str, Any]
    positions: list[tuple[str, Organization, dt.date]] = field(default_factory=list)
    membership: dict[str, Any] | None = None


@dataclass
class Change:
    row: Row
    person: Person
    fields: dict[str, Any] = field(default_factory=dict)
    positions: list[tuple[str, Organization, dt.date]] = field(default_factory=list)
    membership: dict[str, Any] | None = None


class _Known:
    """The persons a file may name, loaded in a few queries for the whole file."""

    def __init__(self, actor: Any, rows: Sequence[Row]) -> None:
        related = ("organization", "membership__branch")
        ids = {r.get("id") for r in rows if r.get("id")}
        self.by_pk: dict[int, Person] = {}
        for chunk in _chunks(ids):
            for person in (
                PERSON.queryset(actor, VIEW).filter(pk__in=chunk).select_related(*related)
            ):
                self.by_pk[person.pk] = person
        # Candidates first as bare keys: a file matched by ID number needs no lookup by
        # name, and only the candidates are loaded whole.
        managed = PERSON.queryset(actor, MANAGE)
        numbers = {n for r in rows if (n := _id_number(r)) and ID_NUMBER.match(n)}
        number_pks: dict[str, list[int]] = {}
        for chunk in _chunks(numbers):
            for pk, number in managed.filter(equals(Person, "id_number", chunk)).values_list(
                "pk", "id_number"
            ):
                number_pks.setdefault(number.upper(), []).append(pk)
        names = {
            (r.get("name") or "").strip()
            for r in rows
            if not r.get("id") and _id_number(r) not in number_pks
        } - {""}
        name_pks: dict[tuple[str, int], list[int]] = {}
        for chunk in _chunks(names):
            for pk, name, org_id in managed.filter(name__in=chunk).values_list(
                "pk", "name", "organization_id"
            ):
                name_pks.setdefault((name, org_id), []).append(pk)
        wanted = {pk for pks in (*number_pks.values(), *name_pks.values()) for pk in pks}
        loaded: dict[int, Person] = {}
        for chunk in _chunks(wanted):
            for person in Person.objects.filter(pk__in=chunk).select_related(*related):
                loaded[person.pk] = person
        self.by_number: dict[str, list[Person]] = {
            number: [loaded[pk] for pk in sorted(pks)] for number, pks in number_pks.items()
        }
        self.by_name: dict[tuple[str, int], list[Person]] = {
            key: [loaded[pk] for pk in sorted(pks)] for key, pks in name_pks.items()
        }
        everyone = {**loaded, **self.by_pk}
        self.positions: dict[int, list[Position]] = {}
        for chunk in _chunks(everyone):
            for position in Position.objects.filter(person_id__in=chunk).select_related(
                "organization"
            ):
                self.positions.setdefault(position.person_id, []).append(position)
        self.manage_scope = PERSON.scope(actor, MANAGE)
        self.system = self.manage_scope.unrestricted

    def manageable(self, person: Person) -> bool:
        return self.system or self.manage_scope.covers(person.organization)


def _membership_of(person: Person) -> PartyMembership | None:
    membership: PartyMembership | None = getattr(person, "membership", None)
    return membership


class PersonImporter(Importer):
    kind = KIND
    label = gettext_lazy("People")
    permission = MANAGE
    fields = FIELDS
    order = 20

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "name": _("Zhang Wei"),
                "gender": Gender.MALE.label,
                "mobile": "13800000000",
                "birth_date": dt.date(1980, 5, 1),
                "is_external": "否",
                "titles": [PositionTitle.SECRETARY.label],
                "position_dates": [dt.date(2021, 1, 1)],
                "branch": "3201",
                "joined_on": dt.date(2005, 7, 1),
                "membership_status": MembershipStatus.FULL.label,
            },
            {
                "org_code": "3201",
                "name": _("Li Na"),
                "gender": Gender.FEMALE.label,
                "is_external": "是",
                "affiliation": _("District hospital"),
            },
        ]

    # --- prepare ---------------------------------------------------------------------

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        self._mask_errors(ctx)
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        texts: set[str] = set()
        for r in rows:
            texts |= {r.get("org_code") or r.get("org") or "", r.get("branch") or ""}
            texts |= set(r.get("position_orgs") or [])
        orgs.preload(texts)
        known = _Known(ctx.actor, rows)
        create: list[NewPerson] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        unchanged = 0
        seen_persons: dict[int, int] = {}
        seen_numbers: dict[str, int] = {}
        seen_new: dict[tuple[str, int], int] = {}
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            errors = len(ctx.errors)
            values = self._values(row, ctx)
            entries = self._entries(row, ctx)
            if values is None or entries is None:
                continue
            number = values["id_number"]
            if number and not _masked(number):
                if number in seen_numbers:
                    self._personal_error(
                        ctx,
                        row,
                        "id_number",
                        _("The same ID number is on row %(row)d of this file.")
                        % {"row": seen_numbers[number]},
                    )
                    continue
                seen_numbers[number] = row.number
            person = self._find(row, values, ctx, known, orgs)
            if len(ctx.errors) > errors:
                continue
            if person is not None:
                if person.pk in seen_persons:
                    ctx.error(
                        row,
                        "name",
                        _("This person is also on row %(row)d of this file.")
                        % {"row": seen_persons[person.pk]},
                    )
                    continue
                seen_persons[person.pk] = row.number
                change = self._change(row, person, values, entries, ctx, known, orgs)
                if change is None:
                    continue
                if change.fields or change.positions or change.membership:
                    update.append(change)
                    preview.append((row.number, "update", self._summary(change)))
                else:
                    unchanged += 1
                continue
            new = self._new(row, values, entries, ctx, orgs)
            if new is None:
                continue
            organization = new.values["organization"]
            if not new.values["id_number"]:
                key = (new.values["name"], organization.pk)
                if key in seen_new:
                    ctx.error(
                        row,
                        "name",
                        _(
                            "A person of this name in this organization is also on row "
                            "%(row)d; write their ID numbers to tell them apart."
                        )
                        % {"row": seen_new[key]},
                    )
                    continue
                seen_new[key] = row.number
            create.append(new)
            preview.append(
                (row.number, "create", f"{new.values['name']} · {organization.short_name}")
            )
        return Plan(create=create, update=update, unchanged=unchanged, preview=preview)

    def _mask_errors(self, ctx: Context) -> None:
        """The reader's own messages (a formula in the mobile column…) show the cell as
        typed; a personal number is never shown in clear."""
        titles = {self.field(key).title: key for key in PERSONAL_KEYS}
        ctx.errors[:] = [
            replace(e, value=_mask(titles[e.column], e.value)) if e.column in titles else e
            for e in ctx.errors
        ]

    def _personal_error(self, ctx: Context, row: Row, key: str, message: str) -> None:
        ctx.error(row, key, message, value=_mask(key, row.raw.get(key, "")))

    def _values(self, row: Row, ctx: Context) -> dict[str, Any] | None:
        """The person's own cells, checked; None (with the errors) when one is wrong.
        ``None`` as a value means the cell was empty."""
        ok = True
        mobile = _mobile(row)
        if mobile and not _masked(mobile) and not MOBILE.match(mobile):
            self._personal_error(ctx, row, "mobile", _("Write an 11-digit mobile number."))
            ok = False
        number = _id_number(row)
        if number and not _masked(number) and not ID_NUMBER.match(number):
            self._personal_error(
                ctx,
                row,
                "id_number",
                _("Write the 18-character ID number (the last character may be X)."),
            )
            ok = False
        affiliation = row.get("affiliation")
        values = {
            "name": (row.get("name") or "").strip(),
            "gender": row.get("gender"),
            "mobile": mobile or None,
            "id_number": number or None,
            "birth_date": row.get("birth_date"),
            "is_external": row.get("is_external"),
            "affiliation": affiliation.strip() if affiliation else None,
        }
        return values if ok else None

    def _entries(self, row: Row, ctx: Context) -> list[Entry] | None:
        """The positions a row names: 职务, 任职组织 and 任职日期 read side by side."""
        titles = row.get("titles") or []
        places = row.get("position_orgs") or []
        dates = row.get("position_dates") or []
        if not titles:
            if places or dates:
                ctx.error(row, "titles", _("Name the position these belong to."))
                return None
            return []
        ok = True
        if len(places) not in {0, 1, len(titles)}:
            ctx.error(
                row,
                "position_orgs",
                _("Write one unit for each position, in the same order, or one for all."),
            )
            ok = False
        if not dates:
            ctx.error(row, "position_dates", _("Give the date each position began."))
            ok = False
        elif len(dates) not in {1, len(titles)}:
            ctx.error(
                row,
                "position_dates",
                _("Write one date for each position, in the same order, or one for all."),
            )
            ok = False
        if not ok:
            return None
        entries = [
            Entry(
                title=title,
                org_text=(places[i] if len(places) == len(titles) else places[0] if places else ""),
                start_date=dates[i] if len(dates) == len(titles) else dates[0],
            )
            for i, title in enumerate(titles)
        ]
        return entries

    def _org(
        self,
        row: Row,
        key: str,
        text: str,
        ctx: Context,
        orgs: OrganizationMatcher,
        current: Organization | None = None,
    ) -> Organization | None:
        """The unit a cell names; ``current`` when it names that one (no scope check: it
        is what is recorded), or when the cell is empty. None after an error."""
        text = (text or "").strip()
        if current is not None and (not text or text in _names(current)):
            return current
        try:
            return orgs.match(text)
        except Unmatched as error:
            ctx.error(row, key, error)
            return None

    def _find(
        self,
        row: Row,
        values: dict[str, Any],
        ctx: Context,
        known: _Known,
        orgs: OrganizationMatcher,
    ) -> Person | None:
        """The recorded person a row names: by 编号, else ID number, else by name in its
        organization. None when the row is a new person (or after an error)."""
        if row.get("id"):
            person = known.by_pk.get(row.get("id"))
            if person is None:
                ctx.error(row, "id", _("No person with this number within your scope."))
            return person
        number = values["id_number"]
        if number and not _masked(number):
            found = known.by_number.get(number, [])
            if len(found) == 1:
                return found[0]
            if found:
                self._personal_error(
                    ctx,
                    row,
                    "id_number",
                    _(
                        "%(count)d persons in your scope have this ID number; write the "
                        "No. of the one you mean."
                    )
                    % {"count": len(found)},
                )
                return None
        key = "org_code" if row.get("org_code") else "org"
        organization = self._org(row, key, row.get(key) or "", ctx, orgs)
        if organization is None:
            return None
        candidates = known.by_name.get((values["name"], organization.pk), [])
        if number and not _masked(number):
            # Someone of this name with another ID number is another person.
            candidates = [p for p in candidates if not p.id_number]
        if len(candidates) > 1:
            ctx.error(
                row,
                "name",
                _(
                    "%(count)d persons named “%(name)s” are recorded in %(org)s; write the "
                    "ID number or the No. of the one you mean."
                )
                % {"count": len(candidates), "name": values["name"], "org": organization.name},
            )
            return None
        return candidates[0] if candidates else None

    def _positions(
        self,
        row: Row,
        entries: Sequence[Entry],
        home: Organization,
        ctx: Context,
        orgs: OrganizationMatcher,
        held: Sequence[Position] = (),
    ) -> list[tuple[str, Organization, dt.date]] | None:
        """The positions to appoint: the entries not already held (open, same title, same
        unit), resolved and checked as ``position_assign`` checks them."""
        wanted: list[tuple[str, Organization, dt.date]] = []
        ok = True
        for entry in entries:
            text = entry.org_text or home.code
            if any(
                p.end_date is None and p.title == entry.title and text in _names(p.organization)
                for p in held
            ):
                continue
            organization = self._org(row, "position_orgs", text, ctx, orgs, current=None)
            if organization is None:
                ok = False
                continue
            clash = [w for w in wanted if w[0] == entry.title and w[1].pk == organization.pk]
            overlapping = [
                p
                for p in held
                if p.title == entry.title
                and p.organization_id == organization.pk
                and (p.end_date is None or p.end_date >= entry.start_date)
            ]
            if clash or overlapping:
                ctx.error(
                    row,
                    "titles",
                    _("This person already holds this position in this organization then."),
                )
                ok = False
                continue
            wanted.append((entry.title, organization, entry.start_date))
        return wanted if ok else None

    def _membership(
        self,
        row: Row,
        ctx: Context,
        orgs: OrganizationMatcher,
        current: PartyMembership | None = None,
    ) -> dict[str, Any] | None:
        """The membership to set; None when nothing changes or after an error."""
        branch_text = (row.get("branch") or "").strip()
        joined_on = row.get("joined_on")
        status = row.get("membership_status")
        if not branch_text:
            if joined_on or status:
                ctx.error(row, "branch", _("Name the member's Party organization."))
            return None
        if joined_on is None:
            ctx.error(row, "joined_on", _("Give the date the member joined the Party."))
            return None
        if current is not None:
            status = status or current.status
            if (
                branch_text in _names(current.branch)
                and joined_on == current.joined_on
                and status == current.status
            ):
                return None
        if current is not None and branch_text in _names(current.branch):
            # Setting the membership needs the branch managed, even when it stays.
            branch_text = current.branch.code
        branch = self._org(row, "branch", branch_text, ctx, orgs)
        if branch is None:
            return None
        return {"branch": branch, "joined_on": joined_on, "status": status or MembershipStatus.FULL}

    def _change(
        self,
        row: Row,
        person: Person,
        values: dict[str, Any],
        entries: list[Entry],
        ctx: Context,
        known: _Known,
        orgs: OrganizationMatcher,
    ) -> Change | None:
        """What a row changes on a recorded person; None after an error."""
        errors = len(ctx.errors)
        change = Change(row, person)
        key = "org_code" if row.get("org_code") else "org"
        organization = self._org(row, key, row.get(key) or "", ctx, orgs, person.organization)
        proposed: dict[str, Any] = {"organization": organization}
        for name in ("name", "gender", "birth_date", "is_external", "affiliation"):
            proposed[name] = values[name]
        for name in PERSONAL_KEYS:
            value = values[name]
            if value and _masked(value):
                if value != _mask(name, getattr(person, name)):
                    self._personal_error(
                        ctx,
                        row,
                        name,
                        _(
                            "This number is masked and is not the one recorded; write it in "
                            "full or leave the value as exported."
                        ),
                    )
                continue
            proposed[name] = value
        number = proposed.get("id_number")
        if number and number != person.id_number.upper():
            others = [p for p in known.by_number.get(number, []) if p.pk != person.pk]
            if others:
                self._personal_error(
                    ctx, row, "id_number", _("Another person in your scope has this ID number.")
                )
        change.fields = {
            k: v
            for k, v in proposed.items()
            if v is not None and v != "" and getattr(person, k) != v
        }
        if "id_number" in change.fields and change.fields["id_number"] == person.id_number.upper():
            del change.fields["id_number"]
        home = change.fields.get("organization", person.organization)
        positions = self._positions(
            row, entries, home, ctx, orgs, held=known.positions.get(person.pk, [])
        )
        membership = self._membership(row, ctx, orgs, _membership_of(person))
        if len(ctx.errors) > errors or positions is None:
            return None
        change.positions = positions
        change.membership = membership
        if (change.fields or change.membership) and not known.manageable(person):
            ctx.error(
                row,
                "name",
                _("%(name)s is kept by %(org)s; only its clerks can change the record.")
                % {"name": person.name, "org": person.organization.name},
            )
            return None
        if change.fields and not self._valid(row, {**_current(person), **change.fields}, ctx):
            return None
        return change

    def _new(
        self,
        row: Row,
        values: dict[str, Any],
        entries: list[Entry],
        ctx: Context,
        orgs: OrganizationMatcher,
    ) -> NewPerson | None:
        errors = len(ctx.errors)
        for name in PERSONAL_KEYS:
            if values[name] and _masked(values[name]):
                self._personal_error(
                    ctx,
                    row,
                    name,
                    _("A masked number cannot be recorded; write it in full or leave it empty."),
                )
        key = "org_code" if row.get("org_code") else "org"
        organization = self._org(row, key, row.get(key) or "", ctx, orgs)
        if organization is None:
            return None
        person = {
            "organization": organization,
            "name": values["name"],
            "gender": values["gender"],
            "mobile": values["mobile"] or "",
            "id_number": values["id_number"] or "",
            "birth_date": values["birth_date"],
            "is_external": bool(values["is_external"]),
            "affiliation": values["affiliation"] or "",
        }
        positions = self._positions(row, entries, organization, ctx, orgs)
        membership = self._membership(row, ctx, orgs)
        if len(ctx.errors) > errors or positions is None:
            return None
        if not self._valid(row, person, ctx):
            return None
        return NewPerson(row, person, positions, membership)

    def _valid(self, row: Row, values: dict[str, Any], ctx: Context) -> bool:
        """The checks ``person_create`` and ``person_update`` make (``full_clean``),
        answered per row before anything is written."""
        try:
            Person(**values).clean_fields(exclude=["organization"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = _COLUMN_OF.get(name, name)
                message = "；".join(messages)
                if column in PERSONAL_KEYS:
                    self._personal_error(ctx, row, column, message)
                else:
                    ctx.error(row, column if column in ctx.fields else "name", message)
            return False
        return True

    def _summary(self, change: Change) -> str:
        """What an update changes, by column: never the values (they may be personal)."""
        columns = [
            str(self.field("org" if k == "organization" else k).header)
            for k in COMPARED
            if k in change.fields
        ]
        if change.positions:
            columns.append(str(self.field("titles").header))
        if change.membership:
            columns.append(str(self.field("branch").header))
        return f"{change.person.name} · {'、'.join(columns)}"

    # --- commit and undo -------------------------------------------------------------

    def commit(self, plan: Plan, ctx: Context) -> Written:
        new: list[NewPerson] = plan.create
        created = (
            person_import(
                persons=[n.values for n in new],
                memberships=[
                    {"person": i, **n.membership} for i, n in enumerate(new) if n.membership
                ],
                positions=[
                    {"person": i, "title": t, "organization": o, "start_date": d}
                    for i, n in enumerate(new)
                    for t, o, d in n.positions
                ],
                source=ctx.source,
                acting_user=ctx.actor,
            )
            if new
            else []
        )
        person_ids = [p.pk for p in created]
        position_ids: list[int] = []
        member_ids: list[int] = []
        for chunk in _chunks(person_ids):
            position_ids += Position.objects.filter(person_id__in=chunk).values_list(
                "pk", flat=True
            )
            member_ids += PartyMembership.objects.filter(person_id__in=chunk).values_list(
                "pk", flat=True
            )
        updated: list[int] = []
        members_updated: list[int] = []
        total = len(plan.create) + len(plan.update)
        for done, change in enumerate(plan.update, start=1):
            if change.fields:
                person_update(person=change.person, acting_user=ctx.actor, **change.fields)
                updated.append(change.person.pk)
            for title, organization, start_date in change.positions:
                position = position_assign(
                    person=change.person,
                    organization=organization,
                    title=title,
                    start_date=start_date,
                    acting_user=ctx.actor,
                )
                position_ids.append(position.pk)
            if change.membership:
                had = _membership_of(change.person) is not None
                membership = membership_set(
                    person=change.person, acting_user=ctx.actor, **change.membership
                )
                (members_updated if had else member_ids).append(membership.pk)
            ctx.progress(len(created) + done, total)
        return Written(
            created={
                "people.person": person_ids,
                "people.position": sorted(position_ids),
                "people.partymembership": sorted(member_ids),
            },
            updated={"people.person": updated, "people.partymembership": members_updated},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        person_import_undo(
            ids=written.created.get("people.person", []),
            position_ids=written.created.get("people.position", []),
            membership_ids=written.created.get("people.partymembership", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


def _current(person: Person) -> dict[str, Any]:
    return {k: getattr(person, k) for k in COMPARED}


IMPORTER = PersonImporter()


def person_row(person: Person, *, reveal: bool) -> list[Any]:
    """One person as the export writes it (the importer's columns, in order); mobile and
    ID numbers masked unless ``reveal``. Reads ``person.current_positions`` (prefetched)."""
    positions: list[Position] = getattr(person, "current_positions", [])
    membership = _membership_of(person)
    dates = [p.start_date for p in positions]
    return [
        person.pk,
        person.organization.code,
        person.organization.name,
        person.name,
        person.get_gender_display(),
        person.mobile if reveal else person.masked_mobile,
        person.id_number if reveal else person.masked_id_number,
        person.birth_date,
        "是" if person.is_external else "否",
        person.affiliation,
        "、".join(str(p.get_title_display()) for p in positions),
        "、".join(p.organization.name for p in positions),
        dates[0] if len(dates) == 1 else "、".join(f"{d:%Y-%m-%d}" for d in dates),
        membership.branch.name if membership else "",
        membership.joined_on if membership else None,
        membership.get_status_display() if membership else "",
    ]
