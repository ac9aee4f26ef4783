"""Build investment records through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import EventKind, Lead, LeadStage, Source
from taizhang.investment.services import (
    competition_create,
    event_create,
    lead_advance,
    lead_create,
    subsidy_create,
)


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def make_lead(org: Any, name: str = "", *, stage: int = LeadStage.CONTACT, **kwargs: Any) -> Lead:
    """A lead contacted 100 days ago and walked forward to ``stage``, ten days a step."""
    defaults: dict[str, Any] = {
        "enterprise": f"{name or org.short_name}科技有限公司",
        "project_name": name or f"{org.short_name}线索",
        "sector": "新能源",
        "source": Source.RESIDENT,
        "amount": 970_000_000,
        "contacted_on": days_ago(100),
    }
    defaults.update(kwargs)
    lead = lead_create(org=org, acting_user=SYSTEM, **defaults)
    day = 90
    for step in [s for s in LeadStage if LeadStage.CONTACT < s <= stage]:
        lead = lead_advance(lead=lead, to_stage=step, on=days_ago(day), acting_user=SYSTEM)
        day -= 10
    return lead


def subsidy_policy(name: str = "样本政策") -> Any:
    """The dictionary entry ``name``, added through the service the first time."""
    from taizhang.investment.models import SubsidyPolicy
    from taizhang.investment.services import subsidy_policy_create

    existing = SubsidyPolicy.objects.filter(name=name).first()
    return existing or subsidy_policy_create(name=name, acting_user=SYSTEM)


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {
        "investment.lead": lambda org: make_lead(org, f"{org.short_name}样本线索"),
        "investment.event": lambda org: event_create(
            org=org,
            kind=EventKind.PROMOTION,
            name=f"{org.short_name}样本推介会",
            held_on=days_ago(5),
            acting_user=SYSTEM,
        ),
        "investment.competition": lambda org: competition_create(
            org=org,
            name=f"{org.short_name}样本竞赛",
            starts_on=days_ago(30),
            ends_on=days_ago(1),
            acting_user=SYSTEM,
        ),
        "investment.subsidy": lambda org: subsidy_create(
            org=org,
            policy=subsidy_policy("样本政策"),
            enterprise=f"{org.short_name}样本企业",
            amount=100_000,
            paid_on=days_ago(3),
            acting_user=SYSTEM,
        ),
    }
