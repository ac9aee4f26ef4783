"""REST endpoints of statistics under ``/api/v1/statistics/``, with the pages' scope.

This module builds the statistics router: the dashboard and figure reads here, the
indicator operations from ``indicator_api.router`` (which imports nothing from here).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from taizhang.api.units import METRIC_ATTRIBUTED, METRIC_PREVIOUS, METRIC_VALUE, METRIC_YEAR_AGO
from taizhang.core.access import requires
from taizhang.statistics import briefing_api, figures, indicator_api, selectors
from taizhang.statistics.periods import Period, PeriodError
from taizhang.statistics.permissions import viewer_of

router = Router(tags=["statistics"])
VIEW = "statistics.view"


class CellOut(Schema):
    metric: str
    label: str
    unit: str
    value: str = Field(..., description=METRIC_VALUE)
    previous: str | None = Field(..., description=METRIC_PREVIOUS)
    year_ago: str | None = Field(..., description=METRIC_YEAR_AGO)
    source: str


class DashboardOut(Schema):
    org_id: int
    org: str
    period: str
    start: str
    end: str
    figures: list[CellOut]
    now: list[CellOut]


class ChildOut(Schema):
    org_id: int
    org: str
    value: str = Field(..., description=METRIC_VALUE)


class FigureOut(Schema):
    metric: str
    org_id: int
    period: str
    value: str = Field(..., description=METRIC_VALUE)
    rows: int
    definition: str
    children: list[ChildOut]


def _period(text: str | None) -> Period:
    try:
        return Period.parse(text, today=timezone.localdate())
    except PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from None


def _cell(cell: selectors.Cell) -> dict[str, Any]:
    return {
        "metric": cell.metric.name,
        "label": str(cell.metric.label),
        "unit": str(cell.metric.unit),
        "value": str(cell.value),
        "previous": None if cell.previous is None else str(cell.previous),
        "year_ago": None if cell.year_ago is None else str(cell.year_ago),
        "source": cell.source,
    }


def _board(request: HttpRequest, org_id: int | None, period: str, read: Any) -> dict[str, Any]:
    org = selectors.get_org_for_viewer(viewer_of(request), org_id)
    chosen = _period(period)
    board = read(viewer_of(request), org, chosen)
    return {
        "org_id": org.pk,
        "org": org.name,
        "period": chosen.key,
        "start": chosen.start.isoformat(),
        "end": chosen.end.isoformat(),
        "figures": [_cell(c) for c in board.cells],
        "now": [_cell(c) for c in board.state_cells],
    }


@router.get("/dashboard", response=DashboardOut)
@requires(VIEW)
def dashboard(request: HttpRequest, org_id: int | None = None, period: str = "") -> Any:
    """Every additive figure the caller may see for the organization's subtree and
    period, with 环比 and 同比, from the stored monthly figures where they apply."""
    return _board(request, org_id, period, selectors.dashboard)


@router.get("/dashboard/live", response=DashboardOut)
@requires(VIEW)
def dashboard_live(request: HttpRequest, org_id: int | None = None, period: str = "") -> Any:
    """The figures that cannot be stored, computed from the records: what stands today
    (``now``) and distinct counts with their comparisons (``figures``)."""
    return _board(request, org_id, period, selectors.live)


@router.get("/figures/{metric}", response=FigureOut)
@requires(VIEW)
def figure(request: HttpRequest, metric: str, org_id: int | None = None, period: str = "") -> Any:
    """One figure with its record count and per-child breakdown."""
    chosen_metric = selectors.get_metric_for_viewer(viewer_of(request), metric)
    org = selectors.get_org_for_viewer(viewer_of(request), org_id)
    chosen = _period(period)
    counted = selectors.effective_period(chosen_metric, chosen)
    value, rows = figures.aggregate(
        chosen_metric, figures.metric_rows(viewer_of(request), chosen_metric, org, counted)
    )
    return {
        "metric": chosen_metric.name,
        "org_id": org.pk,
        "period": chosen.key,
        "value": str(value),
        "rows": rows,
        "definition": str(chosen_metric.definition),
        "children": [
            {"org_id": child.pk, "org": child.name, "value": str(amount)}
            for child, amount in selectors.breakdown(viewer_of(request), chosen_metric, org, chosen)
        ],
    }


class MemberFigureOut(Schema):
    org_id: int
    value: str = Field(..., description=METRIC_VALUE)


class GroupingFigureOut(Schema):
    metric: str
    label: str
    value: str = Field(..., description=METRIC_VALUE)
    attributed: str | None = Field(..., description=METRIC_ATTRIBUTED)
    members: list[MemberFigureOut]


class GroupingBoardOut(Schema):
    grouping_id: int
    grouping: str
    period: str
    member_ids: list[int]
    figures: list[GroupingFigureOut]


@router.get("/groupings/{grouping_id}", response=GroupingBoardOut)
@requires(VIEW)
def grouping(request: HttpRequest, grouping_id: int, period: str = "") -> Any:
    """A grouping's additive figures for the period: its members (at the period's end)
    together and one by one, and the rows attributed to it, all from the records in the
    caller's scope; 404 for a missing or hidden grouping."""
    viewer = viewer_of(request)
    chosen = selectors.get_grouping_for_viewer(viewer, grouping_id)
    board = selectors.grouping_board(viewer, chosen, _period(period))
    return {
        "grouping_id": chosen.pk,
        "grouping": chosen.name,
        "period": board.period.key,
        "member_ids": [org.pk for org in board.members],
        "figures": [
            {
                "metric": item.metric.name,
                "label": str(item.metric.label),
                "value": str(item.total),
                "attributed": None if item.attributed is None else str(item.attributed),
                "members": [{"org_id": org.pk, "value": str(v)} for org, v in item.members],
            }
            for item in board.figures
        ],
    }


# The indicator operations (reads and writes) live in their own router, mounted here.
router.add_router("", indicator_api.router)
# The briefing operations (read, draft narrative, issue, corrections) likewise.
router.add_router("", briefing_api.router)
