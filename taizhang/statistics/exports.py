"""Indicators (指标任务) as an Excel 台账: each indicator's units with their target,
actual, completion and rank (争先晋位) for a period.

It reads what the indicator pages read (``indicator_views.indicator_filters``): the
period (default: this year), one indicator when named, and the organization whose units
are ranked (default: the indicator's owner when the viewer sees it, else the viewer's
top organization). Rows come from ``selectors.ranking``, the page's own standings, so
the file and the page cannot disagree and no unit outside the viewer's scope appears.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import DECIMAL, INTEGER, Column, Export, Sheet
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.policy import scope_title
from taizhang.statistics import selectors
from taizhang.statistics.indicators import Standing
from taizhang.statistics.permissions import VIEW

REASONS = {
    "no_value": _("No value yet"),
    "too_few_cases": _("Too few cases, not ranked"),
    "no_target": _("No target, not ranked"),
    "zero_target": _("Target of zero, not ranked on completion"),
}

COLUMNS = [
    Column(_("indicator"), width=20),
    Column(_("unit of measure"), width=8),
    Column(_("defined by"), width=14),
    Column(_("period"), width=12),
    Column(_("organization code")),
    Column(_("unit"), width=16),
    Column(_("target"), kind=DECIMAL),
    Column(_("actual value"), kind=DECIMAL),
    Column(_("reported by the unit"), kind=DECIMAL),
    Column(_("reported less actual"), kind=DECIMAL),
    Column(_("completion (%)"), kind=DECIMAL),
    Column(_("cases"), kind=INTEGER),
    Column(_("rank"), kind=INTEGER),
    Column(_("not ranked because"), width=18),
]


def _parent(viewer: Any, indicator: Any, org: Any) -> Any:
    if org is not None:
        return org
    if ORGANIZATION.covers(viewer, indicator.owner, VIEW):
        return indicator.owner
    return selectors.default_org(viewer)


def standing_row(indicator: Any, period: Any, standing: Standing) -> list[Any]:
    return [
        indicator.name,
        indicator.unit,
        indicator.owner.short_name or indicator.owner.name,
        period.label,
        standing.org.code,
        standing.org.short_name or standing.org.name,
        standing.target,
        standing.actual,
        standing.reported,
        standing.reported_difference,
        standing.completion,
        standing.cases,
        standing.rank if standing.ranked else None,
        str(REASONS.get(standing.reason, "")),
    ]


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.statistics.indicator_views import indicator_filters

    filters = indicator_filters(viewer, params)
    indicators = selectors.indicators_for(viewer).order_by("name", "pk")
    if filters["indicator"] is not None:
        indicators = indicators.filter(pk=filters["indicator"])
    period = filters["period"]
    tables: list[tuple[Any, list[Standing]]] = []
    for indicator in indicators:
        parent = _parent(viewer, indicator, filters["org"])
        if parent is None:
            continue
        try:
            tables.append((indicator, selectors.ranking(viewer, indicator, parent, period)))
        except PermissionDenied:
            continue

    def rows() -> Iterator[list[Any]]:
        for indicator, standings in tables:
            for standing in standings:
                yield standing_row(indicator, period, standing)

    return Sheet(
        columns=COLUMNS,
        rows=rows(),
        count=sum(len(standings) for _indicator, standings in tables),
        organization_name=scope_title(viewer, VIEW, filters["org"]),
    )


EXPORT = Export(
    kind="statistics.indicator",
    title=_("Indicator targets and actuals"),
    permission=VIEW,
    ascii_name="indicators",
    build=build,
)
