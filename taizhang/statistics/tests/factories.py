"""Test data for statistics: an indicator with sensible defaults."""

from __future__ import annotations

from typing import Any

from taizhang.statistics import indicators
from taizhang.statistics.models import Indicator


def make_indicator(actor: Any, owner: Any, **overrides: Any) -> Indicator:
    """A metric indicator (集中学习场次, counted from activities) set through the service;
    ``overrides`` change any field."""
    fields: dict[str, Any] = {
        "name": "集中学习场次",
        "unit": "场",
        "direction": "higher",
        "source": "metric",
        "metric": "activities.count",
        "min_cases": 1,
        "description": "",
    }
    fields.update(overrides)
    return indicators.indicator_create(actor=actor, owner=owner, **fields)
