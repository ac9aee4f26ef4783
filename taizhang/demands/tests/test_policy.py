"""The demand policies: the taker's reveal for the follow-up call, follow-up as a duty of
its own, the grid worker's functions, the configuration's scope, and the audit action of
every service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import ROLES
from taizhang.demands import services
from taizhang.demands.models import DemandState
from taizhang.demands.permissions import DEMAND, ROUTING_RULE, can, reveal_basis
from taizhang.demands.selectors import (
    categories_with_rules,
    delegated_services,
    get_demand_for_viewer,
)
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from tests.support import make_user

pytestmark = pytest.mark.django_db
SUB = ScopeKind.SUBTREE


@pytest.fixture
def category(tree):
    return make_category(tree.district, days=5)


def _reveals() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action="demand.reveal")
        .order_by("pk")
        .values_list("outcome", "actor__username")
    )


# --- the taker reveals the phone for the follow-up call -------------------------------


def test_the_clerk_who_took_the_demand_may_reveal_for_the_follow_up(tree, personas, category):
    """street_a took it and holds no personal-data right: the reveal is allowed to her,
    audited with its ground."""
    demand = make_demand(tree.community_a, category, acting_user=personas.street_a)
    assert not personas.street_a.has_function("people.view_personal")
    assert reveal_basis(personas.street_a, demand) == "taker"
    rows = services.demand_reveal(demand=demand, acting_user=personas.street_a)
    assert rows is not None and rows[0]["mobile"] == "13812345678"
    event = AuditEvent.objects.filter(action="demand.reveal").latest("pk")
    assert event.outcome != "denied"
    assert event.changes["basis"] == "taker"
    assert event.actor_id == personas.street_a.pk


def test_anyone_else_without_the_right_is_refused_and_audited(tree, personas, category):
    """A colleague of the same scope who did not take it, and the district clerk who sees
    it, are refused (audited as denied); the personal-data right still reveals."""
    demand = make_demand(tree.community_a, category)
    colleague = make_user("street_a2", ("clerk", SUB, tree.street_a))
    for user in (colleague, personas.street_a, personas.district):
        assert reveal_basis(user, demand) == ""
        assert services.demand_reveal(demand=demand, acting_user=user) is None
    assert services.demand_reveal(demand=demand, acting_user=personas.personnel) is not None
    assert [outcome for outcome, _user in _reveals()][:3] == ["denied"] * 3
    assert AuditEvent.objects.filter(action="demand.reveal").latest("pk").changes["basis"] == (
        "personal_data"
    )


def test_taker_without_the_follow_up_function_does_not_reveal(tree, category):
    """A grid worker who took a demand does not follow it up, so the rule does not reach
    her: the reveal is for the follow-up call only."""
    worker = make_user("grid_taker", ("grid_worker", SUB, tree.grid_a))
    demand = make_demand(tree.grid_a, category, acting_user=worker)
    assert get_demand_for_viewer(worker, demand.pk) == demand
    assert reveal_basis(worker, demand) == ""
    assert services.demand_reveal(demand=demand, acting_user=worker) is None


def test_reveal_page_for_the_taker(client, tree, personas, category):
    """The page offers the button to the taker and the reveal answers her; the neighbour
    gets a 404 (she cannot see the demand)."""
    demand = make_demand(tree.community_a, category, acting_user=personas.street_a)
    client.force_login(personas.street_a)
    page = client.get(f"/demands/{demand.pk}/")
    assert page.status_code == 200
    assert page.context["can_reveal"] is True
    response = client.post(f"/demands/{demand.pk}/reveal/")
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    client.force_login(personas.street_b)
    assert client.post(f"/demands/{demand.pk}/reveal/").status_code == 404


# --- follow-up (回访办结) is a duty of its own; the grid worker -------------------------


def test_grid_worker_records_demands_but_does_not_conclude_them(tree, category):
    functions = ROLES["grid_worker"].permissions
    assert {"demands.view", "demands.manage"} <= functions
    assert "demands.follow_up" not in functions
    worker = make_user("grid_w", ("grid_worker", SUB, tree.grid_a))
    demand = make_demand(tree.grid_a, category, acting_user=worker)
    assert demand.created_by == worker
    replied = make_replied(tree.grid_a, category)
    assert not can(worker, "follow_up", replied)
    with pytest.raises(PermissionDenied):
        services.demand_follow_up(demand=replied, satisfaction="satisfied", acting_user=worker)
    with pytest.raises(PermissionDenied):
        make_demand(tree.community_a, category, acting_user=worker)


def test_clerk_concludes_after_the_follow_up(tree, personas, category):
    replied = make_replied(tree.community_a, category)
    assert can(personas.street_a, "follow_up", replied)
    assert not can(personas.street_b, "follow_up", replied)
    concluded = services.demand_follow_up(
        demand=replied, satisfaction="satisfied", acting_user=personas.street_a
    )
    assert concluded.state == DemandState.CLOSED


# --- the scope of demands and configuration -------------------------------------------


def test_handling_unit_sees_the_demand_neighbour_does_not(tree, personas, category):
    demand = make_demand(tree.community_a, category)
    services.demand_assign(demand=demand, handling_org=tree.community_b, acting_user=SYSTEM)
    assert get_demand_for_viewer(personas.street_b, demand.pk) == demand
    other = make_demand(tree.community_a, category, title="另一个诉求")
    with pytest.raises(Http404):
        get_demand_for_viewer(personas.street_b, other.pk)


def test_configuration_is_scoped(tree, personas, category):
    """Routing rules and delegated services are seen where they are booked, and set with
    demands.configure on their organization only."""
    services.routing_rule_set(
        category=category, area=tree.community_a, handling_org=tree.street_a, acting_user=SYSTEM
    )
    services.delegated_service_create(
        org=tree.street_a, name="居住证办理", delegated_on=dt.date(2025, 3, 1), acting_user=SYSTEM
    )
    assert list(delegated_services(viewer=personas.street_b)) == []
    assert tree.street_a in delegated_services(viewer=personas.street_a)
    rules_b = categories_with_rules(viewer=personas.street_b)[0].visible_rules
    assert rules_b == []
    admin_a = make_user("sys_a", ("system_admin", SUB, tree.street_a))
    services.routing_rule_set(
        category=category, area=tree.community_a, handling_org=tree.community_a, acting_user=admin_a
    )
    with pytest.raises(PermissionDenied):
        services.routing_rule_set(
            category=category,
            area=tree.community_b,
            handling_org=tree.community_b,
            acting_user=admin_a,
        )
    with pytest.raises(PermissionDenied):
        services.delegated_service_create(
            org=tree.street_b,
            name="越权事项",
            delegated_on=dt.date(2025, 3, 1),
            acting_user=admin_a,
        )
    assert ROUTING_RULE.org_choices(admin_a).filter(pk=tree.community_a.pk).exists()
    assert DEMAND.org_choices(personas.street_a).filter(pk=tree.community_a.pk).exists()


# --- the audit action of every service ------------------------------------------------


def test_every_service_records_its_audit_action(tree, personas, category):
    def last() -> str:
        return AuditEvent.objects.latest("pk").action

    make_category(tree.district, code="noise", name="噪声")
    assert last() == "demand_category.create"
    services.routing_rule_set(
        category=category, area=tree.community_a, handling_org=tree.street_a, acting_user=SYSTEM
    )
    assert last() == "routing_rule.set"
    services.delegated_service_create(
        org=tree.street_a, name="老年证办理", delegated_on=dt.date(2025, 3, 1), acting_user=SYSTEM
    )
    assert last() == "delegated_service.create"
    clerk = personas.street_a
    demand = make_demand(tree.community_a, category, acting_user=clerk)
    assert last() == "demand.create"
    demand = services.demand_assign(demand=demand, acting_user=clerk)
    assert last() == "demand.assign"
    demand = services.demand_assign(
        demand=demand, handling_org=tree.community_a, reason="属地办理", acting_user=clerk
    )
    assert last() == "demand.reassign"
    demand = services.demand_start(demand=demand, acting_user=clerk)
    assert last() == "demand.start"
    demand = services.demand_reply(demand=demand, reply_text="已协调物业维修", acting_user=clerk)
    assert last() == "demand.reply"
    demand = services.demand_follow_up(demand=demand, satisfaction="unsatisfied", acting_user=clerk)
    assert last() == "demand.reopen"
    demand = services.demand_reply(demand=demand, reply_text="已更换电梯主板", acting_user=clerk)
    demand = services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=clerk)
    assert last() == "demand.follow_up"
    first = make_demand(tree.community_a, category, acting_user=clerk)
    duplicate = make_demand(tree.community_a, category, acting_user=clerk)
    services.demand_merge(duplicate=duplicate, into=first, acting_user=clerk)
    assert last() == "demand.merge"
    services.demand_raise_problem(
        demand=first, deadline=dt.date.today() + dt.timedelta(days=30), acting_user=clerk
    )
    assert last() == "problem.create"
    services.demand_reveal(demand=first, acting_user=clerk)
    assert last() == "demand.reveal"
