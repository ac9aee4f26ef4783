"""Reads of demands are scoped: district sees all, A sees A, B nothing of A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS
from taizhang.demands import services
from taizhang.demands.models import Demand
from taizhang.demands.selectors import (
    delegated_services,
    demand_counts,
    demand_list,
    demand_timings,
    get_demand_for_viewer,
    service_figures,
)
from taizhang.demands.services import RequesterIn
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from taizhang.organizations.models import OrgKind
from tests.support import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tree):
    return make_category(tree.district)


@pytest.fixture
def demands(tree, category):
    return {
        "a": make_demand(tree.community_a, category, title="A的诉求"),
        "b": make_demand(tree.community_b, category, title="B的诉求"),
    }


def _titles(qs):
    return {d.title for d in qs}


def test_district_sees_all(personas, demands):
    assert _titles(demand_list(viewer=personas.district)) == {"A的诉求", "B的诉求"}


def test_subdistrict_sees_her_own_only(personas, demands):
    """A's clerk sees A's demands, in lists and in counts."""
    assert _titles(demand_list(viewer=personas.street_a)) == {"A的诉求"}
    assert demand_counts(viewer=personas.street_a)["total"] == 1


def test_neighbour_gets_404(personas, demands):
    """B gets the same 404 for A's demand as for a missing one; A's rows absent."""
    with pytest.raises(Http404):
        get_demand_for_viewer(personas.street_b, demands["a"].pk)
    with pytest.raises(Http404):
        get_demand_for_viewer(personas.street_b, 999999)
    assert "A的诉求" not in _titles(demand_list(viewer=personas.street_b))
    assert demand_counts(viewer=personas.street_b)["total"] == 1


def test_handling_unit_sees_the_demand(tree, personas, category):
    """A demand received in B but handled by A's community is visible to A."""
    demand = make_demand(tree.community_b, category, title="转办")
    services.demand_assign(demand=demand, handling_org=tree.community_a, acting_user=SYSTEM)
    assert "转办" in _titles(demand_list(viewer=personas.street_a))
    assert "转办" in _titles(demand_list(viewer=personas.street_a, to_handle=True))


def test_overdue_filter(tree, personas, category):
    """A demand not replied by its due day is overdue."""
    late = make_demand(
        tree.community_a,
        category,
        title="逾期",
        when=timezone.now() - dt.timedelta(days=30),
    )
    make_demand(tree.community_a, category, title="新的")
    assert _titles(demand_list(viewer=personas.street_a, overdue=True)) == {"逾期"}
    assert late.is_overdue


def test_timings_and_figures(tree, personas, category):
    """Time to reply is counted in working days; enterprises served are distinct."""
    firm = make_org(tree.street_a, "A-E1", OrgKind.ENTERPRISE)
    for _ in range(2):
        d = make_replied(
            tree.street_a,
            category,
            requesters=[RequesterIn(kind="enterprise", name="某公司", enterprise=firm)],
        )
        services.demand_follow_up(demand=d, satisfaction="satisfied", acting_user=SYSTEM)
    year = timezone.localdate().year
    figures = service_figures(viewer=personas.district, year=year)
    assert figures["enterprises"] == 1 and figures["resolved_for_enterprises"] == 2
    rows = demand_timings(viewer=personas.district, by="category", year=year)
    assert rows[0]["count"] == 2 and rows[0]["avg_reply"] == 0
    assert service_figures(viewer=personas.street_b, year=year)["enterprises"] == 0


def test_enterprise_metric_counts_distinct_enterprises(tree, category):
    """The enterprises_served metric has one row per enterprise and year."""
    firm = make_org(tree.street_a, "A-E1", OrgKind.ENTERPRISE)
    other = make_org(tree.street_a, "A-E2", OrgKind.ENTERPRISE)
    for org in (firm, firm, other):
        make_demand(
            tree.street_a,
            category,
            requesters=[RequesterIn(kind="enterprise", name="x", enterprise=org)],
        )
    make_demand(tree.street_a, category)
    assert METRICS["demands.enterprises_served"].queryset().count() == 2
    assert METRICS["demands.received"].queryset().count() == 4


def test_metrics_name_real_fields():
    for name in (
        "demands.received",
        "demands.closed",
        "demands.enterprises_served",
        "demands.satisfied",
    ):
        metric = METRICS[name]
        model = metric.queryset().model
        model._meta.get_field(metric.org_field)
        model._meta.get_field(metric.date_field)


def test_delegated_services_are_scoped(tree, personas):
    services.delegated_service_create(
        org=tree.street_a,
        name="个体工商户设立登记",
        delegated_on=timezone.localdate(),
        acting_user=SYSTEM,
    )
    services.delegated_service_create(
        org=tree.street_b, name="人民调解", delegated_on=timezone.localdate(), acting_user=SYSTEM
    )
    assert [o.pk for o in delegated_services(viewer=personas.street_a)] == [tree.street_a.pk]
    assert len(delegated_services(viewer=personas.district)) == 2
    assert Demand.objects.count() == 0
