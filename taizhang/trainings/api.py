"""REST endpoints for training classes under ``/api/v1/trainings``.

Organizations and persons named in a body are resolved through the scope policies
(``TRAINING_CLASS.org_choices``, ``PERSON``): missing and out of scope get the same 422
with the same message. Reads answer 404 alike for missing and out of scope.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.units import PERCENT
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.trainings import services
from taizhang.trainings.models import Enrollment, TrainingClass
from taizhang.trainings.permissions import MANAGE, TRAINING_CLASS, TRAINING_SERIES, VIEW, can
from taizhang.trainings.selectors import (
    class_report,
    class_roster,
    class_sessions,
    get_enrollment,
    get_session,
    get_training_class_for_viewer,
    get_training_series_for_viewer,
    series_progress,
    trainee_record,
    training_class_list,
    training_series_list,
)

router = Router(tags=["trainings"])


class ClassOut(Stamped):
    id: int
    org_id: int
    series_id: int | None
    number: int
    title: str
    start_date: dt.date
    end_date: dt.date
    venue: str
    capacity: int
    min_attendance_pct: int
    reflection_required: bool
    completed_on: dt.date | None
    trainee_count: int


class ClassIn(Schema):
    org_id: int
    series_id: int | None = None
    number: int
    title: str
    start_date: dt.date
    end_date: dt.date
    capacity: int
    venue: str = ""
    min_attendance_pct: int = 80
    reflection_required: bool = True


class SeriesOut(Schema):
    id: int
    org_id: int
    title: str
    planned_classes: int
    planned_trainees: int
    description: str
    class_count: int
    trainee_count: int


class SeriesProgressOut(Schema):
    held: int
    completed: int
    opened: int
    planned_classes: int
    trainees: int
    graduates: int
    planned_trainees: int


class SeriesDetailOut(SeriesOut):
    progress: SeriesProgressOut
    class_ids: list[int]


class SeriesIn(Schema):
    org_id: int
    title: str
    planned_classes: int
    planned_trainees: int
    description: str = ""


class SessionOut(Schema):
    id: int
    kind: str
    title: str
    speaker_id: int | None
    speaker_note: str
    day: dt.date
    start_time: dt.time
    end_time: dt.time
    location: str
    present: int = 0


class SessionIn(Schema):
    kind: str
    title: str
    day: dt.date
    start_time: dt.time
    end_time: dt.time
    speaker_id: int | None = None
    speaker_note: str = ""
    location: str = ""


class EnrollmentOut(Schema):
    id: int
    person_id: int
    person_name: str
    present: int
    graduated: bool | None
    has_reflection: bool

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)

    @staticmethod
    def resolve_has_reflection(obj: Any) -> bool:
        return hasattr(obj, "reflection")


class EnrollIn(Schema):
    person_ids: list[int]


class QuotaIn(Schema):
    org_id: int
    quota: int


class CheckInIn(Schema):
    enrollment_ids: list[int]


class ReflectionIn(Schema):
    title: str
    text: str


class ReportOut(Schema):
    trainees: int
    days: int
    sessions: int
    sessions_by_kind: dict[str, int]
    checkins: int
    attendance_rate: Decimal | None = Field(..., description=PERCENT)
    graduates: int | None
    reflections: int
    reflections_read: int
    press_lines: list[str]


class RecordOut(Schema):
    class_id: int
    class_name: str
    start_date: dt.date
    present: int
    sessions: int
    graduated: bool | None


def _persons(user: Actor, pks: list[int], field: str) -> list[Person]:
    base = Person.objects.select_related("organization")
    return PERSON.resolve_many(user, dict.fromkeys(pks), field=field, base=base)


def _org(user: Actor, pk: int, field: str, permission: str = MANAGE) -> Organization:
    """An organization where the caller holds ``permission`` (the policy's choices)."""
    org = TRAINING_CLASS.org_choices(user, permission).filter(pk=pk).first()
    if org is None:
        raise ValidationError({field: unknown_message()})
    return org


def _enrollments(klass: TrainingClass, pks: list[int], field: str) -> list[Enrollment]:
    """Trainees of ``klass``: any other id is the same 422."""
    wanted = set(pks)
    found = list(klass.enrollments.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: unknown_message()})
    return found


def _for_action(request: HttpRequest, class_id: int, action: str) -> TrainingClass:
    klass = get_training_class_for_viewer(viewer_of(request), class_id)
    if not can(viewer_of(request), action, klass):
        raise PermissionDenied
    return klass


@router.get("", response=list[ClassOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_classes(
    request: HttpRequest, filters: Query[LedgerQuery], q: str = "", year: int | None = None
) -> Any:
    """Training classes in your scope; filters only narrow. ``org``: that organization
    and its subtree, organizing (one outside your scope: 422, as for an unknown id);
    ``date_from``/``date_to``: the class's first day, inclusive; ``mine``: your person is
    a trainee or a session's speaker."""
    viewer = viewer_of(request)
    return stamped(
        training_class_list(
            viewer=viewer,
            q=q[:60],
            year=year,
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/series", response=list[SeriesOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_series(request: HttpRequest) -> Any:
    """Training series (培训系列) organized within your scope, newest first."""
    return training_series_list(viewer=viewer_of(request))


def _series_detail(user: Actor, series_id: int) -> dict[str, Any]:
    series = get_training_series_for_viewer(user, series_id)
    progress = series_progress(series, timezone.localdate())
    return {
        **{name: getattr(series, name) for name in SeriesOut.model_fields},
        "progress": progress.__dict__,
        "class_ids": list(
            TRAINING_CLASS.queryset(user)
            .filter(series=series)
            .order_by("number")
            .values_list("pk", flat=True)
        ),
    }


@router.get("/series/{series_id}", response=SeriesDetailOut)
@requires(VIEW)
def get_series(request: HttpRequest, series_id: int) -> Any:
    """One series with its progress today (已办X期/计划N期, 培训Y人次/计划M人次) and its
    classes in 期次 order; 404 when missing or outside your scope."""
    return _series_detail(viewer_of(request), series_id)


@router.post("/series", response={201: SeriesDetailOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_series(request: HttpRequest, payload: SeriesIn) -> Any:
    user = viewer_of(request)
    org = _org(user, payload.org_id, "org_id")
    series = services.training_series_create(
        org=org, acting_user=user, **payload.dict(exclude={"org_id"})
    )
    return Status(201, _series_detail(user, series.pk))


@router.get("/trainees/{person_id}", response=list[RecordOut])
@requires(VIEW)
def trainee(request: HttpRequest, person_id: int) -> Any:
    """A person's record across the classes you may see."""
    _person, rows = trainee_record(viewer=viewer_of(request), person_pk=person_id)
    return [
        {
            "class_id": e.training_class_id,
            "class_name": str(e.training_class),
            "start_date": e.training_class.start_date,
            "present": e.present,  # type: ignore[attr-defined]
            "sessions": e.sessions,  # type: ignore[attr-defined]
            "graduated": e.graduated,
        }
        for e in rows
    ]


@router.get("/{class_id}", response=ClassOut)
@requires(VIEW)
def get_class(request: HttpRequest, class_id: int) -> Any:
    """One class; 404 when missing or outside your scope."""
    return get_training_class_for_viewer(viewer_of(request), class_id)


@router.post("", response={201: ClassOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_class(request: HttpRequest, payload: ClassIn) -> Any:
    user = viewer_of(request)
    org = _org(user, payload.org_id, "org_id")
    data = payload.dict(exclude={"org_id", "series_id"})
    series = (
        TRAINING_SERIES.resolve(user, payload.series_id, field="series_id")
        if payload.series_id is not None
        else None
    )
    klass = services.training_class_create(org=org, series=series, acting_user=user, **data)
    return Status(201, get_training_class_for_viewer(user, klass.pk))


@router.get("/{class_id}/sessions", response=list[SessionOut])
@requires(VIEW)
def list_sessions(request: HttpRequest, class_id: int) -> Any:
    return class_sessions(get_training_class_for_viewer(viewer_of(request), class_id))


@router.post("/{class_id}/sessions", response={201: SessionOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_session(request: HttpRequest, class_id: int, payload: SessionIn) -> Any:
    klass = _for_action(request, class_id, "edit")
    speaker = (
        PERSON.resolve(viewer_of(request), payload.speaker_id, field="speaker_id")
        if payload.speaker_id is not None
        else None
    )
    session = services.training_session_create(
        training_class=klass,
        speaker=speaker,
        acting_user=viewer_of(request),
        **payload.dict(exclude={"speaker_id"}),
    )
    return Status(201, session)


@router.post("/{class_id}/quotas", response={200: dict, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def set_quota(request: HttpRequest, class_id: int, payload: QuotaIn) -> Any:
    klass = _for_action(request, class_id, "edit")
    org = _org(viewer_of(request), payload.org_id, "org_id", VIEW)
    row = services.class_quota_set(
        training_class=klass, org=org, quota=payload.quota, acting_user=viewer_of(request)
    )
    return {"org_id": row.org_id, "quota": row.quota}


@router.get("/{class_id}/enrollments", response=list[EnrollmentOut])
@requires(VIEW)
def list_enrollments(request: HttpRequest, class_id: int) -> Any:
    return class_roster(get_training_class_for_viewer(viewer_of(request), class_id))


@router.post(
    "/{class_id}/enrollments", response={201: list[EnrollmentOut], 403: ErrorOut, 422: ErrorOut}
)
@requires(MANAGE)
def enroll(request: HttpRequest, class_id: int, payload: EnrollIn) -> Any:
    """Enroll persons; refused (422) over capacity, over a quota, or twice."""
    klass = _for_action(request, class_id, "enroll")
    persons = _persons(viewer_of(request), payload.person_ids, "person_ids")
    services.enrollment_create(
        training_class=klass, persons=persons, acting_user=viewer_of(request)
    )
    pks = {p.pk for p in persons}
    return Status(201, [e for e in class_roster(klass) if e.person_id in pks])


@router.post(
    "/{class_id}/sessions/{session_id}/check-ins",
    response={200: SessionOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def check_in(request: HttpRequest, class_id: int, session_id: int, payload: CheckInIn) -> Any:
    """Check trainees in to a session (adds to the sheet)."""
    klass = _for_action(request, class_id, "check_in")
    session = get_session(klass, session_id)
    enrollments = _enrollments(klass, payload.enrollment_ids, "enrollment_ids")
    services.session_check_in(
        session=session, enrollments=enrollments, acting_user=viewer_of(request)
    )
    return next(s for s in class_sessions(klass) if s.pk == session.pk)


@router.post(
    "/{class_id}/enrollments/{enrollment_id}/reflection",
    response={201: dict, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def submit_reflection(
    request: HttpRequest, class_id: int, enrollment_id: int, payload: ReflectionIn
) -> Any:
    klass = _for_action(request, class_id, "submit_reflection")
    enrollment = get_enrollment(klass, enrollment_id)
    reflection = services.reflection_submit(
        enrollment=enrollment,
        title=payload.title,
        text=payload.text,
        acting_user=viewer_of(request),
    )
    return Status(201, {"id": reflection.pk, "submitted_on": str(reflection.submitted_on)})


@router.post("/{class_id}/complete", response={200: ReportOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def complete(request: HttpRequest, class_id: int) -> Any:
    """结业: apply the class's completion rule; the graduate list becomes final."""
    klass = _for_action(request, class_id, "complete")
    services.training_class_complete(training_class=klass, acting_user=viewer_of(request))
    return _report(get_training_class_for_viewer(viewer_of(request), class_id))


def _report(klass: TrainingClass) -> dict[str, Any]:
    report = class_report(klass)
    return {
        "trainees": report.trainees,
        "days": report.days,
        "sessions": report.sessions,
        "sessions_by_kind": {code: n for code, _label, n in report.sessions_by_kind},
        "checkins": report.checkins,
        "attendance_rate": report.attendance_rate,
        "graduates": report.graduates,
        "reflections": report.reflections,
        "reflections_read": report.reflections_read,
        "press_lines": report.press_lines,
    }


@router.get("/{class_id}/report", response=ReportOut)
@requires(VIEW)
def report(request: HttpRequest, class_id: int) -> Any:
    """The figures a press release on the class would use."""
    return _report(get_training_class_for_viewer(viewer_of(request), class_id))
