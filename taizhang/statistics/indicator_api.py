"""Indicators under ``/api/v1/statistics/indicators``: the list and ranking (reads),
wording and ranking rule, targets and manual actuals (writes).

Its own router, added to the statistics router by ``api.py``; it imports nothing from
there. Scope as on the pages: an indicator the caller cannot see is a 404 (it is in the
path); an organization named in a payload that is missing or outside the caller's
statistics scope is the same 422 (``selectors.resolve_org``); one the caller sees but
may not write to is a 403 (raised by the services: a target needs ``statistics.manage``
on the organization that set the indicator, an actual on the ranked unit); invalid input
is a 422.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from taizhang.api.units import (
    COMPOSITE_POINTS,
    COMPOSITE_SCORE,
    COMPOSITE_TOTAL,
    COMPOSITE_WEIGHT,
    INDICATOR_ACTUAL,
    INDICATOR_COMPLETION,
    INDICATOR_TARGET,
)
from taizhang.core.access import requires
from taizhang.core.schemas import ErrorOut
from taizhang.core.versions import etag, if_match
from taizhang.statistics import composites, selectors, services
from taizhang.statistics.periods import Period, PeriodError
from taizhang.statistics.permissions import MANAGE, VIEW, viewer_of

router = Router(tags=["statistics"])


class IndicatorOut(Schema):
    id: int
    name: str
    unit: str
    direction: str
    source: str
    metric: str
    min_cases: int
    owner_id: int


class StandingOut(Schema):
    org_id: int
    org: str
    target: str | None = Field(..., description=INDICATOR_TARGET)
    actual: str | None = Field(..., description=INDICATOR_ACTUAL)
    completion: str | None = Field(..., description=INDICATOR_COMPLETION)
    cases: int
    rank: int | None
    not_ranked_because: str


class IndicatorPatchIn(Schema):
    """What may change once an indicator is set; its owner, source and metric stay."""

    name: str | None = None
    unit: str | None = None
    direction: str | None = None
    min_cases: int | None = None
    description: str | None = None


class TargetIn(Schema):
    org_id: int
    period: str
    target: Decimal = Field(..., description=INDICATOR_TARGET)


class TargetOut(Schema):
    id: int
    indicator_id: int
    org_id: int
    period_start: dt.date
    period_end: dt.date
    target: str = Field(..., description=INDICATOR_TARGET)

    @staticmethod
    def resolve_target(obj: Any) -> str:
        return str(obj.target)


class ActualIn(Schema):
    org_id: int
    period: str
    value: Decimal = Field(..., description=INDICATOR_ACTUAL)
    cases: int
    evidence: str


class ActualOut(Schema):
    id: int
    indicator_id: int
    org_id: int
    period_start: dt.date
    period_end: dt.date
    value: str = Field(..., description=INDICATOR_ACTUAL)
    cases: int
    evidence: str

    @staticmethod
    def resolve_value(obj: Any) -> str:
        return str(obj.value)


ERRORS = {403: ErrorOut, 422: ErrorOut}


def _period(text: str) -> Period:
    """The period of a write: required, and a 422 when it cannot be read."""
    if not text.strip():
        raise ValidationError(
            {"period": [_("Give the period: 2026, 2026-Q4, 2026-11 or a range of days.")]}
        )
    try:
        return Period.parse(text, today=timezone.localdate())
    except PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from None


@router.get("/indicators", response=list[IndicatorOut])
@requires(VIEW)
def indicator_list(request: HttpRequest) -> Any:
    """Indicators set by an organization the caller sees, or by one above it."""
    return list(selectors.indicators_for(viewer_of(request)))


@router.get("/indicators/{indicator_id}", response=IndicatorOut)
@requires(VIEW)
def indicator_get(request: HttpRequest, indicator_id: int, response: HttpResponse) -> Any:
    """One indicator; 404 when the caller does not see it. The ``ETag`` header is its
    version: send it back as ``If-Match`` with a PATCH."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), indicator_id)
    response["ETag"] = etag(indicator)
    return indicator


@router.get("/indicators/{indicator_id}/ranking", response=list[StandingOut])
@requires(VIEW)
def indicator_ranking(
    request: HttpRequest, indicator_id: int, org_id: int | None = None, period: str = ""
) -> Any:
    """The units below ``org_id`` ranked on the indicator for the period (default: this
    year), with the minimum-case rule."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), indicator_id)
    parent = selectors.get_org_for_viewer(viewer_of(request), org_id or indicator.owner_id)
    try:
        chosen = Period.parse(period or str(timezone.localdate().year), today=timezone.localdate())
    except PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from None
    return [
        {
            "org_id": s.org.pk,
            "org": s.org.name,
            "target": None if s.target is None else str(s.target),
            "actual": None if s.actual is None else str(s.actual),
            "completion": None if s.completion is None else str(s.completion),
            "cases": s.cases,
            "rank": s.rank,
            "not_ranked_because": s.reason,
        }
        for s in selectors.ranking(viewer_of(request), indicator, parent, chosen)
    ]


@router.patch("/indicators/{indicator_id}", response={200: IndicatorOut, **ERRORS})
@requires(MANAGE)
def indicator_update(request: HttpRequest, indicator_id: int, payload: IndicatorPatchIn) -> Any:
    """Reword an indicator or change its ranking rule (the fields given). With
    ``If-Match: "<ETag>"`` a change someone else made since is a 409."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), indicator_id)
    changes = payload.dict(exclude_none=True)
    seen = if_match(request)
    return services.indicator_update(
        acting_user=viewer_of(request), indicator=indicator, version=seen, **changes
    )


@router.post("/indicators/{indicator_id}/targets", response={200: TargetOut, **ERRORS})
@requires(MANAGE)
def indicator_target_set(request: HttpRequest, indicator_id: int, payload: TargetIn) -> Any:
    """Set or change a unit's target for a period (e.g. ``"2026"`` or ``"2026-Q4"``);
    for managers of the organization that set the indicator."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), indicator_id)
    org = selectors.resolve_org(viewer_of(request), payload.org_id)
    return services.target_set(
        acting_user=viewer_of(request),
        indicator=indicator,
        org=org,
        period=_period(payload.period),
        target=payload.target,
    )


@router.post("/indicators/{indicator_id}/actuals", response={200: ActualOut, **ERRORS})
@requires(MANAGE)
def indicator_actual_enter(request: HttpRequest, indicator_id: int, payload: ActualIn) -> Any:
    """Enter a unit's actual value of a manual indicator, with its evidence (required);
    an evidence file is uploaded on the indicator's page."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), indicator_id)
    org = selectors.resolve_org(viewer_of(request), payload.org_id)
    return services.actual_enter(
        acting_user=viewer_of(request),
        indicator=indicator,
        org=org,
        period=_period(payload.period),
        value=payload.value,
        cases=payload.cases,
        evidence=payload.evidence,
    )


# --- composite scores (综合考评, ADR 0059): reads --------------------------------------


class CompositeMemberOut(Schema):
    indicator_id: int
    indicator: str
    weight: str = Field(..., description=COMPOSITE_WEIGHT)


class CompositeOut(Schema):
    id: int
    name: str
    year: int
    owner_id: int
    members: list[CompositeMemberOut]


class CompositePartOut(Schema):
    indicator_id: int
    ranked: bool
    score: str = Field(..., description=COMPOSITE_SCORE)
    points: str = Field(..., description=COMPOSITE_POINTS)


class CompositeStandingOut(Schema):
    org_id: int
    org: str
    score: str = Field(..., description=COMPOSITE_TOTAL)
    rank: int | None
    parts: list[CompositePartOut]


def _composite_out(composite: Any) -> dict[str, Any]:
    return {
        "id": composite.pk,
        "name": composite.name,
        "year": composite.year,
        "owner_id": composite.owner_id,
        "members": [
            {"indicator_id": m.indicator_id, "indicator": m.indicator.name, "weight": str(m.weight)}
            for m in composites.members_of(composite)
        ],
    }


@router.get("/composites", response=list[CompositeOut])
@requires(VIEW)
def composite_list(request: HttpRequest) -> Any:
    """Composite scores set by an organization the caller sees, or by one above it."""
    return [_composite_out(c) for c in composites.composites_for(viewer_of(request))]


@router.get("/composites/{composite_id}/ranking", response=list[CompositeStandingOut])
@requires(VIEW)
def composite_ranking(request: HttpRequest, composite_id: int, org_id: int | None = None) -> Any:
    """The units below ``org_id`` (default: the owner) ranked on the composite for its
    year: Σ weight × each member's score, with each member's score and points."""
    viewer = viewer_of(request)
    composite = composites.get_composite_for_viewer(viewer, composite_id)
    parent = selectors.get_org_for_viewer(viewer, org_id or composite.owner_id)
    _members, rows = composites.composite_ranking(viewer, composite, parent)
    return [
        {
            "org_id": row.org.pk,
            "org": row.org.name,
            "score": str(row.score),
            "rank": row.rank,
            "parts": [
                {
                    "indicator_id": p.indicator_id,
                    "ranked": p.standing.ranked,
                    "score": str(p.score.quantize(Decimal("0.01"))),
                    "points": str(p.points),
                }
                for p in row.parts
            ],
        }
        for row in rows
    ]
