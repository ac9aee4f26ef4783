"""Writes of indicators under ``/api/v1/statistics/``: wording and ranking rule,
targets and manual actuals.

The reads (``GET /indicators``, ``GET /indicators/{id}/ranking``) live in ``api.py``;
this module adds its operations to the same router and is imported at the bottom of it.
Scope as on the pages: an indicator or organization the caller cannot see is a 404; one
they see but may not manage is a 403 (raised by the services); invalid input is a 422.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.errors import HttpError

from taizhang.core.access import requires
from taizhang.statistics import indicators, selectors
from taizhang.statistics.api import IndicatorOut, router
from taizhang.statistics.periods import Period, PeriodError

MANAGE = "statistics.manage"


class IndicatorErrorOut(Schema):
    detail: Any


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
    target: Decimal


class TargetOut(Schema):
    id: int
    indicator_id: int
    org_id: int
    period_start: dt.date
    period_end: dt.date
    target: str

    @staticmethod
    def resolve_target(obj: Any) -> str:
        return str(obj.target)


class ActualIn(Schema):
    org_id: int
    period: str
    value: Decimal
    cases: int
    evidence: str


class ActualOut(Schema):
    id: int
    indicator_id: int
    org_id: int
    period_start: dt.date
    period_end: dt.date
    value: str
    cases: int
    evidence: str

    @staticmethod
    def resolve_value(obj: Any) -> str:
        return str(obj.value)


def _period(text: str) -> Period:
    if not text.strip():
        raise HttpError(422, "Give the period: 2026, 2026-Q4, 2026-11 or a range of days")
    try:
        return Period.parse(text, today=timezone.localdate())
    except PeriodError as exc:
        raise HttpError(422, str(exc)) from None


ERRORS = {403: IndicatorErrorOut, 422: IndicatorErrorOut}


@router.patch("/indicators/{indicator_id}", response={200: IndicatorOut, **ERRORS})
@requires(MANAGE)
def indicator_update(request: HttpRequest, indicator_id: int, payload: IndicatorPatchIn) -> Any:
    """Reword an indicator or change its ranking rule (the fields given)."""
    indicator = indicators.get_indicator_for_viewer(request.user, indicator_id)
    changes = payload.dict(exclude_none=True)
    return indicators.indicator_update(actor=request.user, indicator=indicator, **changes)


@router.post("/indicators/{indicator_id}/targets", response={200: TargetOut, **ERRORS})
@requires(MANAGE)
def indicator_target_set(request: HttpRequest, indicator_id: int, payload: TargetIn) -> Any:
    """Set or change a unit's target for a period (e.g. ``"2026"`` or ``"2026-Q4"``)."""
    indicator = indicators.get_indicator_for_viewer(request.user, indicator_id)
    org = selectors.get_org_for_viewer(request.user, payload.org_id)
    return indicators.target_set(
        actor=request.user,
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
    indicator = indicators.get_indicator_for_viewer(request.user, indicator_id)
    org = selectors.get_org_for_viewer(request.user, payload.org_id)
    return indicators.actual_enter(
        actor=request.user,
        indicator=indicator,
        org=org,
        period=_period(payload.period),
        value=payload.value,
        cases=payload.cases,
        evidence=payload.evidence,
    )
