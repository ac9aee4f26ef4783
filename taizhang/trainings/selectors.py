"""Reads of training classes through the viewer's data scope, and the class report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from taizhang.core.actors import Actor
from taizhang.core.formatting import approximate
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.trainings.models import (
    CheckIn,
    Enrollment,
    Reflection,
    SessionKind,
    TrainingClass,
    TrainingSeries,
    TrainingSession,
)
from taizhang.trainings.permissions import ENROLLMENT, TRAINING_CLASS, TRAINING_SERIES

# The press release is written in Chinese whatever the reader's UI language.
PRESS_KINDS: dict[str, str] = {
    SessionKind.LECTURE: "专题课",
    SessionKind.SITE: "现场教学",
    SessionKind.DISCUSSION: "分组讨论",
    SessionKind.EXCHANGE: "交流发言",
    SessionKind.WRITING: "体会撰写",
}
SORTS = {"": ("-start_date", "-number"), "number": ("number",), "oldest": ("start_date", "number")}


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _classes() -> QuerySet[TrainingClass]:
    return TrainingClass.objects.select_related("org", "series").annotate(
        trainee_count=Count("enrollments", distinct=True),
        session_count=Count("sessions", distinct=True),
        graduate_count=Count("enrollments", filter=Q(enrollments__graduated=True), distinct=True),
    )


def mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the class ledger: the viewer's person is a trainee
    of the class or the speaker of one of its sessions (classes keep no recorder)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    trainee = Enrollment.objects.filter(person_id=person_id).values("training_class_id")
    speaker = TrainingSession.objects.filter(speaker_id=person_id).values("training_class_id")
    return Q(pk__in=trainee) | Q(pk__in=speaker)


def _narrow(
    qs: QuerySet[TrainingClass], viewer: Actor, ledger: LedgerFilter
) -> QuerySet[TrainingClass]:
    """The shared list filters (``organizations/filters.py``) on classes: organization on
    the organizer, dates on the class's first day, "mine" as ``mine_q``."""
    return ledger.narrow(
        qs, org_fields=TRAINING_CLASS.org_fields, date_field="start_date", mine_q=mine_q(viewer)
    )


def training_class_list(
    *,
    viewer: Actor,
    q: str = "",
    year: int | None = None,
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[TrainingClass]:
    """Classes organized within the viewer's scope, with their trainee counts; every
    filter only narrows (``ledger``: the shared list filters, see ``_narrow``)."""
    qs = _narrow(TRAINING_CLASS.queryset(viewer, base=_classes()), viewer, ledger)
    if q:
        qs = qs.filter(title__icontains=q)
    if year is not None:
        qs = qs.filter(start_date__year=year)
    return qs.order_by(*SORTS.get(sort, SORTS[""]))


def roster_list(
    *,
    viewer: Actor,
    q: str = "",
    year: int | None = None,
    klass: TrainingClass | None = None,
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Enrollment]:
    """The trainees of the classes the list shows (or of one class), class by class."""
    classes = _narrow(TRAINING_CLASS.queryset(viewer), viewer, ledger)
    if q:
        classes = classes.filter(title__icontains=q)
    if year is not None:
        classes = classes.filter(start_date__year=year)
    if klass is not None:
        classes = classes.filter(pk=klass.pk)
    return (
        Enrollment.objects.filter(training_class__in=classes.values("pk"))
        .select_related("training_class__org", "person__organization")
        .order_by(
            "-training_class__start_date",
            "training_class__number",
            "person__organization__path",
            "person__name",
            "pk",
        )
    )


def _series() -> QuerySet[TrainingSeries]:
    return TrainingSeries.objects.select_related("org").annotate(
        class_count=Count("classes", distinct=True),
        trainee_count=Count("classes__enrollments", distinct=True),
    )


def training_series_list(
    *, viewer: Actor, on: Any = None, org: Any = None
) -> QuerySet[TrainingSeries]:
    """The series organized within the viewer's scope, newest first, with the number of
    classes opened and trainees enrolled (person-times); with ``on``, also the classes
    begun by that day (``held_count``) and their trainees (``held_trainees``), as
    ``series_progress`` counts them, in the same one query."""
    qs = TRAINING_SERIES.queryset(viewer, base=_series())
    if on is not None:
        qs = qs.annotate(
            held_count=Count("classes", filter=Q(classes__start_date__lte=on), distinct=True),
            held_trainees=Count(
                "classes__enrollments", filter=Q(classes__start_date__lte=on), distinct=True
            ),
        )
    if org is not None:
        qs = qs.filter(org=org)
    return qs.order_by("-created_at", "-pk")


def get_training_series_for_viewer(viewer: Actor, pk: Any) -> TrainingSeries:
    """The series, or the same 404 whether it is missing or out of scope."""
    return TRAINING_SERIES.get(viewer, pk, base=_series())


def series_classes(viewer: Actor, series: TrainingSeries) -> QuerySet[TrainingClass]:
    """The classes of a series in 期次 order, with their counts (the viewer's scope)."""
    return TRAINING_CLASS.queryset(viewer, base=_classes()).filter(series=series).order_by("number")


@dataclass
class SeriesProgress:
    """已办X期/计划N期, 培训Y人次/计划M人次 of a series on a day."""

    held: int  # classes begun on or before the day
    completed: int  # classes completed (结业) on or before the day
    opened: int  # classes opened, planned ones included
    planned_classes: int
    trainees: int  # enrollments in classes begun (person-times)
    graduates: int
    planned_trainees: int

    @property
    def classes_pct(self) -> int:
        return min(100, self.held * 100 // self.planned_classes) if self.planned_classes else 0

    @property
    def trainees_pct(self) -> int:
        if not self.planned_trainees:
            return 0
        return min(100, self.trainees * 100 // self.planned_trainees)


def series_progress(series: TrainingSeries, on: Any) -> SeriesProgress:
    """Progress of a series against its plan on the day ``on``: the classes begun (the
    first day is on or before it) and their trainees count; classes opened for later
    count only as opened."""
    classes = TrainingClass.objects.filter(series=series)
    begun = classes.filter(start_date__lte=on)
    enrollments = Enrollment.objects.filter(training_class__in=begun.values("pk"))
    return SeriesProgress(
        held=begun.count(),
        completed=classes.filter(completed_on__lte=on).count(),
        opened=classes.count(),
        planned_classes=series.planned_classes,
        trainees=enrollments.count(),
        graduates=enrollments.filter(graduated=True).count(),
        planned_trainees=series.planned_trainees,
    )


def series_press_line(series: TrainingSeries, progress: SeriesProgress) -> str:
    """The series in a briefing's words (Chinese whatever the UI language)."""
    return (
        f"{series.title}已举办{progress.held}期（计划{progress.planned_classes}期），"
        f"培训{progress.trainees}人次（计划{progress.planned_trainees}人次）"
    )


def next_class_number(org: Any, series: TrainingSeries | None) -> int:
    """The next free 期次: in the series, or in the organizer's classes without one."""
    qs = (
        TrainingClass.objects.filter(series=series)
        if series is not None
        else TrainingClass.objects.filter(org=org, series__isnull=True)
    )
    return (max(qs.values_list("number", flat=True), default=0)) + 1


def get_training_class_for_viewer(viewer: Actor, pk: Any) -> TrainingClass:
    """The class, or the same 404 whether it is missing or out of scope."""
    return TRAINING_CLASS.get(viewer, pk, base=_classes())


def class_sessions(klass: TrainingClass) -> list[TrainingSession]:
    """The curriculum in time order, each with its number of check-ins."""
    return list(
        klass.sessions.select_related("speaker")
        .annotate(present=Count("checkins"))
        .order_by("day", "start_time", "pk")
    )


def get_session(klass: TrainingClass, pk: Any) -> TrainingSession:
    session = klass.sessions.filter(pk=_pk(pk)).first()
    if session is None:
        raise Http404
    return session


def class_roster(klass: TrainingClass) -> list[Enrollment]:
    """Trainees with their check-ins, attendance % and reflection, in one query."""
    sessions = klass.sessions.count()
    rows: list[Enrollment] = list(
        klass.enrollments.select_related("person", "person__organization", "reflection")
        .annotate(present=Count("checkins", distinct=True))
        .order_by("person__organization__path", "person__name", "pk")
    )
    for row in rows:
        row.live_pct = row.present * 100 // sessions if sessions else 0  # type: ignore[attr-defined]
    return rows


def get_enrollment(klass: TrainingClass, pk: Any) -> Enrollment:
    row = klass.enrollments.select_related("person").filter(pk=_pk(pk)).first()
    if row is None:
        raise Http404
    return row


def session_sheet(session: TrainingSession) -> list[Enrollment]:
    """The sign-in sheet of a session: every trainee, marked present or not."""
    return list(
        session.training_class.enrollments.select_related("person", "person__organization")
        .annotate(
            is_present=Exists(CheckIn.objects.filter(session=session, enrollment=OuterRef("pk")))
        )
        .order_by("person__organization__path", "person__name", "pk")
    )


def class_reflections(klass: TrainingClass) -> list[Reflection]:
    return list(
        Reflection.objects.filter(enrollment__training_class=klass)
        .select_related("enrollment__person", "read_by")
        .order_by("read_at", "-submitted_on", "pk")
    )


def trainee_record(*, viewer: Actor, person_pk: Any) -> tuple[Person, list[Enrollment]]:
    """A person's classes across the years, as far as the viewer may see both."""
    person = PERSON.get(viewer, person_pk, base=Person.objects.select_related("organization"))
    rows: list[Enrollment] = list(
        ENROLLMENT.queryset(viewer)
        .filter(person=person)
        .select_related("training_class", "training_class__org", "reflection")
        .annotate(
            present=Count("checkins", distinct=True),
            sessions=Count("training_class__sessions", distinct=True),
        )
        .order_by("-training_class__start_date")
    )
    return person, rows


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _cn_date(day: Any, *, year: bool = True) -> str:
    """2026年9月15日, as the press writes dates (no leading zeros)."""
    text = f"{day.month}月{day.day}日"
    return f"{day.year}年{text}" if year else text


@dataclass
class ClassReport:
    """The figures a press release on the class would use."""

    klass: TrainingClass
    trainees: int
    days: int
    sessions: int
    sessions_by_kind: list[tuple[str, str, int]]
    checkins: int
    attendance_rate: Decimal | None
    graduates: int | None
    graduation_rate: Decimal | None
    reflections: int
    reflections_read: int
    by_org: list[dict[str, Any]] = field(default_factory=list)

    @property
    def press_lines(self) -> list[str]:
        k = self.klass
        kinds = "、".join(
            f"{PRESS_KINDS[code]}{n}场" for code, _label, n in self.sessions_by_kind if n
        )
        lines = [
            f"第{k.number}期{k.title}于{_cn_date(k.start_date)}至{_cn_date(k.end_date, year=False)}"
            f"{'在' + k.venue if k.venue else ''}举办，为期{self.days}天，"
            f"{self.trainees}名学员参加培训。",
        ]
        if kinds:
            lines.append(f"培训安排{kinds}，共{self.sessions}个单元。")
        if self.attendance_rate is not None:
            lines.append(
                f"累计签到{approximate(self.checkins, '人次')}，平均出勤率{self.attendance_rate}%。"
            )
        if self.reflections:
            lines.append(f"学员撰写心得体会{self.reflections}篇。")
        if self.graduates is not None:
            lines.append(f"{self.graduates}名学员顺利结业。")
        return lines


def class_report(klass: TrainingClass) -> ClassReport:
    """Figures of one class from its records: a handful of queries, no loops over rows."""
    trainees = klass.enrollments.count()
    counts = dict(
        klass.sessions.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    sessions = sum(counts.values())
    checkins = CheckIn.objects.filter(session__training_class=klass).count()
    reflections = Reflection.objects.filter(enrollment__training_class=klass)
    graduates = klass.enrollments.filter(graduated=True).count() if klass.completed_on else None
    by_org = [
        {
            "org": quota.org,
            "quota": quota.quota,
            "enrolled": klass.enrollments.filter(
                person__organization__path__gte=quota.org.path,
                person__organization__path__lt=quota.org.path + "~",
            ).count(),
        }
        for quota in klass.quotas.select_related("org")
    ]
    return ClassReport(
        klass=klass,
        trainees=trainees,
        days=klass.days,
        sessions=sessions,
        sessions_by_kind=[
            (code, str(label), counts.get(code, 0)) for code, label in SessionKind.choices
        ],
        checkins=checkins,
        attendance_rate=_pct(checkins, trainees * sessions),
        graduates=graduates,
        graduation_rate=_pct(graduates, trainees) if graduates is not None else None,
        reflections=reflections.count(),
        reflections_read=reflections.filter(read_at__isnull=False).count(),
        by_org=by_org,
    )
