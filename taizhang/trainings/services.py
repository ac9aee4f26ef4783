"""Writes for training classes: one audit event per call, scope checked on the organizer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.services import update_with_audit
from taizhang.core.versions import require_version
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.trainings.models import (
    CheckIn,
    ClassQuota,
    Enrollment,
    Reflection,
    TrainingClass,
    TrainingSeries,
    TrainingSession,
)
from taizhang.trainings.permissions import TRAINING_CLASS, TRAINING_SERIES, VIEW

CLASS_FIELDS = [
    "org",
    "series",
    "number",
    "title",
    "start_date",
    "end_date",
    "venue",
    "capacity",
    "min_attendance_pct",
    "reflection_required",
]
SESSION_FIELDS = [
    "kind",
    "title",
    "speaker",
    "speaker_note",
    "day",
    "start_time",
    "end_time",
    "location",
]


def _ensure_persons_visible(acting_user: Actor, persons: Sequence[Person], field: str) -> None:
    """Trainees and lecturers are persons the organizer's staff may see (``PERSON``)."""
    wanted = {p.pk for p in persons}
    if is_system(acting_user) or not wanted:
        return
    if PERSON.queryset(acting_user).filter(pk__in=wanted).count() != len(wanted):
        raise ValidationError({field: _("Some persons are outside your scope.")})


def _ensure_open(klass: TrainingClass) -> None:
    if klass.completed_on is not None:
        raise ValidationError(_("The class is completed; its records are closed."))


def _locked(klass: TrainingClass) -> TrainingClass:
    return TrainingClass.objects.select_for_update().select_related("org").get(pk=klass.pk)


@transaction.atomic
def training_class_create(
    *,
    org: Organization,
    number: int,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
    capacity: int,
    venue: str = "",
    min_attendance_pct: int = 80,
    reflection_required: bool = True,
    series: TrainingSeries | None = None,
    acting_user: Actor,
) -> TrainingClass:
    """Open a class (第N期) with its completion rule; in a series, the number is the
    series' own (two series of one organizer each have a 第1期)."""
    TRAINING_CLASS.require_org(acting_user, org)
    if series is not None:
        _check_series(acting_user, series, org)
    if end_date < start_date:
        raise ValidationError({"end_date": _("The class cannot end before it starts.")})
    if capacity < 1:
        raise ValidationError({"capacity": _("The capacity must be at least one trainee.")})
    if not 0 <= min_attendance_pct <= 100:
        raise ValidationError({"min_attendance_pct": _("Attendance is a percentage, 0 to 100.")})
    if series is not None:
        if TrainingClass.objects.filter(series=series, number=number).exists():
            raise ValidationError(
                {"number": _("This series already has a class with this number.")}
            )
    elif TrainingClass.objects.filter(org=org, series__isnull=True, number=number).exists():
        raise ValidationError({"number": _("This organizer already has a class with this number.")})
    klass = TrainingClass(
        org=org,
        series=series,
        number=number,
        title=title.strip(),
        start_date=start_date,
        end_date=end_date,
        venue=venue.strip(),
        capacity=capacity,
        min_attendance_pct=min_attendance_pct,
        reflection_required=reflection_required,
    )
    klass.full_clean()
    klass.save()
    rows_written(TrainingClass, [klass.pk])
    audit_record(
        actor=acting_user,
        action="training_class.create",
        obj=klass,
        changes=diff({}, snapshot(klass, CLASS_FIELDS)),
    )
    return klass


def _check_series(acting_user: Actor, series: TrainingSeries, org: Organization) -> None:
    """A class joins a series its recorder sees, of the class's own organizer."""
    if not is_system(acting_user) and not TRAINING_SERIES.covers(acting_user, series):
        raise ValidationError({"series": unknown_message()})
    if series.org_id != org.pk:
        raise ValidationError({"series": _("The series belongs to another organizer.")})


SERIES_FIELDS = ["org", "title", "planned_classes", "planned_trainees", "description"]
SERIES_EDITABLE = {"title", "planned_classes", "planned_trainees", "description"}


def _series_problems(title: str, planned_classes: int, planned_trainees: int) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not title.strip():
        problems["title"] = _("Give the series a title.")
    if planned_classes < 1:
        problems["planned_classes"] = _("A series plans at least one class.")
    if planned_trainees < 0:
        problems["planned_trainees"] = _("The planned number of trainees cannot be negative.")
    return problems


@transaction.atomic
def training_series_create(
    *,
    org: Organization,
    title: str,
    planned_classes: int,
    planned_trainees: int,
    description: str = "",
    acting_user: Actor,
) -> TrainingSeries:
    """Start a training series (培训系列) of an organizer with its plan: N classes and
    M trainees (person-times) across them."""
    TRAINING_SERIES.require_org(acting_user, org)
    problems = _series_problems(title, planned_classes, planned_trainees)
    if problems:
        raise ValidationError(problems)
    if TrainingSeries.objects.filter(org=org, title=title.strip()).exists():
        raise ValidationError({"title": _("This organizer already has a series with this title.")})
    series = TrainingSeries(
        org=org,
        title=title.strip(),
        planned_classes=planned_classes,
        planned_trainees=planned_trainees,
        description=description.strip(),
    )
    series.full_clean()
    series.save()
    audit_record(
        actor=acting_user,
        action="training_series.create",
        obj=series,
        changes=diff({}, snapshot(series, SERIES_FIELDS)),
    )
    return series


@transaction.atomic
def training_series_update(
    *, series: TrainingSeries, acting_user: Actor, version: int | None = None, **fields: Any
) -> TrainingSeries:
    """Correct a series' title, plan or description (its organizer stays).

    ``version`` is the series' version the editor saw (``core.versions``)."""
    unknown = set(fields) - SERIES_EDITABLE
    if unknown:
        raise TypeError(f"Unknown series fields: {sorted(unknown)}")
    series = TrainingSeries.objects.select_for_update().select_related("org").get(pk=series.pk)
    TRAINING_SERIES.require(acting_user, series)
    require_version(series, version)
    values = {name: fields.get(name, getattr(series, name)) for name in SERIES_EDITABLE}
    problems = _series_problems(
        values["title"], values["planned_classes"], values["planned_trainees"]
    )
    if problems:
        raise ValidationError(problems)
    title = values["title"].strip()
    if TrainingSeries.objects.filter(org=series.org, title=title).exclude(pk=series.pk).exists():
        raise ValidationError({"title": _("This organizer already has a series with this title.")})
    update_with_audit(
        series,
        changes={k: v.strip() if isinstance(v, str) else v for k, v in fields.items()},
        editable=SERIES_EDITABLE,
        audited=SERIES_FIELDS,
        action="training_series.update",
        acting_user=acting_user,
    )
    return series


@transaction.atomic
def class_quota_set(
    *, training_class: TrainingClass, org: Organization, quota: int, acting_user: Actor
) -> ClassQuota:
    """Give an organization (and its subtree) a number of places in the class."""
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    # Places go to organizations the organizer's staff may see with trainings.view.
    if (
        not is_system(acting_user)
        and not TRAINING_CLASS.org_choices(acting_user, VIEW).filter(pk=org.pk).exists()
    ):
        raise ValidationError({"org": unknown_message()})
    others = sum(q.quota for q in klass.quotas.exclude(org=org))
    if others + quota > klass.capacity:
        raise ValidationError(
            {
                "quota": _("The places (%(total)s) would exceed the capacity (%(capacity)s).")
                % {"total": others + quota, "capacity": klass.capacity}
            }
        )
    existing = ClassQuota.objects.filter(training_class=klass, org=org).first()
    before = existing.quota if existing else None
    if existing is not None and _enrolled_under(klass, org) > quota:
        raise ValidationError(
            {"quota": _("More trainees are already enrolled from this organization.")}
        )
    row, _created = ClassQuota.objects.update_or_create(
        training_class=klass, org=org, defaults={"quota": quota}
    )
    audit_record(
        actor=acting_user,
        action="training_class.quota",
        obj=klass,
        changes={"quota": {"org": org.pk, "places": [before, quota]}},
    )
    return row


def _enrolled_under(klass: TrainingClass, org: Organization) -> int:
    lower, upper = org.subtree_bounds
    return klass.enrollments.filter(
        person__organization__path__gte=lower, person__organization__path__lt=upper
    ).count()


@transaction.atomic
def training_session_create(
    *,
    training_class: TrainingClass,
    kind: str,
    title: str,
    day: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    speaker: Person | None = None,
    speaker_note: str = "",
    location: str = "",
    acting_user: Actor,
) -> TrainingSession:
    """Add a session to the curriculum (专题课, 现场教学, 分组讨论, 交流发言, 体会撰写)."""
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    if speaker is not None:
        _ensure_persons_visible(acting_user, [speaker], "speaker")
    if not klass.start_date <= day <= klass.end_date:
        raise ValidationError({"day": _("The session falls outside the class dates.")})
    if end_time <= start_time:
        raise ValidationError({"end_time": _("The session must end after it starts.")})
    session = TrainingSession(
        training_class=klass,
        kind=kind,
        title=title.strip(),
        speaker=speaker,
        speaker_note=speaker_note.strip(),
        day=day,
        start_time=start_time,
        end_time=end_time,
        location=location.strip(),
    )
    session.full_clean()
    session.save()
    audit_record(
        actor=acting_user,
        action="training_session.create",
        obj=session,
        changes=diff({}, snapshot(session, ["training_class", *SESSION_FIELDS])),
    )
    return session


def _quota_for(quotas: Sequence[ClassQuota], person: Person) -> ClassQuota | None:
    """The quota covering the person's organization: the deepest quota org above it."""
    path = person.organization.path
    covering = [q for q in quotas if path.startswith(q.org.path)]
    return max(covering, key=lambda q: len(q.org.path), default=None)


@dataclass(frozen=True)
class EnrollmentProblem:
    """One reason persons cannot be enrolled; ``person`` None concerns the whole class."""

    person: Person | None
    message: str
    # "enrolled" (already in the class) or "twice" (named twice), else "".
    duplicate: str = ""


def enrollment_problems(klass: TrainingClass, persons: Sequence[Person]) -> list[EnrollmentProblem]:
    """Why ``persons`` cannot all be enrolled: duplicates, a full class, a missing or
    exhausted quota, each with the person it concerns.

    ``enrollment_create`` and ``enrollment_import`` refuse on any; an import asks first
    so it can name the row. A handful of queries per class, none per person.
    """
    problems: list[EnrollmentProblem] = []
    unique = list({p.pk: p for p in persons}.values())
    already = set(klass.enrollments.filter(person__in=unique).values_list("person_id", flat=True))
    counted: set[int] = set()
    for person in persons:
        if person.pk in already:
            message = _("Already enrolled: %(names)s") % {"names": person.name}
            problems.append(EnrollmentProblem(person, message, duplicate="enrolled"))
        elif person.pk in counted:
            problems.append(
                EnrollmentProblem(person, _("The same person appears twice."), duplicate="twice")
            )
        counted.add(person.pk)
    taken = klass.enrollments.count()
    new = [p for p in unique if p.pk not in already]
    if taken + len(new) > klass.capacity:
        message = _("The class is full: %(capacity)s places, %(taken)s taken.") % {
            "capacity": klass.capacity,
            "taken": taken,
        }
        problems.append(EnrollmentProblem(None, message))
    quotas = list(klass.quotas.select_related("org"))
    if quotas:
        used: dict[int, int] = {}
        for person in new:
            quota = _quota_for(quotas, person)
            if quota is None:
                message = _("%(name)s's organization has no places in this class.") % {
                    "name": person.name
                }
                problems.append(EnrollmentProblem(person, message))
                continue
            if quota.pk not in used:
                used[quota.pk] = _enrolled_under(klass, quota.org)
            used[quota.pk] += 1
            if used[quota.pk] > quota.quota:
                message = _("%(org)s has used all its %(n)s places.") % {
                    "org": quota.org.short_name,
                    "n": quota.quota,
                }
                problems.append(EnrollmentProblem(person, message))
    return problems


def _refuse_enrollment(klass: TrainingClass, persons: Sequence[Person]) -> None:
    """Every reason in one error, duplicates named together as the form shows them."""
    problems = enrollment_problems(klass, persons)
    if not problems:
        return
    messages = [p.message for p in problems if not p.duplicate]
    duplicates = [p for p in problems if p.duplicate]
    # Each duplicate is named, by what it is: already in the class, or named twice.
    twice = sorted({p.person.name for p in duplicates if p.person and p.duplicate == "twice"})
    if twice:
        message = _("Named more than once: %(names)s. Each trainee is enrolled once.")
        messages.insert(0, message % {"names": "、".join(twice)})
    enrolled = sorted({p.person.name for p in duplicates if p.person and p.duplicate == "enrolled"})
    if enrolled:
        messages.insert(0, _("Already enrolled: %(names)s") % {"names": "、".join(enrolled)})
    raise ValidationError(list(dict.fromkeys(messages)))


@transaction.atomic
def enrollment_create(
    *,
    training_class: TrainingClass,
    persons: Sequence[Person],
    enrolled_on: dt.date | None = None,
    acting_user: Actor,
) -> list[Enrollment]:
    """Enroll persons; refuse duplicates, a full class and an exhausted quota.

    All or nothing: one refused person enrolls nobody, with every reason listed.
    """
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    _ensure_persons_visible(acting_user, persons, "persons")
    _refuse_enrollment(klass, persons)
    unique = list({p.pk: p for p in persons}.values())
    day = enrolled_on or timezone.localdate()
    rows = [Enrollment(training_class=klass, person=p, enrolled_on=day) for p in unique]
    Enrollment.objects.bulk_create(rows)
    # Bulk inserts send no signal: the roll-ups (trainees enrolled) learn of them here.
    enrolled = list(klass.enrollments.filter(person__in=unique).select_related("person"))
    rows_written(Enrollment, enrolled)
    audit_record(
        actor=acting_user,
        action="training_class.enroll",
        obj=klass,
        changes={"enrolled": sorted(p.pk for p in unique)},
    )
    return enrolled


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, acting_user: Actor) -> None:
    """Take a trainee off the class before it is completed (frees the place)."""
    klass = _locked(enrollment.training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    person_id = enrollment.person_id
    with rows_changing(Enrollment, [enrollment.pk]):
        enrollment.delete()
    audit_record(
        actor=acting_user,
        action="training_class.withdraw",
        obj=klass,
        changes={"withdrawn": [person_id]},
    )


@transaction.atomic
def session_check_in(
    *,
    session: TrainingSession,
    enrollments: Sequence[Enrollment],
    checked_at: dt.datetime | None = None,
    acting_user: Actor,
) -> int:
    """Check trainees in to a session (the sign-in sheet); returns how many were new."""
    klass = _locked(session.training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    if any(e.training_class_id != klass.pk for e in enrollments):
        raise ValidationError(_("Only trainees of this class can check in."))
    present = set(session.checkins.values_list("enrollment_id", flat=True))
    moment = checked_at or timezone.now()
    new = [
        CheckIn(session=session, enrollment=e, checked_at=moment)
        for e in {e.pk: e for e in enrollments}.values()
        if e.pk not in present
    ]
    CheckIn.objects.bulk_create(new)
    audit_record(
        actor=acting_user,
        action="training_session.check_in",
        obj=session,
        changes={"checked_in": sorted(c.enrollment_id for c in new)},
    )
    return len(new)


@transaction.atomic
def session_sheet_save(
    *, session: TrainingSession, present: Sequence[Enrollment], acting_user: Actor
) -> TrainingSession:
    """Save a session's sign-in sheet as a whole: these trainees, and only these, came."""
    klass = _locked(session.training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    if any(e.training_class_id != klass.pk for e in present):
        raise ValidationError(_("Only trainees of this class can check in."))
    before = set(session.checkins.values_list("enrollment_id", flat=True))
    after = {e.pk for e in present}
    CheckIn.objects.filter(session=session, enrollment_id__in=before - after).delete()
    moment = timezone.now()
    CheckIn.objects.bulk_create(
        [
            CheckIn(session=session, enrollment_id=pk, checked_at=moment)
            for pk in sorted(after - before)
        ]
    )
    audit_record(
        actor=acting_user,
        action="training_session.sheet",
        obj=session,
        changes={"added": sorted(after - before), "removed": sorted(before - after)},
    )
    return session


@transaction.atomic
def reflection_submit(
    *,
    enrollment: Enrollment,
    title: str,
    text: str,
    submitted_on: dt.date | None = None,
    acting_user: Actor,
) -> Reflection:
    """Hand in a trainee's written reflection (entered by the organizer's staff)."""
    klass = _locked(enrollment.training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    if Reflection.objects.filter(enrollment=enrollment).exists():
        raise ValidationError(_("This trainee has already handed in a reflection."))
    if len(text.strip()) < 20:
        raise ValidationError({"text": _("A reflection has at least 20 characters.")})
    reflection = Reflection(
        enrollment=enrollment,
        title=title.strip(),
        text=text.strip(),
        submitted_on=submitted_on or timezone.localdate(),
    )
    reflection.full_clean()
    reflection.save()
    audit_record(
        actor=acting_user,
        action="reflection.submit",
        obj=reflection,
        changes=diff({}, snapshot(reflection, ["enrollment", "title", "submitted_on"])),
    )
    return reflection


@transaction.atomic
def reflection_read(*, reflection: Reflection, comment: str = "", acting_user: Actor) -> Reflection:
    """Mark a reflection as read (批阅), with an optional comment."""
    reflection = Reflection.objects.select_for_update().get(pk=reflection.pk)
    klass = TrainingClass.objects.select_related("org").get(
        pk=reflection.enrollment.training_class_id
    )
    TRAINING_CLASS.require(acting_user, klass)
    before = snapshot(reflection, ["read_at", "read_by", "comment"])
    reflection.read_at = timezone.now()
    reflection.read_by = user_of(acting_user)
    reflection.comment = comment.strip()
    reflection.save(update_fields=["read_at", "read_by", "comment"])
    audit_record(
        actor=acting_user,
        action="reflection.read",
        obj=reflection,
        changes=diff(before, snapshot(reflection, ["read_at", "read_by", "comment"])),
    )
    return reflection


@transaction.atomic
def training_class_complete(
    *, training_class: TrainingClass, completed_on: dt.date | None = None, acting_user: Actor
) -> TrainingClass:
    """结业: apply the class's rule to every trainee and freeze the outcome.

    A trainee graduates with check-ins at ``min_attendance_pct`` percent of the
    sessions or more and, when the class requires one, a submitted reflection.
    """
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    sessions = klass.sessions.count()
    if sessions == 0:
        raise ValidationError(_("A class without sessions cannot be completed."))
    day = completed_on or timezone.localdate()
    if day < klass.start_date:
        raise ValidationError(_("A class cannot be completed before it starts."))
    rows = list(
        klass.enrollments.annotate(n=Count("checkins", distinct=True)).select_related("reflection")
    )
    graduates = 0
    for row in rows:
        pct = row.n * 100 // sessions
        wrote = hasattr(row, "reflection")
        row.attendance_pct = pct
        row.graduated = pct >= klass.min_attendance_pct and (wrote or not klass.reflection_required)
        graduates += bool(row.graduated)
    # 结业 dates the graduates (completed_on) and decides who counts: a bulk update the
    # roll-ups learn of from this report.
    with rows_changing(Enrollment, [row.pk for row in rows]):
        Enrollment.objects.bulk_update(rows, ["attendance_pct", "graduated"])
        klass.completed_on = day
        klass.save(update_fields=["completed_on"])
    audit_record(
        actor=acting_user,
        action="training_class.complete",
        obj=klass,
        changes={
            "completed_on": [None, day],
            "rule": {
                "min_attendance_pct": klass.min_attendance_pct,
                "reflection_required": klass.reflection_required,
            },
            "trainees": len(rows),
            "graduates": graduates,
        },
    )
    return klass


# --- imports (issue 13): many rows in one audited write, and their undo ------------------


@dataclass
class ClassIn:
    """One class to open (a row of an imported class ledger)."""

    org: Organization
    number: int
    title: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    venue: str = ""
    min_attendance_pct: int = 80
    reflection_required: bool = True


def class_problems(row: ClassIn) -> dict[str, str]:
    """The checks ``training_class_create`` makes on a class's own values, by field."""
    problems: dict[str, str] = {}
    if row.end_date < row.start_date:
        problems["end_date"] = _("The class cannot end before it starts.")
    if row.capacity < 1:
        problems["capacity"] = _("The capacity must be at least one trainee.")
    if not 0 <= row.min_attendance_pct <= 100:
        problems["min_attendance_pct"] = _("Attendance is a percentage, 0 to 100.")
    return problems


def _build_class(row: ClassIn) -> TrainingClass:
    problems = class_problems(row)
    if problems:
        raise ValidationError(problems)
    klass = TrainingClass(
        org=row.org,
        number=row.number,
        title=row.title.strip(),
        start_date=row.start_date,
        end_date=row.end_date,
        venue=row.venue.strip(),
        capacity=row.capacity,
        min_attendance_pct=row.min_attendance_pct,
        reflection_required=row.reflection_required,
    )
    klass.full_clean(exclude=["org"], validate_unique=False, validate_constraints=False)
    return klass


@transaction.atomic
def training_class_import(
    *, rows: Sequence[ClassIn], source: str, acting_user: Actor
) -> list[TrainingClass]:
    """Open many classes at once (last year's class ledger): one audit event.

    Every row is validated before anything is written; a number an organizer already
    uses, or uses twice in the rows, is refused.
    """
    for org in {row.org.pk: row.org for row in rows}.values():
        TRAINING_CLASS.require_org(acting_user, org)
    keys = [(row.org.pk, row.number) for row in rows]
    # The ledger's rows are classes without a series: the organizer's own numbering.
    taken = set(
        TrainingClass.objects.filter(
            series__isnull=True, org_id__in={k[0] for k in keys}, number__in={k[1] for k in keys}
        ).values_list("org_id", "number")
    )
    if len(set(keys)) != len(keys) or taken & set(keys):
        raise ValidationError({"number": _("This organizer already has a class with this number.")})
    built = [_build_class(row) for row in rows]
    TrainingClass.objects.bulk_create(built, batch_size=500)
    if not all(k.pk for k in built):
        raise RuntimeError("The database did not return the new ids")
    rows_written(TrainingClass, built)
    audit_record(
        actor=acting_user,
        action="training_class.import",
        object_type=TrainingClass._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "ids": [k.pk for k in built]},
    )
    return built


@transaction.atomic
def training_class_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the classes an import opened (its batch is being undone): one audit event.

    A class that has sessions, quotas or trainees since is kept and the undo refused.
    """
    classes = list(
        TrainingClass.objects.select_for_update().select_related("org").filter(pk__in=ids)
    )
    for klass in classes:
        TRAINING_CLASS.require(acting_user, klass)
    used = (
        TrainingClass.objects.filter(pk__in=[k.pk for k in classes])
        .filter(Q(sessions__isnull=False) | Q(quotas__isnull=False) | Q(enrollments__isnull=False))
        .distinct()
        .count()
    )
    if used:
        raise ValidationError(
            _("%(count)d of the classes have sessions, places or trainees now; they are kept.")
            % {"count": used}
        )
    with rows_changing(TrainingClass, classes):
        TrainingClass.objects.filter(pk__in=[k.pk for k in classes]).delete()
    audit_record(
        actor=acting_user,
        action="training_class.import_undo",
        object_type=TrainingClass._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(classes), "source": source},
    )
    return len(classes)


CLASS_EDITABLE = {
    "title",
    "start_date",
    "end_date",
    "venue",
    "capacity",
    "min_attendance_pct",
    "reflection_required",
}


@transaction.atomic
def training_class_update(
    *, training_class: TrainingClass, acting_user: Actor, **fields: Any
) -> TrainingClass:
    """Correct an open class: title, dates, venue, capacity and its completion rule.

    The capacity keeps the trainees enrolled and the places allotted; the dates keep
    every session of the curriculum.
    """
    unknown = set(fields) - CLASS_EDITABLE
    if unknown:
        raise TypeError(f"Unknown class fields: {sorted(unknown)}")
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    values = {name: fields.get(name, getattr(klass, name)) for name in CLASS_FIELDS}
    problems = class_problems(
        ClassIn(**{k: v for k, v in values.items() if k in ClassIn.__dataclass_fields__})
    )
    if problems:
        raise ValidationError(problems)
    capacity = values["capacity"]
    enrolled = klass.enrollments.count()
    allotted = sum(q.quota for q in klass.quotas.all())
    if capacity < max(enrolled, allotted):
        raise ValidationError(
            {
                "capacity": _(
                    "%(enrolled)s trainees are enrolled and %(allotted)s places allotted; the "
                    "capacity cannot be lower."
                )
                % {"enrolled": enrolled, "allotted": allotted}
            }
        )
    outside = klass.sessions.filter(
        Q(day__lt=values["start_date"]) | Q(day__gt=values["end_date"])
    ).count()
    if outside:
        raise ValidationError(
            {
                "start_date": _("%(count)d sessions would fall outside the class dates.")
                % {"count": outside}
            }
        )
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    # The first day dates the class and its trainees in the figures.
    with (
        rows_changing(TrainingClass, [klass.pk]),
        rows_changing(Enrollment, list(klass.enrollments.values_list("pk", flat=True))),
    ):
        update_with_audit(
            klass,
            changes=changes,
            editable=CLASS_EDITABLE,
            audited=CLASS_FIELDS,
            action="training_class.update",
            acting_user=acting_user,
        )
    return klass


@dataclass
class EnrollmentIn:
    """One trainee of a class, enrolled on a real (possibly past) day."""

    training_class: TrainingClass
    person: Person
    enrolled_on: dt.date


@transaction.atomic
def enrollment_import(
    *, rows: Sequence[EnrollmentIn], source: str, acting_user: Actor
) -> list[Enrollment]:
    """Enroll the trainees of a roster (one or several classes) at once: one audit event.

    The same rules as ``enrollment_create`` hold per class (open, capacity, quotas, no
    one twice); an enrollment day after today is refused.
    """
    by_class: dict[int, list[EnrollmentIn]] = {}
    for row in rows:
        by_class.setdefault(row.training_class.pk, []).append(row)
    today = timezone.localdate()
    if any(row.enrolled_on > today for row in rows):
        raise ValidationError({"enrolled_on": _("A trainee cannot be enrolled in the future.")})
    _ensure_persons_visible(acting_user, [row.person for row in rows], "persons")
    built: list[Enrollment] = []
    for class_rows in by_class.values():
        klass = _locked(class_rows[0].training_class)
        TRAINING_CLASS.require(acting_user, klass)
        _ensure_open(klass)
        _refuse_enrollment(klass, [row.person for row in class_rows])
        built.extend(
            Enrollment(training_class=klass, person=row.person, enrolled_on=row.enrolled_on)
            for row in class_rows
        )
    Enrollment.objects.bulk_create(built, batch_size=1000)
    if not all(e.pk for e in built):
        raise RuntimeError("The database did not return the new ids")
    rows_written(Enrollment, built)
    audit_record(
        actor=acting_user,
        action="enrollment.import",
        object_type=Enrollment._meta.label_lower,
        object_repr=source[:200],
        changes={
            "count": len(built),
            "source": source,
            "classes": sorted(by_class),
            "ids": [e.pk for e in built],
        },
    )
    return built


@transaction.atomic
def enrollment_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Take the trainees an import enrolled off their classes again: one audit event.

    Refused when a class is completed since, or a trainee has check-ins or a reflection.
    """
    rows = list(Enrollment.objects.select_related("training_class__org").filter(pk__in=ids))
    for klass in {r.training_class_id: r.training_class for r in rows}.values():
        TRAINING_CLASS.require(acting_user, klass)
        _ensure_open(klass)
    busy = (
        Enrollment.objects.filter(pk__in=[r.pk for r in rows])
        .filter(Q(checkins__isnull=False) | Q(reflection__isnull=False))
        .distinct()
        .count()
    )
    if busy:
        raise ValidationError(
            _("%(count)d of the trainees have check-ins or a reflection now; they are kept.")
            % {"count": busy}
        )
    with rows_changing(Enrollment, rows):
        Enrollment.objects.filter(pk__in=[r.pk for r in rows]).delete()
    audit_record(
        actor=acting_user,
        action="enrollment.import_undo",
        object_type=Enrollment._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(rows), "source": source},
    )
    return len(rows)


@dataclass(frozen=True)
class Outcome:
    """A trainee's 结业 as it was decided: graduated or not, and the attendance (%)."""

    graduated: bool
    attendance_pct: int | None = None


@transaction.atomic
def training_class_graduates_record(
    *,
    training_class: TrainingClass,
    outcomes: Mapping[int, Outcome],
    completed_on: dt.date,
    late_reason: str,
    acting_user: Actor,
) -> TrainingClass:
    """补录 of a 结业 decided outside taizhang (last year's class, on paper).

    ``outcomes`` names every trainee of the class by enrollment id. The graduate list is
    stored as given, on its real day ``completed_on`` (not after today, not before the
    class began), and the class is closed as ``training_class_complete`` closes it; the
    audit event keeps the real day and the reason beside the moment of entry, and the
    class shows 补录 with the reason.
    """
    klass = _locked(training_class)
    TRAINING_CLASS.require(acting_user, klass)
    _ensure_open(klass)
    reason = late_reason.strip()
    if not reason:
        raise ValidationError(
            {"late_reason": _("Say where the graduate list comes from (补录 reason).")}
        )
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("A class cannot be completed in the future.")})
    if completed_on < klass.start_date:
        raise ValidationError(_("A class cannot be completed before it starts."))
    rows = list(klass.enrollments.all())
    missing = [r.pk for r in rows if r.pk not in outcomes]
    foreign = set(outcomes) - {r.pk for r in rows}
    if missing or foreign:
        raise ValidationError(
            _("The graduate list must name every trainee of the class (%(count)d missing).")
            % {"count": len(missing) + len(foreign)}
        )
    for row in rows:
        outcome = outcomes[row.pk]
        if outcome.attendance_pct is not None and not 0 <= outcome.attendance_pct <= 100:
            raise ValidationError({"attendance_pct": _("Attendance is a percentage, 0 to 100.")})
        row.graduated = outcome.graduated
        row.attendance_pct = outcome.attendance_pct
    with rows_changing(Enrollment, [row.pk for row in rows]):
        Enrollment.objects.bulk_update(rows, ["attendance_pct", "graduated"])
        klass.completed_on = completed_on
        klass.completion_late_reason = reason[:200]
        klass.save(update_fields=["completed_on", "completion_late_reason"])
    audit_record(
        actor=acting_user,
        action="training_class.complete",
        obj=klass,
        changes={
            "completed_on": [None, completed_on],
            "late_entry": {"occurred_on": completed_on, "reason": reason},
            "trainees": len(rows),
            "graduates": sum(1 for row in rows if row.graduated),
        },
    )
    return klass
