"""Reads of statistics for a viewer: dashboard figures, trends and per-child breakdowns.

Pre-aggregated monthly figures serve a request when they can prove the same number as
the records: the metric is additive and has been refreshed, the period is made of whole
months, and the viewer's scope holds the organization's whole subtree. Otherwise the
figure is computed from the records in the viewer's scope (``figures.py``).

Scope: organizations through ``organizations.permissions.ORGANIZATION`` with the
``statistics.view`` function; indicators, targets, actuals and briefings through the
policies in ``permissions.py``; the records behind a figure through the metric's own
function (``figures.metric_scope``, the module's one special read).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.core.registry import Metric
from taizhang.organizations.models import Grouping, Organization
from taizhang.organizations.permissions import GROUPING, ORGANIZATION
from taizhang.organizations.selectors import grouping_member_ids
from taizhang.statistics import figures
from taizhang.statistics.indicators import Standing, rank
from taizhang.statistics.models import (
    Briefing,
    Indicator,
    IndicatorEntry,
    IndicatorSource,
    IndicatorTarget,
    MetricRefresh,
    MonthlyFigure,
)
from taizhang.statistics.periods import Period
from taizhang.statistics.permissions import (
    BRIEFING,
    INDICATOR,
    INDICATOR_ENTRY,
    INDICATOR_TARGET,
)

VIEW = "statistics.view"
SINCE_EVER = dt.date(1900, 1, 1)


def default_org(viewer: Actor) -> Organization | None:
    """The highest organization the viewer's statistics scope names."""
    return ORGANIZATION.queryset(viewer, VIEW).order_by("depth", "path").first()


def get_org_for_viewer(viewer: Actor, org_id: Any) -> Organization:
    """The organization a dashboard is asked for (default: the viewer's top one); 404
    when missing or outside the viewer's statistics scope."""
    if org_id in (None, ""):
        org = default_org(viewer)
        if org is None:
            raise Http404
        return org
    return ORGANIZATION.get(viewer, org_id, permission=VIEW)


def resolve_org(viewer: Actor, org_id: Any, *, field: str = "org_id") -> Organization:
    """An organization named in an API payload: the same 422 for a missing one and one
    outside the viewer's statistics scope."""
    return ORGANIZATION.resolve(viewer, org_id, field=field, permission=VIEW)


def get_metric_for_viewer(viewer: Actor, name: str) -> Metric:
    """A metric the viewer holds the function of somewhere; 404 otherwise."""
    try:
        metric = figures.get_metric(name)
    except figures.UnknownMetric:
        raise Http404 from None
    if figures.metric_scope(viewer, metric).is_empty:
        raise Http404
    return metric


def is_state_metric(metric: Metric) -> bool:
    """A figure of what stands today (overdue items, pairs under way), not of a period."""
    return not metric.additive and not metric.distinct


def effective_period(metric: Metric, period: Period) -> Period:
    """State figures count everything up to the period's end (or today, if earlier)."""
    if is_state_metric(metric):
        return Period("custom", SINCE_EVER, min(period.end, timezone.localdate()))
    return period


@dataclass
class Cell:
    """A figure with its comparisons: 环比 (previous) and 同比 (year ago)."""

    metric: Metric
    value: Decimal
    previous: Decimal | None = None
    year_ago: Decimal | None = None
    source: str = "records"  # "aggregate" or "records"

    @staticmethod
    def _change(now: Decimal, before: Decimal | None) -> Decimal | None:
        if before is None or before == 0:
            return None
        return ((now - before) / before * 100).quantize(Decimal("0.1"))

    @property
    def mom(self) -> Decimal | None:
        return self._change(self.value, self.previous)

    @property
    def yoy(self) -> Decimal | None:
        return self._change(self.value, self.year_ago)


@dataclass
class Dashboard:
    org: Organization
    period: Period
    cells: list[Cell] = field(default_factory=list)
    state_cells: list[Cell] = field(default_factory=list)
    refreshed_at: dt.datetime | None = None


def _refreshed(metrics: list[Metric]) -> dict[str, dt.datetime]:
    """When the stored figures of each additive metric were last rebuilt (a metric never
    rebuilt has none and is computed from the records)."""
    names = [m.name for m in metrics if m.additive]
    if not names:
        return {}
    return dict(
        MetricRefresh.objects.filter(metric__in=names).values_list("metric", "refreshed_at")
    )


def _aggregated(
    viewer: Actor,
    metrics: list[Metric],
    org: Organization,
    refreshed: dict[str, dt.datetime] | None = None,
) -> set[str]:
    """Names of the metrics whose pre-aggregated figures may serve this viewer at org."""
    done = _refreshed(metrics) if refreshed is None else refreshed
    return {
        m.name
        for m in metrics
        if m.additive
        and m.name in done
        and figures.covers_subtree(figures.metric_scope(viewer, m), org)
    }


def _monthly(
    names: set[str], org_ids: list[int], start: dt.date, end: dt.date
) -> dict[tuple[str, int, dt.date], Any]:
    """{(metric, org id, month): value} of the stored figures, in one query."""
    rows = MonthlyFigure.objects.filter(
        metric__in=sorted(names), org_id__in=org_ids, month__gte=start, month__lte=end
    ).values_list("metric", "org_id", "month", "value")
    return {(metric, org_id, month): value for metric, org_id, month, value in rows}


def _sum(
    stored: dict[tuple[str, int, dt.date], Any], name: str, org_id: int, period: Period
) -> Decimal:
    return figures.plain(
        sum(
            (stored.get((name, org_id, month), Decimal(0)) for month in period.months()),
            Decimal(0),
        )
    )


def _from_records(viewer: Actor, metric: Metric, org: Organization, period: Period) -> Cell:
    return Cell(
        metric,
        figures.compute(viewer, metric, org, period),
        figures.compute(viewer, metric, org, period.previous()),
        figures.compute(viewer, metric, org, period.year_ago()),
    )


def dashboard(viewer: Actor, org: Organization, period: Period) -> Dashboard:
    """Key figures of every additive metric the viewer may see, for org's subtree and
    period, with 环比 and 同比. One query serves all stored figures; figures that cannot
    be stored are left to ``live``, so this stays fast at any level."""
    metrics = [m for m in figures.visible_metrics(viewer) if m.additive]
    result = Dashboard(org=org, period=period)
    refreshed = _refreshed(metrics) if period.whole_months else {}
    aggregated = _aggregated(viewer, metrics, org, refreshed)
    previous, year_ago = period.previous(), period.year_ago()
    stored = _monthly(aggregated, [org.pk], year_ago.start, period.end) if aggregated else {}
    for metric in metrics:
        if metric.name in aggregated:
            cell = Cell(
                metric,
                _sum(stored, metric.name, org.pk, period),
                _sum(stored, metric.name, org.pk, previous),
                _sum(stored, metric.name, org.pk, year_ago),
                source="aggregate",
            )
        else:
            cell = _from_records(viewer, metric, org, period)
        result.cells.append(cell)
    if aggregated:
        result.refreshed_at = min(refreshed[name] for name in aggregated)
    return result


def live(viewer: Actor, org: Organization, period: Period) -> Dashboard:
    """The figures that cannot be stored, computed from the records on each request:
    what stands today (``state_cells``: overdue items, pairs under way) and distinct
    counts with their comparisons (``cells``: members reached)."""
    result = Dashboard(org=org, period=period)
    for metric in figures.visible_metrics(viewer):
        if metric.additive:
            continue
        if is_state_metric(metric):
            value = figures.compute(viewer, metric, org, effective_period(metric, period))
            result.state_cells.append(Cell(metric, value))
        else:
            result.cells.append(_from_records(viewer, metric, org, period))
    return result


def trend(
    viewer: Actor, metric: Metric, org: Organization, period: Period
) -> list[tuple[Period, Decimal]]:
    """The metric in each of the twelve months ending with the period."""
    months = period.trailing_months(12)
    if metric.name in _aggregated(viewer, [metric], org):
        stored = _monthly({metric.name}, [org.pk], months[0].start, months[-1].end)
        return [(month, _sum(stored, metric.name, org.pk, month)) for month in months]
    return [(month, figures.compute(viewer, metric, org, month)) for month in months]


def children_of(viewer: Actor, org: Organization) -> list[Organization]:
    """The active children of ``org`` the viewer sees, or sees the whole subtree of."""
    scope = ORGANIZATION.scope(viewer, VIEW)
    return [
        child
        for child in Organization.objects.filter(parent=org, is_active=True).order_by(
            "sort_order", "path"
        )
        if scope.covers(child) or figures.covers_subtree(scope, child)
    ]


def breakdown(
    viewer: Actor, metric: Metric, org: Organization, period: Period
) -> list[tuple[Organization, Decimal]]:
    """The metric for each child of ``org`` the viewer may see, largest first."""
    children = children_of(viewer, org)
    effective = effective_period(metric, period)
    if period.whole_months and metric.name in _aggregated(viewer, [metric], org):
        stored = _monthly({metric.name}, [c.pk for c in children], period.start, period.end)
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for (_name, org_id, _month), value in stored.items():
            totals[org_id] += value
        rows = [(child, figures.plain(totals.get(child.pk, 0))) for child in children]
    else:
        rows = [(child, figures.compute(viewer, metric, child, effective)) for child in children]
    return sorted(rows, key=lambda pair: (-pair[1], pair[0].path))


def stored_totals(
    viewer: Actor, names: list[str], orgs: list[Organization], period: Period
) -> dict[str, Decimal] | None:
    """The stored monthly figures of the metrics ``names`` summed over the subtrees of
    ``orgs`` (disjoint) and ``period``: for another module's page that shows the same
    totals, without recomputing them from the records. ``None`` when the stored figures
    cannot prove the records' number for this viewer (a metric not additive or never
    rebuilt, a period not of whole months, a subtree the viewer's scope does not hold
    whole): the caller computes from the records then. Two queries."""
    if not period.whole_months or not orgs:
        return None
    metrics = [figures.get_metric(name) for name in names]
    refreshed = _refreshed(metrics)
    usable = set.intersection(*(_aggregated(viewer, metrics, org, refreshed) for org in orgs))
    if usable != set(names):
        return None
    stored = _monthly(usable, [org.pk for org in orgs], period.start, period.end)
    return {
        name: sum((_sum(stored, name, org.pk, period) for org in orgs), Decimal(0))
        for name in names
    }


def subtree_total(metric_name: str, org: Organization, period: Period) -> Decimal:
    """The stored subtree total, unscoped: for benchmarks and consistency checks."""
    return MonthlyFigure.objects.filter(
        metric=metric_name, org=org, month__gte=period.start, month__lte=period.end
    ).aggregate(total=Sum("value"))["total"] or Decimal(0)


# --- groupings -----------------------------------------------------------------------
#
# A grouping (联创协作组) is read through ``GROUPING`` with the statistics function on its
# owner; its members are the units that belonged to it at the period's end, among those
# the viewer's statistics scope holds. Every figure is computed from the metric's rows in
# the viewer's scope (as the drill-down is), never from stored subtree totals: a member
# contributes only the records the viewer may see.


def groupings_for(viewer: Actor) -> QuerySet[Grouping]:
    """The groupings whose figures the viewer may read."""
    return GROUPING.queryset(viewer, VIEW).select_related("owner").order_by("name", "pk")


def get_grouping_for_viewer(viewer: Actor, pk: Any) -> Grouping:
    """One grouping of ``groupings_for``; the same 404 when missing or hidden."""
    return GROUPING.get(viewer, pk, permission=VIEW, base=Grouping.objects.select_related("owner"))


def grouping_field(metric: Metric) -> str | None:
    """``"grouping"`` when the metric's rows can be attributed to a grouping (an activity
    of a 联创协作组), read from the model so that no ledger module is imported."""
    model = metric.queryset().model
    try:
        found = model._meta.get_field("grouping")
    except FieldDoesNotExist:
        return None
    return "grouping" if getattr(found, "related_model", None) is Grouping else None


def attributed_rows(
    viewer: Actor, metric: Metric, grouping: Grouping, period: Period
) -> QuerySet[Any]:
    """The metric's rows attributed to ``grouping`` in ``period``, in the viewer's scope
    for the metric, wherever they are booked; none for a metric without groupings."""
    name = grouping_field(metric)
    if name is None:
        return metric.queryset().none()
    scope = figures.metric_scope(viewer, metric)
    return metric.queryset().filter(
        scope.records_q(org_field=metric.org_field),
        figures.period_q(metric, period),
        **{f"{name}_id": grouping.pk},
    )


@dataclass
class GroupingFigure:
    """One metric for a grouping: the members' subtrees together (a unit below two
    members counts once), each member's own subtree, and the rows attributed to the
    grouping (``None`` when the metric's rows cannot be attributed)."""

    metric: Metric
    total: Decimal
    members: list[tuple[Organization, Decimal]]
    attributed: Decimal | None


@dataclass
class GroupingBoard:
    grouping: Grouping
    period: Period
    members: list[Organization]
    figures: list[GroupingFigure] = field(default_factory=list)


def grouping_members(viewer: Actor, grouping: Grouping, period: Period) -> list[Organization]:
    """The members at the period's end that the viewer's statistics scope holds."""
    ids = grouping_member_ids(grouping, on=period.end)
    base = Organization.objects.filter(pk__in=ids)
    return list(ORGANIZATION.queryset(viewer, VIEW, base=base).order_by("path"))


def _grouping_figure(
    viewer: Actor,
    metric: Metric,
    grouping: Grouping,
    members: list[Organization],
    period: Period,
) -> GroupingFigure:
    """One query whatever the number of members: a filtered aggregate per member."""
    scope = figures.metric_scope(viewer, metric)
    subtrees = {org.pk: figures.subtree_q(metric, org) for org in members}
    union = Q(pk__in=[])
    for q in subtrees.values():
        union |= q
    name = grouping_field(metric)
    attributed = Q(**{f"{name}_id": grouping.pk}) if name else Q(pk__in=[])

    def total(condition: Q) -> Any:
        if metric.value == "count":
            return Count("pk", filter=condition)
        return Sum(metric.value, filter=condition)

    columns: dict[str, Any] = {"total": total(union)}
    columns.update({f"m{pk}": total(q) for pk, q in subtrees.items()})
    if name:
        columns["attributed"] = total(attributed)
    if not members and not name:
        result: dict[str, Any] = {}
    else:
        result = (
            metric.queryset()
            .filter(
                scope.records_q(org_field=metric.org_field),
                figures.period_q(metric, period),
                union | attributed,
            )
            .aggregate(**columns)
        )
    return GroupingFigure(
        metric,
        figures.plain(result.get("total")),
        [(org, figures.plain(result.get(f"m{org.pk}"))) for org in members],
        figures.plain(result.get("attributed")) if name else None,
    )


def grouping_board(viewer: Actor, grouping: Grouping, period: Period) -> GroupingBoard:
    """The additive metrics the viewer may see, for the grouping's members and period."""
    members = grouping_members(viewer, grouping, period)
    board = GroupingBoard(grouping=grouping, period=period, members=members)
    for metric in figures.visible_metrics(viewer):
        if metric.additive:
            board.figures.append(_grouping_figure(viewer, metric, grouping, members, period))
    return board


# --- indicators ----------------------------------------------------------------------


def indicators_for(viewer: Actor) -> QuerySet[Indicator]:
    """Active indicators set by an organization the viewer sees, or above one they see
    (``permissions.SET_ABOVE``): a district's indicator concerns the subdistrict clerk
    who is ranked on it."""
    return INDICATOR.queryset(viewer, base=_active_indicators())


def _active_indicators() -> QuerySet[Indicator]:
    return Indicator.objects.filter(is_active=True).select_related("owner")


def get_indicator_for_viewer(viewer: Actor, pk: Any) -> Indicator:
    """One indicator of ``indicators_for``; the same 404 when missing or hidden."""
    return INDICATOR.get(viewer, pk, base=_active_indicators())


def get_entry_for_viewer(viewer: Actor, indicator: Indicator, entry_id: Any) -> IndicatorEntry:
    """A manual actual of ``indicator``; 404 when missing or its unit is out of scope."""
    base = IndicatorEntry.objects.filter(indicator=indicator).select_related("org")
    return INDICATOR_ENTRY.get(viewer, entry_id, base=base)


def ranking(
    viewer: Actor, indicator: Indicator, parent: Organization, period: Period
) -> list[Standing]:
    """Each child of ``parent`` the viewer may see, with target, actual and rank."""
    if not ORGANIZATION.covers(viewer, parent, VIEW):
        raise PermissionDenied
    children = children_of(viewer, parent)
    of_period = {
        "indicator": indicator,
        "org__in": children,
        "period_start": period.start,
        "period_end": period.end,
    }
    targets = {
        t.org_id: t.target
        for t in INDICATOR_TARGET.queryset(viewer, base=IndicatorTarget.objects.filter(**of_period))
    }
    standings = []
    if indicator.source == IndicatorSource.METRIC:
        metric = figures.get_metric(indicator.metric)
        counted = effective_period(metric, period)
        for child in children:
            value, cases = figures.aggregate(
                metric, figures.metric_rows(viewer, metric, child, counted)
            )
            standings.append(
                Standing(
                    child,
                    targets.get(child.pk),
                    value,
                    cases,
                    reported=figures.reported(metric, child, period),
                )
            )
    else:
        entries = {
            e.org_id: e
            for e in INDICATOR_ENTRY.queryset(
                viewer, base=IndicatorEntry.objects.filter(**of_period)
            )
        }
        for child in children:
            entry = entries.get(child.pk)
            standings.append(
                Standing(
                    child,
                    targets.get(child.pk),
                    entry.value if entry else None,
                    entry.cases if entry else 0,
                    entry.evidence if entry else "",
                    entry=entry,
                )
            )
    for standing in standings:
        standing.target = None if standing.target is None else figures.plain(standing.target)
        standing.actual = None if standing.actual is None else figures.plain(standing.actual)
    return rank(standings, direction=indicator.direction, min_cases=indicator.min_cases)


# --- briefings -----------------------------------------------------------------------


def briefings_for(viewer: Actor) -> QuerySet[Briefing]:
    """The briefings of organizations in the viewer's statistics scope, newest first."""
    return BRIEFING.queryset(viewer, base=_briefings())


def _briefings() -> QuerySet[Briefing]:
    return Briefing.objects.select_related("org", "created_by")


def get_briefing_for_viewer(viewer: Actor, pk: Any) -> Briefing:
    """One briefing; the same 404 when missing or outside the viewer's scope."""
    return BRIEFING.get(viewer, pk, base=_briefings())
