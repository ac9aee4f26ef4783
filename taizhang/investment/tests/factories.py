"""Build investment records through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import Lead, LeadStage, Source
from taizhang.investment.services import lead_advance, lead_create


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
