"""Reads of the project ledger, always through the viewer's data scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.http import Http404
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import leader_candidates
from taizhang.projects.models import (
    Evidence,
    ProgressReport,
    Project,
    ProjectMonth,
    Stage,
    StageChange,
    StagePlan,
    StartBatch,
)
from taizhang.projects.permissions import BATCH_POLICY, MANAGE, POLICY, VIEW

# Request sort keys → order_by; nothing else reaches order_by.
SORTS: dict[str, tuple[str, ...]] = {
    "investment": ("-total_investment", "pk"),
    "name": ("name", "pk"),
    "stage": ("stage", "-total_investment", "pk"),
    "-stage": ("-stage", "-total_investment", "pk"),
    "updated": ("-updated_at", "pk"),
}
UNIT_KINDS = [
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.ORGAN,
    OrgKind.SUBDISTRICT,
    OrgKind.COMMITTEE,
    OrgKind.VILLAGE,
    OrgKind.COMMUNITY,
]


def _overdue_q(today: dt.date) -> Exists:
    """A later stage's planned date has passed without being reached."""
    return Exists(
        StagePlan.objects.filter(
            project=OuterRef("pk"),
            stage__gt=OuterRef("stage"),
            planned_on__lt=today,
            actual_on__isnull=True,
        )
    )


def _next_plan() -> Subquery:
    return Subquery(
        StagePlan.objects.filter(
            project=OuterRef("pk"), stage__gt=OuterRef("stage"), planned_on__isnull=False
        )
        .order_by("stage")
        .values("planned_on")[:1]
    )


def _scoped(viewer: Actor | None) -> QuerySet[Project]:
    return POLICY.queryset(viewer)


def _listed() -> QuerySet[Project]:
    """All projects with what the list and the detail page show (not yet scoped)."""
    today = timezone.localdate()
    return Project.objects.annotate(
        is_overdue=_overdue_q(today), next_planned_on=_next_plan()
    ).select_related("org", "lead_unit", "linked_leader", "responsible")


def mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the project ledger: the viewer's person is its
    linked leader or its responsible person."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    return Q(linked_leader_id=person_id) | Q(responsible_id=person_id)


def project_list(
    *,
    viewer: Actor | None,
    stage: int | None = None,
    category: str = "",
    org: Organization | None = None,
    leader_id: int | None = None,
    overdue: bool = False,
    q: str = "",
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Project]:
    """Projects in scope; every filter only narrows. ``org`` means its whole subtree.

    ``ledger`` (the shared list filters): organization on the owning organization, dates
    on the day the project was put on the ledger, "mine" as ``mine_q``."""
    qs = POLICY.queryset(viewer, base=_listed())
    qs = ledger.narrow(
        qs, org_fields=POLICY.org_fields, date_field="created_at__date", mine_q=mine_q(viewer)
    )
    if stage is not None:
        qs = qs.filter(stage=stage)
    if category:
        qs = qs.filter(category=category)
    if org is not None:
        lower, upper = org.subtree_bounds
        qs = qs.filter(org__path__gte=lower, org__path__lt=upper)
    if leader_id is not None:
        qs = qs.filter(linked_leader_id=leader_id)
    if overdue:
        qs = qs.filter(_overdue_q(timezone.localdate()))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(location__icontains=q))
    return qs.order_by(*SORTS.get(sort, SORTS["investment"]))


def project_totals(qs: QuerySet[Project]) -> dict[str, Any]:
    """Count and money of a (scoped, filtered) project list, in one query."""
    totals = qs.order_by().aggregate(
        count=Count("pk"),
        total_investment=Sum("total_investment"),
        annual_planned=Sum("annual_planned_investment"),
        completed=Sum("completed_investment"),
        overdue=Count("pk", filter=Q(is_overdue=True)),
    )
    return {key: value or 0 for key, value in totals.items()}


def stage_counts(qs: QuerySet[Project]) -> list[tuple[Stage, int]]:
    """How many projects stand in each stage, in stage order."""
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("pk")))
    return [(stage, counts.get(stage.value, 0)) for stage in Stage]


def get_project_for_viewer(viewer: Actor | None, pk: Any) -> Project:
    """The project, or the same 404 whether it is missing or out of scope."""
    return POLICY.get(
        viewer,
        pk,
        base=_listed()
        .select_related("start_batch")
        .prefetch_related(
            "co_units", Prefetch("plans", queryset=StagePlan.objects.order_by("stage"))
        ),
    )


def linked_projects(*, viewer: Actor | None) -> QuerySet[Project]:
    """ "我挂钩的项目": projects in scope whose linked leader is the viewer's person."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Project.objects.none()
    return project_list(viewer=viewer, leader_id=person_id).order_by("stage", "-total_investment")


def todo_stage_overdue(*, viewer: Actor | None, today: dt.date | None = None) -> QuerySet[Project]:
    """Projects whose planned date of a stage not yet reached has passed (the list's
    "overdue"), that wait for this viewer: those she manages (``projects.manage`` on
    the owning organization), and, among those she sees, those linked to her person (a
    linked leader chases them). The most overdue first; each carries ``overdue_since``
    (the earliest passed planned date) and ``overdue_stage`` (that stage)."""
    day = today or timezone.localdate()
    late = StagePlan.objects.filter(
        project=OuterRef("pk"), stage__gt=OuterRef("stage"), planned_on__lt=day
    ).filter(actual_on__isnull=True)
    first_late = late.order_by("planned_on", "stage")
    mine = POLICY.q(viewer, MANAGE)
    person_id = getattr(viewer, "person_id", None)
    if person_id:
        mine |= POLICY.q(viewer, VIEW) & Q(linked_leader_id=person_id)
    return (
        Project.objects.filter(mine)
        .annotate(
            overdue_since=Subquery(first_late.values("planned_on")[:1]),
            overdue_stage=Subquery(first_late.values("stage")[:1]),
        )
        .filter(overdue_since__isnull=False)
        .order_by("overdue_since", "-total_investment", "pk")
    )


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    kind: str  # "report" or "stage"
    report: ProgressReport | None = None
    change: StageChange | None = None


def project_timeline(project: Project) -> list[TimelineEntry]:
    """Progress reports and stage moves, newest first (the project was already scoped)."""
    reports = list(
        project.reports.select_related("reporter", "stage_change").prefetch_related("evidence")
    )
    in_reports = {r.stage_change_id for r in reports if r.stage_change_id}
    changes = [c for c in project.stage_changes.select_related("actor") if c.pk not in in_reports]
    entries = [TimelineEntry(r.reported_on, "report", report=r) for r in reports]
    entries += [TimelineEntry(c.changed_on, "stage", change=c) for c in changes]
    return sorted(
        entries,
        key=lambda e: (e.on, e.report.pk if e.report else 0, e.change.pk if e.change else 0),
        reverse=True,
    )


def project_months(project: Project) -> list[ProjectMonth]:
    return list(project.months.order_by("period"))


def get_evidence_for_viewer(viewer: Actor | None, pk: Any) -> Evidence:
    """An evidence file, seen through its project (the same 404 for missing and hidden)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    evidence = (
        Evidence.objects.filter(report__project__in=POLICY.queryset(viewer), pk=key)
        .select_related("report")
        .first()
    )
    if evidence is None:
        raise Http404
    return evidence


def latest_report_text() -> Subquery:
    return Subquery(
        ProgressReport.objects.filter(project=OuterRef("pk"))
        .order_by("-reported_on", "-pk")
        .values("text")[:1]
    )


def export_rows(qs: QuerySet[Project]) -> QuerySet[Project]:
    """The list with what the Excel 台账 needs, without a query per row."""
    return qs.annotate(latest_progress=latest_report_text()).prefetch_related(
        "co_units",
        Prefetch("plans", queryset=StagePlan.objects.order_by("stage")),
        Prefetch("months", queryset=ProjectMonth.objects.order_by("period")),
    )


def org_choices(*, viewer: Actor | None) -> QuerySet[Organization]:
    """Organizations the viewer may put projects on (units, not grids or buildings)."""
    return POLICY.org_choices(viewer).filter(kind__in=UNIT_KINDS)


def filter_org_choices(*, viewer: Actor | None) -> QuerySet[Organization]:
    return POLICY.org_choices(viewer, VIEW).filter(kind__in=UNIT_KINDS)


def unit_choices() -> QuerySet[Organization]:
    """Lead and co-units: any unit of the district, whatever the viewer's scope.

    A cross-tree rule of its own kind: naming a unit grants that unit nothing (it does
    not see the project through it), so picking one needs no scope either.
    """
    return Organization.objects.filter(
        kind__in=[
            OrgKind.ORGAN,
            OrgKind.WORKING_COMMITTEE,
            OrgKind.DISTRICT_COMMITTEE,
            OrgKind.SUBDISTRICT,
        ]
    ).order_by("path")


def linked_leader_filter_choices(*, viewer: Actor | None) -> QuerySet[Person]:
    """The linked leaders of the projects the viewer sees (for the list filter)."""
    leader_ids = _scoped(viewer).exclude(linked_leader=None).values("linked_leader_id")
    return Person.objects.filter(pk__in=leader_ids).order_by("name")


def responsible_candidates() -> QuerySet[Person]:
    """Persons of units who hold a position: who may answer for a project (not scoped)."""
    holders = Person.objects.filter(organization__kind__in=UNIT_KINDS, positions__isnull=False)
    return Person.objects.filter(pk__in=holders.values("pk")).order_by("organization__path", "name")


def responsible_choices(*, viewer: Actor | None) -> QuerySet[Person]:
    """Responsible persons the viewer may pick: position holders the person rule shows."""
    return PERSON.queryset(viewer, base=responsible_candidates())


# --- ids named in an API payload: one 422 message for a missing and a hidden id ----


def resolve_unit(pk: Any, *, field: str) -> Organization:
    """A lead or co-unit by id: any unit of the district (see ``unit_choices``)."""
    unit: Organization = _one(unit_choices(), pk, field)
    return unit


def resolve_units(pks: list[Any], *, field: str) -> list[Organization]:
    wanted = {_key(pk, field) for pk in pks}
    units = list(unit_choices().filter(pk__in=wanted))
    if len(units) != len(wanted):
        raise ValidationError({field: unknown_message()})
    return units


def resolve_leader(pk: Any, *, field: str) -> Person | None:
    """A linked leader by id (``None`` clears it): the shared candidate rule."""
    return _one(leader_candidates(), pk, field) if pk else None


def resolve_responsible(viewer: Actor | None, pk: Any, *, field: str) -> Person | None:
    """A responsible person by id (``None`` clears it), through the person rule."""
    if not pk:
        return None
    return PERSON.resolve(viewer, pk, field=field, base=responsible_candidates())


def _key(pk: Any, field: str) -> int:
    if isinstance(pk, bool):
        raise ValidationError({field: unknown_message()})
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise ValidationError({field: unknown_message()}) from None


def _one(rows: QuerySet[Any], pk: Any, field: str) -> Any:
    row = rows.filter(pk=_key(pk, field)).first()
    if row is None:
        raise ValidationError({field: unknown_message()})
    return row


# --- 集中开工: groundbreaking batches ----------------------------------------------------


def batch_list(*, viewer: Actor | None) -> QuerySet[StartBatch]:
    """The batches the viewer sees, newest first, with the count and investment of the
    projects in them that the viewer sees (one query)."""
    visible = POLICY.queryset(viewer)
    return (
        BATCH_POLICY.queryset(viewer)
        .select_related("org")
        .annotate(
            project_count=Count("projects", filter=Q(projects__in=visible), distinct=True),
            investment=Sum("projects__total_investment", filter=Q(projects__in=visible)),
        )
        .order_by("-held_on", "-pk")
    )


def get_batch_for_viewer(viewer: Actor | None, pk: Any) -> StartBatch:
    """The batch, or the same 404 whether it is missing or out of scope."""
    return BATCH_POLICY.get(viewer, pk, base=StartBatch.objects.select_related("org"))


def batch_projects(*, viewer: Actor | None, batch: StartBatch) -> QuerySet[Project]:
    """The batch's projects the viewer sees (others stay hidden), largest first."""
    return POLICY.queryset(viewer, base=_listed()).filter(start_batch=batch)


def batch_candidates(*, viewer: Actor | None) -> QuerySet[Project]:
    """Projects the viewer may put into a batch: managed by them and in no batch yet."""
    return (
        POLICY.queryset(viewer, MANAGE)
        .filter(start_batch__isnull=True)
        .select_related("org")
        .order_by("stage", "-total_investment", "pk")
    )
