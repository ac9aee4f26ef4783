"""The key-project ledger in Excel: the columns its export writes and its import reads.

A row with a 序号 (the project's number, as the export writes it) is a project already on
the ledger: its columns are compared with the record and the differences written through
``project_update``, ``project_stage_move`` (stage dates past the current stage),
``project_schedule_set`` (planned dates) and ``project_months_set`` (the plan year's
monthly completed investment). A row without one is a new project, put on the ledger
through ``project_create`` and the same services, one row at a time (a ledger has
hundreds of projects, not thousands). A new row naming a project already kept by the same
organization under the same name is counted as unchanged, so a file imported twice does
not list its projects twice.

The stage dates a row brings are its history: the first stage with an actual date is
where the project is listed, each later one a move on its real date. Dates before today
are recorded as late entries (补录) with the file as the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.exports import DATE, DECIMAL, INTEGER, MONEY, YEAR
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.models import Organization
from taizhang.people.matching import PersonMatcher
from taizhang.people.models import Person
from taizhang.people.selectors import leader_candidates
from taizhang.projects.models import (
    Category,
    MajorLevel,
    Project,
    ProjectMonth,
    Stage,
    StagePlan,
)
from taizhang.projects.permissions import MANAGE, POLICY
from taizhang.projects.selectors import UNIT_KINDS, unit_choices
from taizhang.projects.services import (
    check_months,
    check_move,
    check_schedule,
    project_create,
    project_import_undo,
    project_months_set,
    project_schedule_set,
    project_stage_move,
    project_update,
)

LABEL = "projects.project"
WAN = Decimal(10_000)
# The milestones whose planned dates the ledger carries (计划开工/竣工/投产).
PLANNED_STAGES = (Stage.STARTED, Stage.COMPLETED, Stage.OPERATING)
MONTHS = range(1, 13)


def _planned_key(stage: Stage) -> str:
    return f"planned_{stage.name.lower()}"


def _actual_key(stage: Stage) -> str:
    return f"actual_{stage.name.lower()}"


def _month_key(month: int) -> str:
    return f"month_{month}"


def _stage_fields() -> list[Field]:
    fields = []
    for stage in Stage:
        if stage in PLANNED_STAGES:
            fields.append(
                Field(
                    _planned_key(stage),
                    format_lazy(gettext_lazy("{stage} planned"), stage=stage.label),
                    DATE,
                    width=12,
                    help=gettext_lazy("a past date is overdue at once"),
                )
            )
        fields.append(
            Field(
                _actual_key(stage),
                format_lazy(gettext_lazy("{stage} actual"), stage=stage.label),
                DATE,
                width=12,
                help=gettext_lazy("the day the stage was reached; later stages later"),
            )
        )
    return fields


def _month_fields() -> list[Field]:
    return [
        Field(
            _month_key(month),
            format_lazy(gettext_lazy("Completed in month {month}"), month=month),
            MONEY,
            unit="万元",
            width=10,
            help=gettext_lazy("in the plan year"),
        )
        for month in MONTHS
    ]


FIELDS: tuple[Field, ...] = (
    Field(
        "id", gettext_lazy("No."), INTEGER, width=6, help=gettext_lazy("empty for a new project")
    ),
    Field("name", gettext_lazy("Project name"), required=True, width=30),
    Field(
        "category",
        gettext_lazy("Category"),
        CHOICE,
        required=True,
        width=10,
        choices=lambda: Category.choices,
    ),
    Field(
        "major_level",
        gettext_lazy("Major project level"),
        CHOICE,
        width=12,
        choices=lambda: MajorLevel.choices,
        help=gettext_lazy("empty when it is not a major project"),
    ),
    Field(
        "org_code",
        gettext_lazy("Organization code"),
        width=10,
        help=gettext_lazy("the owning unit's code; or leave empty and write its name"),
    ),
    Field(
        "org",
        gettext_lazy("Owning organization"),
        width=16,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field(
        "lead_unit",
        gettext_lazy("Lead unit"),
        required=True,
        width=14,
        help=gettext_lazy("a unit's code or name"),
    ),
    Field("co_units", gettext_lazy("Co-units"), many=True, width=16),
    Field(
        "linked_leader",
        gettext_lazy("Linked leader"),
        width=10,
        help=gettext_lazy(
            "a leader's name; add （1234）, the last four ID digits, when two share it"
        ),
    ),
    Field("responsible", gettext_lazy("Responsible person"), width=10),
    Field("location", gettext_lazy("Location"), width=16),
    Field("total_investment", gettext_lazy("Total investment"), MONEY, unit="万元", width=14),
    Field("plan_year", gettext_lazy("Plan year"), YEAR, width=8),
    Field(
        "annual_planned_investment",
        gettext_lazy("Planned investment this year"),
        MONEY,
        unit="万元",
        width=14,
    ),
    Field(
        "completed_investment",
        gettext_lazy("Completed investment"),
        MONEY,
        unit="万元",
        width=14,
        readonly=True,
    ),
    Field("building_area", gettext_lazy("Building area (m²)"), DECIMAL, width=12),
    Field("land_area", gettext_lazy("Land (mu)"), DECIMAL, width=10),
    Field(
        "capacity",
        gettext_lazy("Capacity"),
        width=12,
        help=gettext_lazy("a number and its unit, such as 3万吨/年"),
    ),
    Field("expected_jobs", gettext_lazy("Expected jobs"), INTEGER, width=10),
    Field("stage", gettext_lazy("Current stage"), width=10, readonly=True),
    Field("stage_since", gettext_lazy("In this stage since"), DATE, width=12, readonly=True),
    Field("overdue", gettext_lazy("Overdue"), width=6, readonly=True),
    *_stage_fields(),
    *_month_fields(),
    Field("latest_progress", gettext_lazy("Latest progress"), width=30, readonly=True),
)

# Ledger columns an import compares with the record and changes through project_update.
COMPARED = (
    "name",
    "category",
    "major_level",
    "org",
    "lead_unit",
    "linked_leader",
    "responsible",
    "location",
    "total_investment",
    "plan_year",
    "annual_planned_investment",
    "building_area",
    "land_area",
    "capacity",
    "capacity_unit",
    "expected_jobs",
)
_CAPACITY = re.compile(r"^(\d+(?:\.\d+)?)\s*(.*)$")


def _wan(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / WAN


class _LeaderMatcher(PersonMatcher):
    """Linked leaders by name among the leader candidates: any clerk may link a district
    leader outside her person scope (the rule the services apply), so the person rule's
    scope is not the one to search."""

    def __init__(self, viewer: Any) -> None:
        super().__init__(viewer, among=leader_candidates())

    def match(self, value: str) -> Person:
        try:
            return super().match(value)
        except Unmatched:
            name, _hint = self.split(value or "")
            if name and not self.candidates(name):
                raise Unmatched(
                    _(
                        "No leader named “%(name)s”: a linked leader holds a current "
                        "leading position."
                    )
                    % {"name": name}
                ) from None
            raise


class _UnitMatcher:
    """Lead and co-units by code, name or short name among all units of the district
    (naming a unit grants it nothing, so the choice is not scoped)."""

    def __init__(self) -> None:
        self._cache: dict[str, list[Organization]] = {}

    def preload(self, values: set[str]) -> None:
        wanted = {v.strip() for v in values if v and v.strip()} - set(self._cache)
        if not wanted:
            return
        for value in wanted:
            self._cache[value] = []
        qs = unit_choices().filter(
            Q(code__in=wanted) | Q(name__in=wanted) | Q(short_name__in=wanted)
        )
        by_code: dict[str, Organization] = {}
        for unit in qs:
            if unit.code in wanted:
                by_code[unit.code] = unit
            for label in {unit.name, unit.short_name}:
                if label in wanted and unit not in self._cache[label]:
                    self._cache[label].append(unit)
        for code, unit in by_code.items():
            self._cache[code] = [unit]

    def match(self, value: str) -> Organization:
        value = (value or "").strip()
        self.preload({value})
        found = self._cache.get(value, [])
        if len(found) == 1:
            return found[0]
        if found:
            codes = "、".join(o.code for o in found[:5])
            raise Unmatched(
                _("%(count)d units are named “%(name)s”; write the code (%(codes)s).")
                % {"count": len(found), "name": value, "codes": codes}
            )
        raise Unmatched(
            _("No unit with the code or name “%(value)s” in the district.") % {"value": value}
        )


@dataclass
class NewProject:
    row: Row
    values: dict[str, Any]
    co_units: list[Organization]
    actual: dict[int, dt.date]
    planned: dict[int, dt.date | None]
    months: dict[dt.date, int | None]


@dataclass
class Change:
    row: Row
    project: Project
    fields: dict[str, Any] = field(default_factory=dict)
    moves: list[tuple[int, dt.date]] = field(default_factory=list)
    planned: dict[int, dt.date | None] = field(default_factory=dict)
    months: dict[dt.date, int | None] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.fields or self.moves or self.planned or self.months)


class ProjectImporter(Importer):
    kind = LABEL
    label = gettext_lazy("Key projects")
    permission = MANAGE
    fields = FIELDS
    order = 30

    def examples(self) -> list[dict[str, Any]]:
        year = dt.date.today().year - 1
        return [
            {
                "name": _("Lithium battery materials plant, 30,000 t a year"),
                "category": Category.INDUSTRY.label,
                "org_code": "3201",
                "lead_unit": "3201",
                "linked_leader": _("Zhang Wei"),
                "location": _("Linxi industrial park"),
                "total_investment": 137700,
                "plan_year": year,
                "annual_planned_investment": 34000,
                "capacity": "3万吨/年",
                "actual_planning": dt.date(year - 1, 11, 2),
                "actual_preliminary": dt.date(year, 1, 15),
                "actual_land": dt.date(year, 4, 8),
                "planned_started": dt.date(year, 5, 1),
                "actual_started": dt.date(year, 5, 20),
                "month_5": 1200,
                "month_6": 2300.5,
            },
            {
                "name": _("Old town drainage renewal"),
                "category": Category.URBAN_RENEWAL.label,
                "org": _("Linxi subdistrict"),
                "lead_unit": _("Linxi subdistrict"),
                "co_units": [_("Housing bureau"), _("Water bureau")],
                "total_investment": "1.2亿元",
                "planned_started": dt.date(year + 1, 3, 1),
            },
        ]

    # --- prepare: resolve, scope, validate; nothing is written ----------------------

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows})
        units = _UnitMatcher()
        units.preload(
            {v for r in rows for v in [r.get("lead_unit") or "", *(r.get("co_units") or [])]}
        )
        leaders = _LeaderMatcher(ctx.actor)
        leaders.preload({r.get("linked_leader") or "" for r in rows})
        persons = PersonMatcher(ctx.actor)
        persons.preload({r.get("responsible") or "" for r in rows})
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = self._existing(ctx, ids)
        create: list[NewProject] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 200 == 0:
                ctx.progress(index, len(rows))
            project = existing.get(row.get("id")) if row.get("id") else None
            if row.get("id") and project is None:
                ctx.error(row, "id", _("No project with this number within your scope."))
                continue
            values = self._resolve(row, ctx, project, orgs, units, leaders, persons)
            if values is None:
                continue
            dates = self._dates(row, ctx, values)
            if dates is None:
                continue
            actual, planned, months = dates
            if project is not None:
                change = self._compare(row, ctx, project, values, actual, planned, months)
                if change is None:
                    continue
                if change.empty:
                    unchanged += 1
                else:
                    update.append(change)
                    preview.append((row.number, "update", self._summary(change)))
                continue
            key = (values["org"].pk, values["name"])
            if key in seen:
                ctx.error(row, "name", _("The same project appears twice in this file."))
                continue
            seen.add(key)
            new = NewProject(row, values, values.pop("co_units"), actual, planned, months)
            if self._valid_new(new, ctx):
                create.append(new)
        # A project already kept by the same organization under the same name is not new.
        recorded = self._recorded(seen)
        kept = []
        for new in create:
            if (new.values["org"].pk, new.values["name"]) in recorded:
                unchanged += 1
                continue
            kept.append(new)
            stage = Stage(min(new.actual)) if new.actual else Stage.PLANNING
            preview.append(
                (
                    new.row.number,
                    "create",
                    f"{new.values['name']} · {new.values['org'].short_name} · {stage.label}",
                )
            )
        preview.sort()
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _existing(self, ctx: Context, ids: set[Any]) -> dict[Any, Project]:
        if not ids:
            return {}
        qs = (
            POLICY.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("org", "lead_unit", "linked_leader", "responsible")
            .prefetch_related(
                "co_units",
                Prefetch("plans", queryset=StagePlan.objects.order_by("stage")),
                Prefetch("months", queryset=ProjectMonth.objects.order_by("period")),
                "stage_changes",
            )
        )
        return {p.pk: p for p in qs}

    def _resolve(
        self,
        row: Row,
        ctx: Context,
        project: Project | None,
        orgs: OrganizationMatcher,
        units: _UnitMatcher,
        leaders: _LeaderMatcher,
        persons: PersonMatcher,
    ) -> dict[str, Any] | None:
        ok = True
        values: dict[str, Any] = {
            "name": (row.get("name") or "").strip(),
            "category": row.get("category"),
            "major_level": row.get("major_level") or "",
            "location": row.get("location") or "",
            "total_investment": row.get("total_investment") or 0,
            "plan_year": row.get("plan_year"),
            "annual_planned_investment": row.get("annual_planned_investment") or 0,
            "building_area": row.get("building_area"),
            "land_area": row.get("land_area"),
            "expected_jobs": row.get("expected_jobs"),
        }
        org_key = "org_code" if row.get("org_code") else "org"
        try:
            values["org"] = orgs.match(row.get(org_key) or "")
            if values["org"].kind not in UNIT_KINDS:
                ctx.error(
                    row,
                    org_key,
                    _("Projects are kept by units (organs, subdistricts, communities, villages)."),
                )
                ok = False
        except Unmatched as error:
            ctx.error(row, org_key, error)
            ok = False
        try:
            values["lead_unit"] = units.match(row.get("lead_unit") or "")
        except Unmatched as error:
            ctx.error(row, "lead_unit", error)
            ok = False
        co_units = []
        for name in row.get("co_units") or []:
            try:
                co_units.append(units.match(name))
            except Unmatched as error:
                ctx.error(row, "co_units", error, value=name)
                ok = False
        values["co_units"] = co_units
        for key, matcher in (("linked_leader", leaders), ("responsible", persons)):
            text = row.get(key) or ""
            current = getattr(project, key) if project is not None else None
            if not text:
                values[key] = None
            elif current is not None and text == current.name:
                # An export read back: the person already named, even if a namesake exists.
                values[key] = current
            else:
                try:
                    values[key] = matcher.match(text)
                except Unmatched as error:
                    ctx.error(row, key, error)
                    ok = False
        capacity = (row.get("capacity") or "").strip()
        values["capacity"], values["capacity_unit"] = None, ""
        if capacity:
            match = _CAPACITY.match(capacity)
            if match is None:
                ctx.error(row, "capacity", _("Write a number and its unit, such as 3万吨/年."))
                ok = False
            else:
                values["capacity"] = Decimal(match.group(1))
                values["capacity_unit"] = match.group(2).strip()
        return values if ok else None

    def _dates(
        self, row: Row, ctx: Context, values: dict[str, Any]
    ) -> tuple[dict[int, dt.date], dict[int, dt.date | None], dict[dt.date, int | None]] | None:
        ok = True
        actual = {s.value: row.get(_actual_key(s)) for s in Stage if row.get(_actual_key(s))}
        last: tuple[Stage, dt.date] | None = None
        for stage in Stage:
            day = actual.get(stage.value)
            if day is None:
                continue
            if day > ctx.today:
                ctx.error(row, _actual_key(stage), _("A stage cannot be reached in the future."))
                ok = False
            if last is not None and day < last[1]:
                ctx.error(
                    row,
                    _actual_key(stage),
                    _("%(stage)s cannot be reached before %(prev)s (%(date)s).")
                    % {"stage": stage.label, "prev": last[0].label, "date": last[1].isoformat()},
                )
                ok = False
            last = (stage, day)
        planned = {s.value: row.get(_planned_key(s)) for s in PLANNED_STAGES}
        try:
            check_schedule(planned)
        except ValidationError as error:
            ctx.error(row, _planned_key(PLANNED_STAGES[-1]), "；".join(error.messages))
            ok = False
        months: dict[dt.date, int | None] = {}
        given = {m: row.get(_month_key(m)) for m in MONTHS if row.get(_month_key(m)) is not None}
        if given and not values["plan_year"]:
            ctx.error(row, "plan_year", _("Give the plan year the monthly figures belong to."))
            ok = False
        elif given:
            for month, amount in given.items():
                period = dt.date(values["plan_year"], month, 1)
                if period > ctx.today:
                    ctx.error(
                        row,
                        _month_key(month),
                        _("Investment cannot be recorded for a future month (%(month)s).")
                        % {"month": f"{period:%Y-%m}"},
                    )
                    ok = False
                months[period] = amount
        return (actual, planned, months) if ok else None

    def _clean(self, row: Row, ctx: Context, values: dict[str, Any]) -> bool:
        """The model's own checks (lengths, digits, ranges), answered on the row."""
        try:
            Project(
                **{k: v for k, v in values.items() if k in COMPARED},
                stage_since=ctx.today,
            ).clean_fields(exclude=["org", "lead_unit", "linked_leader", "responsible"])
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                ctx.error(row, key if key in ctx.fields else "name", "；".join(messages))
            return False
        return True

    def _valid_new(self, new: NewProject, ctx: Context) -> bool:
        """The checks the services make, on the project the row would create."""
        if not self._clean(new.row, ctx, new.values):
            return False
        if new.months:
            try:
                check_months(Project(), new.months, late_reason=ctx.reason)
            except ValidationError as error:
                ctx.error(new.row, "plan_year", "；".join(error.messages))
                return False
        return True

    def _compare(
        self,
        row: Row,
        ctx: Context,
        project: Project,
        values: dict[str, Any],
        actual: dict[int, dt.date],
        planned: dict[int, dt.date | None],
        months: dict[dt.date, int | None],
    ) -> Change | None:
        if not self._clean(row, ctx, values):
            return None
        change = Change(row, project)
        for key in COMPARED:
            if getattr(project, key) != values[key]:
                change.fields[key] = values[key]
        if {u.pk for u in project.co_units.all()} != {u.pk for u in values["co_units"]}:
            change.fields["co_units"] = values["co_units"]
        plans = {p.stage: p for p in project.plans.all()}
        # Stage dates already recorded are history: an import may add later ones only.
        for stage in Stage:
            recorded = plans[stage.value].actual_on if stage.value in plans else None
            given = actual.get(stage.value)
            if stage.value <= project.stage:
                if given != recorded:
                    ctx.error(
                        row,
                        _actual_key(stage),
                        _(
                            "The dates of stages already reached (recorded: %(date)s) are "
                            "changed on the project page, not by an import."
                        )
                        % {"date": recorded.isoformat() if recorded else "—"},
                    )
                    return None
            elif given is not None:
                change.moves.append((stage.value, given))
        if change.moves:
            first_stage, first_day = change.moves[0]
            try:
                check_move(
                    project,
                    to_stage=first_stage,
                    on=first_day,
                    late_reason=ctx.reason,
                    moved=any(c.from_stage is not None for c in project.stage_changes.all()),
                )
            except ValidationError as error:
                ctx.error(row, _actual_key(Stage(first_stage)), "；".join(error.messages))
                return None
        for planned_stage, day in planned.items():
            recorded_plan = plans[planned_stage].planned_on if planned_stage in plans else None
            if recorded_plan != day:
                change.planned = dict(planned)
                break
        if change.planned:
            merged = {s: p.planned_on for s, p in plans.items()} | change.planned
            try:
                check_schedule(merged)
            except ValidationError as error:
                ctx.error(row, _planned_key(PLANNED_STAGES[-1]), "；".join(error.messages))
                return None
        stored = {m.period: m.completed for m in project.months.all()}
        change.months = {p: a for p, a in months.items() if stored.get(p, 0) != a}
        if change.months:
            try:
                check_months(project, change.months, late_reason=ctx.reason)
            except ValidationError as error:
                ctx.error(row, "plan_year", "；".join(error.messages))
                return None
        return change

    def _summary(self, change: Change) -> str:
        keys = ["capacity" if k == "capacity_unit" else k for k in change.fields]
        parts = [str(self.field(k).header) for k in dict.fromkeys(keys)]
        if change.moves:
            parts.append(_("stage dates"))
        if change.planned:
            parts.append(_("planned dates"))
        if change.months:
            parts.append(_("monthly investment"))
        return f"{change.project.name} · {'、'.join(parts)}"

    def _recorded(self, keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
        if not keys:
            return set()
        qs = Project.objects.filter(
            org_id__in={k[0] for k in keys}, name__in={k[1] for k in keys}
        ).values_list("org_id", "name")
        return {(org, name) for org, name in qs if (org, name) in keys}

    # --- commit: through the services, in the ingest module's transaction -----------

    def commit(self, plan: Plan, ctx: Context) -> Written:
        total = len(plan.create) + len(plan.update)
        created: list[int] = []
        for done, new in enumerate(plan.create, start=1):
            created.append(self._create(new, ctx).pk)
            if done % 20 == 0:
                ctx.progress(done, total)
        for change in plan.update:
            self._update(change, ctx)
        return Written(
            created={LABEL: created},
            updated={LABEL: [c.project.pk for c in plan.update]},
        )

    def _create(self, new: NewProject, ctx: Context) -> Project:
        stages = sorted(new.actual)
        first = stages[0] if stages else Stage.PLANNING
        project = project_create(
            **new.values,
            co_units=new.co_units,
            stage=first,
            stage_since=new.actual.get(first) or ctx.today,
            late_reason=ctx.reason,
            acting_user=ctx.actor,
        )
        for stage in stages[1:]:
            project_stage_move(
                project=project,
                to_stage=stage,
                on=new.actual[stage],
                late_reason=ctx.reason,
                acting_user=ctx.actor,
            )
        if any(new.planned.values()):
            project_schedule_set(project=project, planned=new.planned, acting_user=ctx.actor)
        if new.months:
            project_months_set(
                project=project, months=new.months, late_reason=ctx.reason, acting_user=ctx.actor
            )
        return project

    def _update(self, change: Change, ctx: Context) -> None:
        project = change.project
        if change.fields:
            project_update(project=project, acting_user=ctx.actor, **change.fields)
        for stage, day in change.moves:
            project_stage_move(
                project=project,
                to_stage=stage,
                on=day,
                late_reason=ctx.reason,
                acting_user=ctx.actor,
            )
        if change.planned:
            project_schedule_set(project=project, planned=change.planned, acting_user=ctx.actor)
        if change.months:
            project_months_set(
                project=project, months=change.months, late_reason=ctx.reason, acting_user=ctx.actor
            )

    def undo(self, written: Written, ctx: Context) -> None:
        project_import_undo(
            ids=written.created.get(LABEL, []), source=ctx.source, acting_user=ctx.actor
        )


IMPORTER = ProjectImporter()


def project_row(project: Any) -> list[Any]:
    """One project as the export writes it (the importer's columns, in order).

    ``project`` comes from ``selectors.export_rows``: plans, months and co-units are
    prefetched, the latest progress and overdue flag annotated.
    """
    plans = {p.stage: p for p in project.plans.all()}
    months = {m.period: m.completed for m in project.months.all()}
    capacity = ""
    if project.capacity is not None:
        capacity = f"{project.capacity.normalize():f}{project.capacity_unit}"
    row: list[Any] = [
        project.pk,
        project.name,
        project.get_category_display(),
        project.get_major_level_display(),
        project.org.code,
        project.org.name,
        project.lead_unit.short_name or project.lead_unit.name,
        "、".join(u.short_name or u.name for u in project.co_units.all()),
        project.linked_leader.name if project.linked_leader else "",
        project.responsible.name if project.responsible else "",
        project.location,
        _wan(project.total_investment),
        project.plan_year,
        _wan(project.annual_planned_investment),
        _wan(project.completed_investment),
        project.building_area,
        project.land_area,
        capacity,
        project.expected_jobs,
        project.get_stage_display(),
        project.stage_since,
        _("Yes") if getattr(project, "is_overdue", False) else "",
    ]
    for stage in Stage:
        plan = plans.get(stage.value)
        if stage in PLANNED_STAGES:
            row.append(plan.planned_on if plan else None)
        row.append(plan.actual_on if plan else None)
    for month in MONTHS:
        amount = months.get(dt.date(project.plan_year, month, 1)) if project.plan_year else None
        row.append(_wan(amount))
    row.append(getattr(project, "latest_progress", None) or "")
    return row
