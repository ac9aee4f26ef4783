"""The monthly figures of demands stay equal to the records after every service
(ADR 0044): the services report what they wrote, bulk updates included."""

from __future__ import annotations

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.demands import services
from taizhang.demands.services import RequesterIn
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _figure(metric: str, org) -> int:
    row = MonthlyFigure.objects.filter(metric=metric, org=org).order_by("-month").first()
    return int(row.value) if row else 0


def test_figures_follow_every_service(tree, personas):
    category = make_category(tree.district, days=5)
    make_demand(tree.community_a, category, title="刷新前已有")
    rollups.refresh_all()
    assert rollups.check() == []
    received = _figure("demands.received", tree.district)

    clerk = personas.street_a
    demand = make_demand(tree.community_a, category, acting_user=clerk)
    demand = services.demand_assign(demand=demand, acting_user=clerk)
    demand = services.demand_start(demand=demand, acting_user=SYSTEM)
    demand = services.demand_reply(demand=demand, reply_text="已协调物业维修", acting_user=SYSTEM)
    services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=clerk)
    assert _figure("demands.received", tree.district) == received + 1
    assert _figure("demands.closed", tree.district) == 1
    assert _figure("demands.satisfied", tree.district) == 1
    assert rollups.check() == []

    reopened = make_replied(tree.community_a, category)
    services.demand_follow_up(demand=reopened, satisfaction="unsatisfied", acting_user=clerk)
    assert rollups.check() == []

    # Merging a duplicate takes it out of the received figure and may hand its
    # enterprise to the demand that stays (a bulk update).
    enterprise = tree.community_b
    enterprise.kind = "enterprise"
    enterprise.save(update_fields=["kind"])
    first = make_demand(tree.community_a, category)
    duplicate = make_demand(
        tree.community_a,
        category,
        requesters=[RequesterIn(kind="enterprise", name="某公司", enterprise=enterprise)],
    )
    before = _figure("demands.received", tree.district)
    services.demand_merge(duplicate=duplicate, into=first, acting_user=clerk)
    assert _figure("demands.received", tree.district) == before - 1
    assert rollups.check() == []
