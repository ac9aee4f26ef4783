"""Helpers to build demands through the services."""

from __future__ import annotations

from typing import Any

from taizhang.core.actors import SYSTEM
from taizhang.demands import services
from taizhang.demands.models import Demand, DemandCategory
from taizhang.demands.services import RequesterIn


def make_category(
    default_org: Any, code: str = "property", days: int = 5, **kwargs: Any
) -> DemandCategory:
    return services.demand_category_create(
        code=code,
        name=kwargs.pop("name", f"类别{code}"),
        default_org=default_org,
        time_limit_days=days,
        acting_user=SYSTEM,
        **kwargs,
    )


def resident(name: str = "张大妈", mobile: str = "13812345678") -> RequesterIn:
    return RequesterIn(kind="person", name=name, mobile=mobile, address="青岚区海韵社区3栋201室")


def make_demand(
    org: Any, category: DemandCategory, *, acting_user: Any = SYSTEM, **kwargs: Any
) -> Demand:
    return services.demand_create(
        org=org,
        channel=kwargs.pop("channel", "grid_report"),
        category=category,
        title=kwargs.pop("title", "小区电梯频繁故障"),
        content=kwargs.pop("content", "电梯一周停运三次，老人出行困难。"),
        requesters=kwargs.pop("requesters", None) or [resident()],
        acting_user=acting_user,
        **kwargs,
    )


def make_replied(org: Any, category: DemandCategory, **kwargs: Any) -> Demand:
    demand = make_demand(org, category, **kwargs)
    demand = services.demand_assign(demand=demand, acting_user=SYSTEM)
    demand = services.demand_start(demand=demand, acting_user=SYSTEM)
    return services.demand_reply(
        demand=demand, reply_text="已联系维保单位更换主板。", acting_user=SYSTEM
    )


def _sample_category(org: Any) -> DemandCategory:
    return DemandCategory.objects.filter(code="sample").first() or make_category(
        org, code="sample", name="样本类别"
    )


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance):
    each booked on ``org`` in every organization field of its policy."""
    import datetime as dt

    from taizhang.demands.models import DelegatedService, RoutingRule

    def demand(org: Any) -> Demand:
        made = make_demand(org, _sample_category(org))
        return services.demand_assign(demand=made, handling_org=org, acting_user=SYSTEM)

    def delegated(org: Any) -> DelegatedService:
        return services.delegated_service_create(
            org=org, name=f"样本事项{org.pk}", delegated_on=dt.date(2025, 1, 1), acting_user=SYSTEM
        )

    def rule(org: Any) -> RoutingRule:
        return services.routing_rule_set(
            category=_sample_category(org), area=org, handling_org=org, acting_user=SYSTEM
        )

    return {
        "demands.demand": demand,
        "demands.delegated_service": delegated,
        "demands.routing_rule": rule,
    }
