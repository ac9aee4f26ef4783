"""Writes for training classes: one audit event per call, scope checked on the organizer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
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
    TrainingSession,
)
from taizhang.trainings.permissions import TRAINING_CLASS, VIEW

CLASS_FIELDS = [
    "org",
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
    acting_user: Actor,
) -> TrainingClass:
    """Open a class (第N期) with its completion rule."""
    TRAINING_CLASS.require_org(acting_user, org)
    if end_date < start_date:
        raise ValidationError({"end_date": _("The class cannot end before it starts.")})
    if capacity < 1:
        raise ValidationError({"capacity": _("The capacity must be at least one trainee.")})
    if not 0 <= min_attendance_pct <= 100:
        raise ValidationError({"min_attendance_pct": _("Attendance is a percentage, 0 to 100.")})
    if TrainingClass.objects.filter(org=org, number=number).exists():
        raise ValidationError({"number": _("This organizer already has a class with this number.")})
    klass = TrainingClass(
        org=org,
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


def _quota_for(klass: TrainingClass, person: Person) -> ClassQuota | None:
    """The quota covering the person's organization: the deepest quota org above it."""
    path = person.organization.path
    covering = [q for q in klass.quotas.select_related("org") if path.startswith(q.org.path)]
    return max(covering, key=lambda q: len(q.org.path), default=None)


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
    unique = list({p.pk: p for p in persons}.values())
    already = set(
        klass.enrollments.filter(person__in=unique).values_list("person__name", flat=True)
    )
    errors: list[str] = []
    if already or len(unique) != len(persons):
        names = "、".join(sorted(already)) or _("the same person twice")
        errors.append(_("Already enrolled: %(names)s") % {"names": names})
    taken = klass.enrollments.count()
    if taken + len(unique) > klass.capacity:
        errors.append(
            _("The class is full: %(capacity)s places, %(taken)s taken.")
            % {"capacity": klass.capacity, "taken": taken}
        )
    quotas = list(klass.quotas.select_related("org"))
    if quotas:
        used: dict[int, int] = {}
        for person in unique:
            quota = _quota_for(klass, person)
            if quota is None:
                errors.append(
                    _("%(name)s's organization has no places in this class.")
                    % {"name": person.name}
                )
                continue
            if quota.pk not in used:
                used[quota.pk] = _enrolled_under(klass, quota.org)
            used[quota.pk] += 1
            if used[quota.pk] > quota.quota:
                errors.append(
                    _("%(org)s has used all its %(n)s places.")
                    % {"org": quota.org.short_name, "n": quota.quota}
                )
    if errors:
        raise ValidationError(list(dict.fromkeys(errors)))
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
