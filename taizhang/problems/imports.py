"""The problem ledger in Excel: the columns its export writes and its import reads.

A row with a 台账编号 is a problem already on the ledger (an edited export): its
editable details (title, description, kind, category, lead unit, co-units, linked
leader, responsible person, deadline) are compared with the record and changed through
``problem_update`` when they differ. Its owning unit, source, state, step dates,
measures, evidence and verifier are its history: they change on the problem's page, and
a row that changes them is refused, column by column.

A row without a number is a past problem brought in with the steps it went through
(``problem_import``): put on the ledger on its 挂账日期, started, submitted and closed
out on the days the file gives, each step a late entry (补录) with the import's reason.
The state is the one the row names, or the last step it dates. A problem already on the
ledger under the same owning unit, title and 挂账日期 is counted as unchanged.

销号 in a file: the duties kept apart hold for an import as for the button. A row closed
out names its verifier, a person with an account that may sign off for the lead unit,
who is not the responsible person and, unless the kind allows it, not the importing
user (who puts the item on the ledger and submits its evidence here). The importing
user needs the sign-off function on the lead unit as well. A closed-out row that does
not meet these rules is imported up to its last allowed step, 待验收 (awaiting sign-off),
and the preview says why, so the sign-off is given in taizhang by someone who may.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.exports import DATE, INTEGER, clean_text
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.models import Organization
from taizhang.people.matching import PersonMatcher
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import leader_candidates
from taizhang.problems.models import (
    Problem,
    ProblemCategory,
    ProblemKind,
    ProblemSource,
    ProblemState,
    ProblemStep,
    StepAction,
)
from taizhang.problems.permissions import MANAGE, POLICY
from taizhang.problems.selectors import owner_choices, unit_choices
from taizhang.problems.services import (
    ProblemIn,
    SignOffRules,
    default_kind,
    problem_import,
    problem_import_undo,
    problem_in_errors,
    problem_update,
)

LABEL = "problems.problem"
NUMBER = re.compile(r"^WT(\d{4})-(\d+)$")


def _kinds() -> list[tuple[Any, Any]]:
    return [(k.code, k.name) for k in ProblemKind.objects.all()]


FIELDS = (
    Field("row_no", gettext_lazy("Row no."), INTEGER, readonly=True, width=6),
    Field(
        "number",
        gettext_lazy("Ledger number"),
        width=14,
        help=gettext_lazy("empty for a new problem"),
    ),
    Field("title", gettext_lazy("Problem"), required=True, width=36),
    Field("description", gettext_lazy("Problem description"), width=30),
    Field(
        "kind",
        gettext_lazy("Problem kind"),
        CHOICE,
        choices=_kinds,
        width=12,
        help=gettext_lazy("empty: 问题"),
    ),
    Field(
        "source",
        gettext_lazy("Where it came from"),
        CHOICE,
        required=True,
        choices=lambda: ProblemSource.choices,
        width=10,
    ),
    Field(
        "category",
        gettext_lazy("Problem category"),
        CHOICE,
        choices=lambda: ProblemCategory.choices,
        width=10,
    ),
    Field(
        "org",
        gettext_lazy("Owning unit"),
        required=True,
        width=18,
        help=gettext_lazy("the unit's code, or its name when it is unique"),
    ),
    Field(
        "lead_unit",
        gettext_lazy("Lead unit"),
        width=18,
        help=gettext_lazy("empty: the owning unit"),
    ),
    Field("co_units", gettext_lazy("Co-units"), many=True, width=20),
    Field("linked_leader", gettext_lazy("Linked leader"), width=10),
    Field("responsible", gettext_lazy("Responsible person"), width=10),
    Field("deadline", gettext_lazy("Rectification deadline"), DATE, required=True),
    Field("measures", gettext_lazy("Rectification measures"), width=36),
    Field(
        "state",
        gettext_lazy("Ledger state"),
        CHOICE,
        choices=lambda: ProblemState.choices,
        width=10,
        help=gettext_lazy("empty: the last step dated"),
    ),
    Field("raised_on", gettext_lazy("Put on the ledger on"), DATE, required=True),
    Field("started_on", gettext_lazy("Work started on"), DATE),
    Field("submitted_on", gettext_lazy("Submitted for sign-off on"), DATE),
    Field("closed_on", gettext_lazy("Closed out on"), DATE),
    Field(
        "verifier",
        gettext_lazy("Verifier"),
        width=10,
        help=gettext_lazy("who signed off; needs an account that may sign off"),
    ),
    Field("evidence_text", gettext_lazy("Rectification evidence"), width=36),
    Field("overdue", gettext_lazy("Overdue"), readonly=True, width=8),
)

# Details an import may change on a problem already on the ledger (``problem_update``).
EDITABLE = (
    "title",
    "description",
    "kind",
    "category",
    "lead_unit",
    "co_units",
    "linked_leader",
    "responsible",
    "deadline",
)
# Its history: compared, never changed by an import.
HISTORY = (
    "org",
    "source",
    "state",
    "raised_on",
    "started_on",
    "submitted_on",
    "closed_on",
    "verifier",
    "measures",
    "evidence_text",
)


class _Owners(OrganizationMatcher):
    """Owning units: where the importer may put problems (the create form's choices)."""

    def queryset(self) -> Any:
        if self._queryset is None:
            self._queryset = owner_choices(viewer=self.viewer).filter(closed_on__isnull=True)
        return self._queryset


class _Units(OrganizationMatcher):
    """Lead units and co-units: the owners, and the units of the district."""

    def queryset(self) -> Any:
        if self._queryset is None:
            self._queryset = unit_choices(viewer=self.viewer).filter(closed_on__isnull=True)
        return self._queryset


class _Persons(PersonMatcher):
    """Persons from a fixed candidate set (``candidates(viewer)``), named as people
    write them."""

    def __init__(self, viewer: Any, candidates: Any) -> None:
        super().__init__(viewer, among=candidates(viewer))


def _leaders(viewer: Any) -> QuerySet[Person]:
    return leader_candidates()


def _verifiers(viewer: Any) -> QuerySet[Person]:
    """Who may be named as having signed off: persons the importer sees, and the
    leaders every clerk may pick (a district leader signs off a subdistrict's item)."""
    return Person.objects.filter(
        pk__in=PERSON.queryset(viewer).values("pk")
    ) | Person.objects.filter(pk__in=leader_candidates().values("pk"))


@dataclass
class Change:
    row: Row
    problem: Problem
    fields: dict[str, Any]


@dataclass
class New:
    row: Row
    data: ProblemIn
    note: str = ""
    key: tuple[int, str, dt.date] = field(default=(0, "", dt.date.min))


def _text(value: Any) -> str:
    return clean_text(str(value or "")).replace("\r\n", "\n").strip()


def _labels(org: Organization) -> set[str]:
    return {org.code, org.name, org.short_name}


def started_on(problem: Problem) -> dt.date | None:
    """The day work started, as the export writes it: the last start step (annotated as
    ``started_at`` by the export's query), shown only once the problem is under way."""
    if problem.state == ProblemState.OPEN:
        return None
    moment = getattr(problem, "started_at", None)
    if moment is None:
        moment = (
            problem.steps.filter(action=StepAction.START)
            .order_by("-occurred_at", "-pk")
            .values_list("occurred_at", flat=True)
            .first()
        )
    return _day(moment) if moment else None


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def with_started(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    last_start = (
        ProblemStep.objects.filter(problem=OuterRef("pk"), action=StepAction.START)
        .order_by("-occurred_at", "-pk")
        .values("occurred_at")[:1]
    )
    return qs.annotate(started_at=Subquery(last_start))


class ProblemImporter(Importer):
    kind = LABEL
    label = gettext_lazy("Problem ledger")
    permission = MANAGE
    fields = FIELDS
    order = 40

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "title": _("Mixed rain and sewage pipes in an old estate"),
                "source": ProblemSource.SURVEY.label,
                "category": ProblemCategory.INFRASTRUCTURE.label,
                "org": "3201",
                "deadline": dt.date(2025, 6, 30),
                "raised_on": dt.date(2025, 3, 1),
                "state": ProblemState.CLOSED.label,
                "started_on": dt.date(2025, 3, 5),
                "measures": _("Separate the pipes in stages"),
                "submitted_on": dt.date(2025, 6, 20),
                "closed_on": dt.date(2025, 6, 25),
                "verifier": _("Zhang Wei"),
                "evidence_text": _("1.2 km of pipes separated, confirmed on site"),
            },
            {
                "title": _("Street lights out along the river path"),
                "source": ProblemSource.DEMAND.label,
                "org": "3201",
                "deadline": dt.date(2025, 12, 31),
                "raised_on": dt.date(2025, 10, 8),
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        return _Rows(ctx).plan(rows)

    # --- commit and undo ------------------------------------------------------------

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = problem_import(
            rows=[n.data for n in plan.create],
            source=ctx.source,
            late_reason=ctx.reason,
            acting_user=ctx.actor,
        )
        for done, change in enumerate(plan.update, start=1):
            problem_update(problem=change.problem, acting_user=ctx.actor, **change.fields)
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={LABEL: [p.pk for p in created]},
            updated={LABEL: [c.problem.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        problem_import_undo(
            ids=written.created.get(LABEL, []), source=ctx.source, acting_user=ctx.actor
        )


IMPORTER = ProblemImporter()


class _Rows:
    """One check of a file's rows: the matchers and rules it preloads, and the plan."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def plan(self, rows: Sequence[Row]) -> Plan:
        ctx = self.ctx
        owners = _Owners(ctx.actor, MANAGE)
        owners.preload({r.get("org") or "" for r in rows})
        units = _Units(ctx.actor, MANAGE)
        units.preload({v for r in rows for v in [r.get("lead_unit") or "", *r.get("co_units", [])]})
        persons = PersonMatcher(ctx.actor)
        persons.preload({r.get("responsible") or "" for r in rows})
        leaders = _Persons(ctx.actor, _leaders)
        leaders.preload({r.get("linked_leader") or "" for r in rows})
        verifiers = _Persons(ctx.actor, _verifiers)
        verifiers.preload({r.get("verifier") or "" for r in rows})
        kinds = {k.code: k for k in ProblemKind.objects.all()}
        self._default = kinds.get("problem") or default_kind()
        self._owners, self._units, self._persons = owners, units, persons
        self._leaders, self._verifiers, self._kinds = leaders, verifiers, kinds
        self._rules = SignOffRules(ctx.actor)

        numbers: dict[int, tuple[str, int]] = {}
        for row in rows:
            number = self._number(row, ctx)
            if number is not None:
                numbers[row.number] = number
        existing = {
            p.pk: p
            for p in with_started(
                POLICY.queryset(ctx.actor, MANAGE)
                .filter(pk__in={pk for _year, pk in numbers.values()})
                .select_related("org", "lead_unit", "kind", "linked_leader", "responsible")
                .select_related("verifier")
                .prefetch_related("co_units")
            )
        }
        create: list[New] = []
        update: list[Change] = []
        unchanged = 0
        seen: set[tuple[int, str, dt.date]] = set()
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            if row.get("number"):
                if row.number not in numbers:
                    continue
                year, pk = numbers[row.number]
                problem = existing.get(pk)
                if problem is None or f"{problem.raised_on:%Y}" != year:
                    ctx.error(
                        row, "number", _("No problem with this ledger number within your scope.")
                    )
                    continue
                change = self._compare(row, problem, ctx)
                if change is None:
                    continue
                if change.fields:
                    update.append(change)
                else:
                    unchanged += 1
                continue
            new = self._new(row, ctx)
            if new is None:
                continue
            if new.key in seen:
                ctx.error(row, "title", _("The same problem appears twice in this file."))
                continue
            seen.add(new.key)
            create.append(new)
        recorded = self._recorded({n.key for n in create})
        kept = [n for n in create if n.key not in recorded]
        unchanged += len(create) - len(kept)
        # Rows brought in short of the state the file gives come first: the preview
        # keeps its first rows only, and these are what the clerk must read.
        preview = [(n.row.number, "create", self._summary(n)) for n in kept if n.note] + [
            (n.row.number, "create", self._summary(n)) for n in kept if not n.note
        ]
        preview += [
            (
                c.row.number,
                "update",
                f"{c.problem.number} {c.problem.title} · "
                + "、".join(str(ctx.fields[k].header) for k in c.fields),
            )
            for c in update
        ]
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _summary(self, new: New) -> str:
        data = new.data
        text = (
            f"{data.raised_on:%Y-%m-%d} {data.org.short_name or data.org.name} {data.title}"
            f" · {ProblemState(data.state).label}"
        )
        return f"{text} · {new.note}" if new.note else text

    def _number(self, row: Row, ctx: Context) -> tuple[str, int] | None:
        value = row.get("number") or ""
        if not value:
            return None
        match = NUMBER.match(str(value).strip().upper())
        if match is None:
            ctx.error(
                row,
                "number",
                _(
                    "Write the ledger number as exported, such as WT2026-00042; "
                    "empty for a new problem."
                ),
            )
            return None
        return match.group(1), int(match.group(2))

    def _org(
        self, matcher: OrganizationMatcher, row: Row, key: str, value: str, ctx: Context
    ) -> Organization | None:
        try:
            return matcher.match(value)
        except Unmatched as error:
            ctx.error(row, key, error, value=value)
            return None

    def _person(
        self, matcher: PersonMatcher, row: Row, key: str, ctx: Context
    ) -> tuple[bool, Person | None]:
        value = row.get(key) or ""
        if not value:
            return True, None
        try:
            return True, matcher.match(value)
        except Unmatched as error:
            ctx.error(row, key, error)
            return False, None

    def _kind(self, row: Row, ctx: Context, *, new: bool) -> tuple[bool, ProblemKind | None]:
        code = row.get("kind")
        if not code:
            return True, None
        kind = self._kinds.get(code)
        if kind is None or (new and not kind.is_active):
            ctx.error(row, "kind", _("This problem kind is no longer offered."))
            return False, None
        return True, kind

    # --- a new row --------------------------------------------------------------------

    def _new(self, row: Row, ctx: Context) -> New | None:
        ok = True
        org = self._org(self._owners, row, "org", row.get("org") or "", ctx)
        ok &= org is not None
        lead = None
        if row.get("lead_unit"):
            lead = self._org(self._units, row, "lead_unit", row.get("lead_unit"), ctx)
            ok &= lead is not None
        co_units: list[Organization] = []
        for value in row.get("co_units") or []:
            unit = self._org(self._units, row, "co_units", value, ctx)
            ok &= unit is not None
            if unit is not None:
                co_units.append(unit)
        found, leader = self._person(self._leaders, row, "linked_leader", ctx)
        ok &= found
        found, responsible = self._person(self._persons, row, "responsible", ctx)
        ok &= found
        found, verifier = self._person(self._verifiers, row, "verifier", ctx)
        ok &= found
        found, kind = self._kind(row, ctx, new=True)
        ok &= found
        if not ok or org is None:
            return None
        state = row.get("state") or self._reached(row)
        data = ProblemIn(
            org=org,
            title=row.get("title") or "",
            description=row.get("description") or "",
            deadline=row.get("deadline"),
            source=row.get("source"),
            raised_on=row.get("raised_on"),
            kind=kind or self._default,
            category=row.get("category") or ProblemCategory.OTHER,
            lead_unit=lead,
            co_units=[u for u in co_units if u.pk != org.pk],
            linked_leader=leader,
            responsible=responsible,
            state=state,
            started_on=row.get("started_on"),
            measures=row.get("measures") or "",
            submitted_on=row.get("submitted_on"),
            evidence_text=row.get("evidence_text") or "",
            closed_on=row.get("closed_on"),
            verifier=verifier,
        )
        note = ""
        if state == ProblemState.CLOSED:
            reason = (
                _("no verifier is named")
                if verifier is None
                else self._rules.refusal(
                    lead_unit=lead or org,
                    responsible_id=responsible.pk if responsible else None,
                    kind=kind or self._default,
                    raised_by_id=getattr(ctx.actor, "pk", None),
                    submitted_by_id=getattr(ctx.actor, "pk", None),
                    verifier=verifier,
                )
            )
            if reason:
                # Up to the last step the rules allow: the sign-off is given in taizhang.
                data.state, data.closed_on, data.verifier = ProblemState.PENDING, None, None
                note = _("imported as awaiting sign-off: %(reason)s") % {"reason": reason}
        errors = problem_in_errors(data, today=ctx.today, rules=self._rules, acting_user=ctx.actor)
        for key, messages in errors.items():
            ctx.error(row, key if key in ctx.fields else "title", "；".join(messages))
        if errors:
            return None
        if data.title != data.title[:200]:
            ctx.error(row, "title", _("Keep the title within 200 characters."))
            return None
        return New(row, data, note, (org.pk, data.title.strip(), data.raised_on))

    @staticmethod
    def _reached(row: Row) -> str:
        if row.get("closed_on"):
            return ProblemState.CLOSED
        if row.get("submitted_on"):
            return ProblemState.PENDING
        if row.get("started_on"):
            return ProblemState.IN_PROGRESS
        return ProblemState.OPEN

    def _recorded(self, keys: set[tuple[int, str, dt.date]]) -> set[tuple[int, str, dt.date]]:
        """Keys of problems already on the ledger under the same unit, title and day."""
        if not keys:
            return set()
        days = {k[2] for k in keys}
        qs = Problem.objects.filter(
            org_id__in={k[0] for k in keys},
            title__in={k[1] for k in keys},
            raised_on__gte=min(days),
            raised_on__lte=max(days),
        ).values_list("org_id", "title", "raised_on")
        return {tuple(v) for v in qs if tuple(v) in keys}  # type: ignore[misc]

    # --- a row of a problem on the ledger -------------------------------------------

    def _compare(self, row: Row, problem: Problem, ctx: Context) -> Change | None:
        """The editable details the row changes, or ``None`` when the row is refused."""
        ok = True
        for key in HISTORY:
            if key in row.values and not self._same_history(key, row, problem):
                ctx.error(
                    row,
                    key,
                    _(
                        "This column is the problem's history; it changes on the problem's "
                        "page, not by an import."
                    ),
                )
                ok = False
        changed: dict[str, Any] = {}
        title = _text(row.get("title"))
        if title != _text(problem.title):
            changed["title"] = title
        if "description" in row.values and _text(row.get("description")) != _text(
            problem.description
        ):
            changed["description"] = _text(row.get("description"))
        found, kind = self._kind(row, ctx, new=False)
        ok &= found
        if kind is not None and kind.pk != problem.kind_id:
            if not kind.is_active:
                ctx.error(row, "kind", _("This problem kind is no longer offered."))
                ok = False
            changed["kind"] = kind
        if row.get("category") and row.get("category") != problem.category:
            changed["category"] = row.get("category")
        lead = row.get("lead_unit") or ""
        if lead and lead not in _labels(problem.lead_unit):
            unit = self._org(self._units, row, "lead_unit", lead, ctx)
            ok &= unit is not None
            if unit is not None and unit.pk != problem.lead_unit_id:
                changed["lead_unit"] = unit
        if "co_units" in row.values:
            current = list(problem.co_units.all())
            named = row.get("co_units") or []
            kept = [u for u in current if _labels(u) & set(named)]
            if len(kept) != len(current) or len(named) != len(current):
                units: list[Organization] = []
                for value in named:
                    unit = self._org(self._units, row, "co_units", value, ctx)
                    ok &= unit is not None
                    if unit is not None:
                        units.append(unit)
                if {u.pk for u in units} != {u.pk for u in current}:
                    changed["co_units"] = units
        for key, matcher in (("linked_leader", self._leaders), ("responsible", self._persons)):
            if key not in row.values:
                continue
            person = getattr(problem, key)
            value = row.get(key) or ""
            if value == (person.name if person else ""):
                continue
            found, named_person = self._person(matcher, row, key, ctx)
            ok &= found
            if found and (named_person.pk if named_person else None) != getattr(
                problem, f"{key}_id"
            ):
                changed[key] = named_person
        if row.get("deadline") != problem.deadline:
            changed["deadline"] = row.get("deadline")
        if not ok:
            return None
        if changed and problem.state not in (ProblemState.OPEN, ProblemState.IN_PROGRESS):
            for key in changed:
                ctx.error(row, key, _("Only a problem that is not yet submitted can be edited."))
            return None
        if "deadline" in changed and changed["deadline"] < problem.raised_on:
            ctx.error(row, "deadline", _("The deadline cannot be before the problem was raised."))
            return None
        return Change(row, problem, changed)

    def _same_history(self, key: str, row: Row, problem: Problem) -> bool:
        value = row.get(key)
        if key == "org":
            return _text(value) in _labels(problem.org)
        if key == "state":
            return not value or bool(value == problem.state)
        if key == "source":
            return bool(value == problem.source)
        if key == "verifier":
            return _text(value) == (problem.verifier.name if problem.verifier else "")
        if key in ("measures", "evidence_text"):
            return _text(value) == _text(getattr(problem, key))
        if key == "started_on":
            return bool(value == started_on(problem))
        if key == "closed_on":
            closed = problem.closed_on if problem.state == ProblemState.CLOSED else None
            return bool(value == closed)
        return bool(value == getattr(problem, key))


@dataclass(frozen=True)
class RowLabels:
    """What every row of one export shares, worked out once rather than per row (issue
    20): the choice labels in the request's language, 是/否, and today for 逾期."""

    source: dict[str, str]
    category: dict[str, str]
    state: dict[str, str]
    yes: str
    no: str
    today: dt.date


def row_labels() -> RowLabels:
    def labels(name: str) -> dict[str, str]:
        choices = Problem._meta.get_field(name).flatchoices  # type: ignore[union-attr]
        return {str(code): str(label) for code, label in choices}

    return RowLabels(
        source=labels("source"),
        category=labels("category"),
        state=labels("state"),
        yes=_("Yes"),
        no=_("No"),
        today=timezone.localdate(),
    )


def problem_row(index: int, problem: Problem, labels: RowLabels | None = None) -> list[Any]:
    """One problem as the export writes it (the importer's columns, in order); pass one
    ``row_labels()`` for all the rows of an export."""
    p = problem
    shared = labels or row_labels()
    closed = p.state == ProblemState.CLOSED
    return [
        index,
        p.number,
        p.title,
        p.description,
        p.kind.name,
        shared.source.get(p.source, p.source),
        shared.category.get(p.category, p.category),
        p.org.short_name,
        p.lead_unit.short_name,
        "、".join(u.short_name for u in p.co_units.all()),
        p.linked_leader.name if p.linked_leader else "",
        p.responsible.name if p.responsible else "",
        p.deadline,
        p.measures,
        shared.state.get(p.state, p.state),
        p.raised_on,
        started_on(p),
        p.submitted_on,
        p.closed_on if closed else None,
        p.verifier.name if p.verifier else "",
        p.evidence_text,
        shared.yes if not closed and p.deadline < shared.today else shared.no,
    ]
