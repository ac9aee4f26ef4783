"""Training classes in Excel: the class ledger and the rosters with their graduates.

Two imports, each reading the columns its export writes. The class ledger opens classes
(``training_class_import``) and corrects open ones (``training_class_update``); a row
naming an organizer's class number already used counts as unchanged. The roster enrolls
trainees of classes identified by organizer and 期次 (``enrollment_import``, on the real
day enrolled); a trainee already in the class counts as unchanged. A roster that gives
结业 (是/否) and its day for every trainee of an open class enters that class's 结业
afterwards (补录, ``training_class_graduates_record``) with the import as its reason; a
completed class's graduate list is final and read back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from taizhang.core.exports import DATE, INTEGER
from taizhang.core.imports import BOOLEAN, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.models import Organization
from taizhang.people.matching import PersonMatcher
from taizhang.trainings.models import Enrollment, TrainingClass
from taizhang.trainings.permissions import ENROLLMENT, MANAGE, TRAINING_CLASS
from taizhang.trainings.services import (
    ClassIn,
    EnrollmentIn,
    Outcome,
    class_problems,
    enrollment_import,
    enrollment_import_undo,
    enrollment_problems,
    training_class_graduates_record,
    training_class_import,
    training_class_import_undo,
    training_class_update,
)

PEOPLE = pgettext_lazy("unit of measure", "people")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _summary(fields: dict[str, Field], keys: Iterable[str]) -> str:
    return ", ".join(fields[k].title if k in fields else k for k in keys)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


ORGANIZER = (
    Field(
        "org_code",
        gettext_lazy("organization code"),
        help=gettext_lazy("the organizer's code; or leave empty and write its name"),
    ),
    Field(
        "org",
        gettext_lazy("organizer"),
        width=18,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field("number", gettext_lazy("class number (期次)"), INTEGER, required=True),
)

CLASS_FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new class")),
    *ORGANIZER,
    Field("title", gettext_lazy("class title"), required=True, width=28),
    Field("start_date", gettext_lazy("first day"), DATE, required=True),
    Field("end_date", gettext_lazy("last day"), DATE, required=True),
    Field("venue", gettext_lazy("training venue"), width=20),
    Field(
        "capacity",
        gettext_lazy("planned number of trainees"),
        INTEGER,
        required=True,
        unit=PEOPLE,
    ),
    Field(
        "min_attendance_pct",
        gettext_lazy("minimum attendance (%)"),
        INTEGER,
        help=gettext_lazy("empty: 80"),
    ),
    Field(
        "reflection_required",
        gettext_lazy("reflection required"),
        BOOLEAN,
        help=gettext_lazy("empty: 是"),
    ),
    Field("sessions", gettext_lazy("number of sessions"), INTEGER, readonly=True),
    Field("trainees", gettext_lazy("trainees enrolled"), INTEGER, readonly=True, unit=PEOPLE),
    Field("graduates", gettext_lazy("graduates"), INTEGER, readonly=True, unit=PEOPLE),
    Field("completed_on", gettext_lazy("completed on"), DATE, readonly=True),
)
CLASS_COMPARED = (
    "title",
    "start_date",
    "end_date",
    "venue",
    "capacity",
    "min_attendance_pct",
    "reflection_required",
)


def class_row(klass: TrainingClass) -> list[Any]:
    """One class as the export writes it (``training_class_list`` annotations)."""
    return [
        klass.pk,
        klass.org.code,
        klass.org.name,
        klass.number,
        klass.title,
        klass.start_date,
        klass.end_date,
        klass.venue,
        klass.capacity,
        klass.min_attendance_pct,
        _yes_no(klass.reflection_required),
        getattr(klass, "session_count", None),
        getattr(klass, "trainee_count", None),
        getattr(klass, "graduate_count", None) if klass.completed_on else None,
        klass.completed_on,
    ]


def _organizers(rows: Sequence[Row], ctx: Context) -> OrganizationMatcher:
    orgs = OrganizationMatcher(ctx.actor, MANAGE)
    orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows})
    return orgs


def _organizer(row: Row, orgs: OrganizationMatcher, ctx: Context) -> Organization | None:
    return orgs.match_row(row, ctx)


@dataclass
class ClassChange:
    row: Row
    klass: TrainingClass
    fields: dict[str, Any]


class TrainingClassImporter(Importer):
    kind = "trainings.training_class"
    label = gettext_lazy("Training classes")
    permission = MANAGE
    fields = CLASS_FIELDS
    order = 70

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "number": 22,
                "title": _("Training class for Party branch secretaries"),
                "start_date": dt.date(2025, 9, 15),
                "end_date": dt.date(2025, 9, 18),
                "capacity": 120,
                "min_attendance_pct": 80,
                "reflection_required": "是",
            }
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = _organizers([r for r in rows if not r.get("id")], ctx)
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {
            k.pk: k
            for k in TRAINING_CLASS.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("org")
        }
        create: list[tuple[Row, ClassIn]] = []
        update: list[ClassChange] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, int]] = set()
        unchanged = 0
        for row in rows:
            values: dict[str, Any] = {
                "title": _text(row.get("title")),
                "start_date": row.get("start_date"),
                "end_date": row.get("end_date"),
                "venue": _text(row.get("venue")),
                "capacity": row.get("capacity"),
                "min_attendance_pct": 80
                if row.get("min_attendance_pct") is None
                else row.get("min_attendance_pct"),
                "reflection_required": row.get("reflection_required") is not False,
            }
            if row.get("id"):
                klass = existing.get(row.get("id"))
                if klass is None:
                    ctx.error(row, "id", _("No class with this number within your scope."))
                    continue
                if not self._same_class(row, klass, ctx):
                    continue
                changed = {k: values[k] for k in CLASS_COMPARED if getattr(klass, k) != values[k]}
                if not changed:
                    unchanged += 1
                    continue
                if klass.completed_on is not None:
                    ctx.error(row, "title", _("The class is completed; its records are closed."))
                    continue
                if not self._valid(row, ClassIn(org=klass.org, number=klass.number, **values), ctx):
                    continue
                update.append(ClassChange(row, klass, changed))
                preview.append((row.number, "update", f"{klass} · {_summary(ctx.fields, changed)}"))
                continue
            org = _organizer(row, orgs, ctx)
            if org is None:
                continue
            data = ClassIn(org=org, number=row.get("number"), **values)
            if (org.pk, data.number) in seen:
                ctx.error(row, "number", _("The same class appears twice in this file."))
                continue
            seen.add((org.pk, data.number))
            if self._valid(row, data, ctx):
                create.append((row, data))
        # The ledger's classes have no series: the organizer's own numbering.
        recorded = set(
            TrainingClass.objects.filter(
                series__isnull=True,
                org_id__in={k[0] for k in seen},
                number__in={k[1] for k in seen},
            ).values_list("org_id", "number")
        )
        kept = []
        for row, data in create:
            if (data.org.pk, data.number) in recorded:
                unchanged += 1
                continue
            kept.append((row, data))
            preview.append((row.number, "create", f"{data.org.name} 第{data.number}期{data.title}"))
        preview.sort(key=lambda p: p[0])
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _same_class(self, row: Row, klass: TrainingClass, ctx: Context) -> bool:
        code, name = _text(row.get("org_code")), _text(row.get("org"))
        if (code and code != klass.org.code) or (
            not code and name and name not in {klass.org.name, klass.org.short_name}
        ):
            ctx.error(
                row,
                "org_code" if code else "org",
                _("The organizer of a recorded class cannot be changed."),
            )
            return False
        if row.get("number") != klass.number:
            ctx.error(row, "number", _("The number of a recorded class cannot be changed."))
            return False
        return True

    def _valid(self, row: Row, data: ClassIn, ctx: Context) -> bool:
        problems = class_problems(data)
        for key, message in problems.items():
            ctx.error(row, key, message)
        return not problems

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = training_class_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for change in plan.update:
            training_class_update(
                training_class=change.klass, acting_user=ctx.actor, **change.fields
            )
        return Written(
            created={"trainings.trainingclass": [k.pk for k in created]},
            updated={"trainings.trainingclass": [c.klass.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        training_class_import_undo(
            ids=written.created.get("trainings.trainingclass", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


CLASS_IMPORTER = TrainingClassImporter()


# --- rosters and graduates ---------------------------------------------------------------

ROSTER_FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new trainee")),
    *ORGANIZER,
    Field("class_title", gettext_lazy("class title"), readonly=True, width=24),
    Field("person", gettext_lazy("trainee"), required=True, help=gettext_lazy("a person's name")),
    Field("person_org", gettext_lazy("trainee's organization"), readonly=True, width=18),
    Field(
        "enrolled_on",
        gettext_lazy("enrolled on"),
        DATE,
        help=gettext_lazy("empty: the class's first day"),
    ),
    Field(
        "graduated",
        gettext_lazy("graduated"),
        BOOLEAN,
        help=gettext_lazy(
            "to enter a past 结业 (补录): 是 or 否 for every trainee of the class, with the day"
        ),
    ),
    Field("attendance_pct", gettext_lazy("attendance (%)"), INTEGER),
    Field(
        "completed_on",
        gettext_lazy("completed on"),
        DATE,
        help=gettext_lazy("the day of 结业, with 是 or 否"),
    ),
)


def roster_row(enrollment: Enrollment) -> list[Any]:
    """One trainee of a class as the roster export writes it."""
    klass = enrollment.training_class
    return [
        enrollment.pk,
        klass.org.code,
        klass.org.name,
        klass.number,
        klass.title,
        enrollment.person.name,
        enrollment.person.organization.name,
        enrollment.enrolled_on,
        _yes_no(enrollment.graduated),
        enrollment.attendance_pct,
        klass.completed_on,
    ]


@dataclass
class ClassRoster:
    """What the roster rows of one class bring: new trainees and, perhaps, its 结业."""

    klass: TrainingClass
    new: list[tuple[Row, EnrollmentIn]] = field(default_factory=list)
    known: list[tuple[Row, Enrollment]] = field(default_factory=list)
    outcomes: dict[tuple[str, int], Outcome] = field(default_factory=dict)
    completed_on: dt.date | None = None


class RosterImporter(Importer):
    kind = "trainings.enrollment"
    label = gettext_lazy("Training rosters and graduates")
    permission = MANAGE
    fields = ROSTER_FIELDS
    order = 71

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "number": 22,
                "person": _("Zhang Wei"),
                "enrolled_on": dt.date(2025, 9, 1),
                "graduated": "是",
                "attendance_pct": 100,
                "completed_on": dt.date(2025, 9, 18),
            },
            {"org_code": "3201", "number": 23, "person": _("Li Na（1234）")},
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = _organizers(rows, ctx)
        persons = PersonMatcher(ctx.actor)
        persons.preload({r.get("person") or "" for r in rows if not r.get("id")})
        classes = self._classes(rows, orgs)
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {
            e.pk: e
            for e in ENROLLMENT.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("person", "training_class")
        }
        rosters: dict[int, ClassRoster] = {}
        for row in rows:
            org = _organizer(row, orgs, ctx)
            if org is None:
                continue
            klass = classes.get((org.pk, row.get("number")))
            if klass is None:
                ctx.error(
                    row,
                    "number",
                    _("No class No. %(number)s of this organizer within your scope.")
                    % {"number": row.get("number")},
                )
                continue
            roster = rosters.setdefault(klass.pk, ClassRoster(klass))
            if row.get("id"):
                enrollment = existing.get(row.get("id"))
                if enrollment is None or enrollment.training_class_id != klass.pk:
                    ctx.error(row, "id", _("No trainee with this number in this class."))
                    continue
                if _text(row.get("person")) != enrollment.person.name:
                    ctx.error(
                        row, "person", _("The trainee of a recorded enrollment cannot be changed.")
                    )
                    continue
                if row.get("enrolled_on") not in (None, enrollment.enrolled_on):
                    ctx.error(
                        row, "enrolled_on", _("The day a trainee was enrolled cannot be changed.")
                    )
                    continue
                roster.known.append((row, enrollment))
                continue
            try:
                person = persons.match(row.get("person"))
            except Unmatched as error:
                ctx.error(row, "person", error)
                continue
            day = row.get("enrolled_on") or min(klass.start_date, ctx.today)
            if day > ctx.today:
                ctx.error(row, "enrolled_on", _("A trainee cannot be enrolled in the future."))
                continue
            roster.new.append((row, EnrollmentIn(klass, person, day)))
        enrolled = self._enrolled(rosters)
        plan_create: list[tuple[Row, EnrollmentIn]] = []
        completing: list[ClassRoster] = []
        preview: list[tuple[int, str, str]] = []
        unchanged = 0
        for roster in rosters.values():
            # A trainee already in the class is not enrolled again: the row is as recorded.
            fresh = []
            for row, data in roster.new:
                found = enrolled.get((roster.klass.pk, data.person.pk))
                if found is not None:
                    roster.known.append((row, found))
                else:
                    fresh.append((row, data))
            roster.new = fresh
            if not self._enrollable(roster, ctx):
                continue
            finishing = self._outcomes(roster, ctx)
            if finishing is None:
                continue
            unchanged += len(roster.known) if not finishing else 0
            plan_create.extend(roster.new)
            for row, data in roster.new:
                preview.append((row.number, "create", f"{roster.klass} · {data.person.name}"))
            if finishing:
                completing.append(roster)
                first = min(r.number for r, _e in [*roster.known, *roster.new])
                preview.append(
                    (
                        first,
                        "update",
                        _("%(klass)s · 结业 on %(day)s (补录)")
                        % {"klass": roster.klass, "day": roster.completed_on},
                    )
                )
        preview.sort(key=lambda p: p[0])
        return Plan(create=plan_create, update=completing, unchanged=unchanged, preview=preview)

    def _classes(
        self, rows: Sequence[Row], orgs: OrganizationMatcher
    ) -> dict[tuple[int, int], TrainingClass]:
        wanted: set[int] = set()
        for row in rows:
            try:
                wanted.add(orgs.match(row.get("org_code") or row.get("org") or "").pk)
            except Unmatched:
                continue
        numbers = {r.get("number") for r in rows}
        qs = (
            TRAINING_CLASS.queryset(orgs.viewer, MANAGE)
            .filter(org_id__in=wanted, number__in=numbers, series__isnull=True)
            .select_related("org")
        )
        return {(k.org_id, k.number): k for k in qs}

    def _enrolled(self, rosters: dict[int, ClassRoster]) -> dict[tuple[int, int], Enrollment]:
        people = {d.person.pk for r in rosters.values() for _row, d in r.new}
        if not people:
            return {}
        qs = Enrollment.objects.filter(training_class_id__in=rosters, person_id__in=people)
        return {(e.training_class_id, e.person_id): e for e in qs.select_related("person")}

    def _enrollable(self, roster: ClassRoster, ctx: Context) -> bool:
        """The checks ``enrollment_import`` makes for the class, named by row."""
        if not roster.new:
            return True
        if roster.klass.completed_on is not None:
            for row, _data in roster.new:
                ctx.error(row, "person", _("The class is completed; its records are closed."))
            return False
        rows_of = {data.person.pk: row for row, data in roster.new}
        problems = enrollment_problems(roster.klass, [data.person for _row, data in roster.new])
        for problem in problems:
            row = rows_of[problem.person.pk] if problem.person else roster.new[-1][0]
            ctx.error(row, "person", problem.message)
        return not problems

    def _outcomes(self, roster: ClassRoster, ctx: Context) -> bool | None:
        """Whether the rows enter the class's 结业 (None: refused, with errors)."""
        rows = [*roster.known, *roster.new]
        given = [(row, item) for row, item in rows if row.get("graduated") is not None]
        klass = roster.klass
        if klass.completed_on is not None:
            ok = True
            for row, enrollment in roster.known:
                same = (
                    row.get("graduated") in (None, enrollment.graduated)
                    and row.get("attendance_pct") in (None, enrollment.attendance_pct)
                    and row.get("completed_on") in (None, klass.completed_on)
                )
                if not same:
                    ctx.error(
                        row, "graduated", _("The class is completed; its graduate list is final.")
                    )
                    ok = False
            return False if ok else None
        if not given:
            for row, _item in rows:
                if row.get("completed_on") is not None or row.get("attendance_pct") is not None:
                    ctx.error(row, "graduated", _("Write 是 or 否 with the day of 结业."))
                    return None
            return False
        ok = True
        days = {row.get("completed_on") for row, _item in rows}
        for row, _item in rows:
            if row.get("graduated") is None:
                ctx.error(row, "graduated", _("Write 是 or 否 for every trainee of the class."))
                ok = False
            if row.get("completed_on") is None:
                ctx.error(row, "completed_on", _("Write the day of 结业."))
                ok = False
        if ok and len(days) != 1:
            ctx.error(rows[0][0], "completed_on", _("The class has one day of 结业."))
            ok = False
        named = {e.pk for _row, e in roster.known}
        missing = klass.enrollments.exclude(pk__in=named).count()
        if missing:
            ctx.error(
                rows[0][0],
                "graduated",
                _(
                    "To enter the 结业 of %(klass)s, list all its trainees; "
                    "%(count)d are missing from the file."
                )
                % {"klass": klass, "count": missing},
            )
            ok = False
        day = next(iter(days)) if ok else None
        if day is not None and (day > ctx.today or day < klass.start_date):
            ctx.error(
                rows[0][0],
                "completed_on",
                _("The day of 结业 is between the class's first day and today."),
            )
            ok = False
        if not ok:
            return None
        roster.completed_on = day
        for row, enrollment in roster.known:
            roster.outcomes[("known", enrollment.pk)] = Outcome(
                row.get("graduated"), row.get("attendance_pct")
            )
        for row, data in roster.new:
            roster.outcomes[("new", data.person.pk)] = Outcome(
                row.get("graduated"), row.get("attendance_pct")
            )
        return True

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = enrollment_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        by_person = {(e.training_class_id, e.person_id): e.pk for e in created}
        for roster in plan.update:
            outcomes = {
                pk if side == "known" else by_person[(roster.klass.pk, pk)]: outcome
                for (side, pk), outcome in roster.outcomes.items()
            }
            assert roster.completed_on is not None
            training_class_graduates_record(
                training_class=roster.klass,
                outcomes=outcomes,
                completed_on=roster.completed_on,
                late_reason=ctx.reason,
                acting_user=ctx.actor,
            )
        return Written(
            created={"trainings.enrollment": [e.pk for e in created]},
            updated={"trainings.trainingclass": [r.klass.pk for r in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        enrollment_import_undo(
            ids=written.created.get("trainings.enrollment", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


ROSTER_IMPORTER = RosterImporter()
