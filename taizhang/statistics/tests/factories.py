"""Test data for statistics: an indicator with sensible defaults, and the rows of each
scope policy for the conformance test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from taizhang.core.actors import SYSTEM, Actor
from taizhang.statistics import services
from taizhang.statistics.models import (
    Briefing,
    BriefingStyle,
    Indicator,
    IndicatorEntry,
    IndicatorTarget,
)
from taizhang.statistics.periods import Period

YEAR = Period.year(2026)


def make_indicator(acting_user: Actor, owner: Any, **overrides: Any) -> Indicator:
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
    return services.indicator_create(acting_user=acting_user, owner=owner, **fields)


def make_manual_indicator(acting_user: Actor, owner: Any, **overrides: Any) -> Indicator:
    return make_indicator(
        acting_user,
        owner,
        **{
            "name": "党员志愿服务覆盖率",
            "unit": "%",
            "source": "manual",
            "metric": "",
            **overrides,
        },
    )


def _target(org: Any) -> IndicatorTarget:
    indicator = make_indicator(SYSTEM, org, name="样本指标")
    return services.target_set(
        acting_user=SYSTEM, indicator=indicator, org=org, period=YEAR, target=Decimal(5)
    )


def _entry(org: Any) -> IndicatorEntry:
    indicator = make_manual_indicator(SYSTEM, org, name="样本填报指标")
    return services.actual_enter(
        acting_user=SYSTEM,
        indicator=indicator,
        org=org,
        period=YEAR,
        value=Decimal(1),
        cases=1,
        evidence="样本佐证",
    )


def _composite(org: Any) -> Any:
    from taizhang.statistics.composites import composite_create

    return composite_create(acting_user=SYSTEM, owner=org, name="样本综合考评", year=2026)


def _briefing(org: Any) -> Briefing:
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    author = make_user(f"sample_brief_{org.pk}", ("clerk", ScopeKind.SUBTREE, org))
    return services.briefing_generate(acting_user=author, org=org, period=Period.month(2026, 3))


def issue(author: Any, org: Any, period: Period, **kwargs: Any) -> Briefing:
    """A briefing generated and issued at once (numbered 第X期)."""
    draft = services.briefing_generate(acting_user=author, org=org, period=period, **kwargs)
    return services.briefing_issue(acting_user=author, briefing=draft)


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {
        "statistics.indicator": lambda org: make_indicator(SYSTEM, org, name="样本指标"),
        "statistics.indicator_target": _target,
        "statistics.indicator_entry": _entry,
        "statistics.composite": lambda org: _composite(org),
        "statistics.briefing": _briefing,
        "statistics.briefing_style": lambda org: BriefingStyle.objects.create(
            org=org, masthead="样本简报"
        ),
    }
