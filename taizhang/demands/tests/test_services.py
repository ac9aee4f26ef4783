"""Demands move only through services; each step dated and audited; personal data protected."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.calendar import add_workdays
from taizhang.core.models import AuditEvent
from taizhang.demands import services
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.services import RequesterIn
from taizhang.demands.tests.factories import make_category, make_demand, make_replied, resident
from taizhang.problems.models import Problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tree):
    return make_category(tree.district, days=5)


def test_create_sets_due_day_in_working_days_and_audits_without_personal_data(
    tree, personas, category
):
    """受理 computes the due day from the category's limit; the trail holds no mobile."""
    demand = make_demand(tree.community_a, category, acting_user=personas.street_a)
    assert demand.state == DemandState.RECEIVED
    assert demand.due_on == add_workdays(demand.received_on, 5)
    event = AuditEvent.objects.get(action="demand.create")
    assert "13812345678" not in str(event.changes)
    assert event.changes["requesters"] == [None, ["person:张大妈"]]


def test_create_outside_scope_is_refused(tree, personas, category):
    """A's clerk cannot record a demand at B's community."""
    with pytest.raises(PermissionDenied):
        make_demand(tree.community_b, category, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        make_demand(
            tree.community_a, category, location=tree.community_b, acting_user=personas.street_a
        )


def test_create_needs_a_requester(tree, category):
    """A demand without a requester is refused."""
    with pytest.raises(ValidationError):
        services.demand_create(
            org=tree.community_a,
            channel="hotline",
            category=category,
            title="x",
            content="y",
            requesters=[RequesterIn(kind="person", name=" ")],
            acting_user=SYSTEM,
        )


def test_routing_picks_the_deepest_rule_else_the_default(tree, category):
    """A rule on the subdistrict wins over the category default; the deepest rule wins."""
    assert services.route(category, tree.grid_a) == tree.district
    services.routing_rule_set(
        category=category, area=tree.street_a, handling_org=tree.street_a, acting_user=SYSTEM
    )
    services.routing_rule_set(
        category=category, area=tree.community_a, handling_org=tree.community_a, acting_user=SYSTEM
    )
    assert services.route(category, tree.grid_a) == tree.community_a
    assert services.route(category, tree.street_a) == tree.street_a
    assert services.route(category, tree.community_b) == tree.district


def test_assign_uses_routing_and_reassign_needs_a_reason(tree, category):
    """分派 goes to the routed organization; reassigning without a reason is refused."""
    services.routing_rule_set(
        category=category, area=tree.street_a, handling_org=tree.street_a, acting_user=SYSTEM
    )
    demand = make_demand(tree.community_a, category, location=tree.grid_a)
    demand = services.demand_assign(demand=demand, acting_user=SYSTEM)
    assert demand.handling_org == tree.street_a and demand.state == DemandState.ASSIGNED
    with pytest.raises(ValidationError):
        services.demand_assign(demand=demand, handling_org=tree.community_a, acting_user=SYSTEM)
    demand = services.demand_assign(
        demand=demand, handling_org=tree.community_a, reason="属地办理", acting_user=SYSTEM
    )
    assert demand.handling_org == tree.community_a
    assert demand.steps.last().action == "reassign"


def test_full_lifecycle_and_satisfied_follow_up_concludes(tree, personas, category):
    """受理 → 分派 → 办理 → 答复 → 回访(满意) → 办结, each step dated and audited."""
    demand = make_replied(tree.community_a, category)
    assert "张大妈" in demand.steps.last().note  # the reply went to the requester
    demand = services.demand_follow_up(
        demand=demand, satisfaction="satisfied", acting_user=personas.district
    )
    assert demand.state == DemandState.CLOSED and demand.closed_on is not None
    assert [s.action for s in demand.steps.all()] == [
        "receive",
        "assign",
        "start",
        "reply",
        "follow_up",
    ]
    actions = list(
        AuditEvent.objects.filter(object_type="demands.demand").values_list("action", flat=True)
    )
    assert actions == [
        "demand.create",
        "demand.assign",
        "demand.start",
        "demand.reply",
        "demand.follow_up",
    ]


def test_unsatisfied_follow_up_reopens(tree, category):
    """不满意 sends the demand back to the handling organization."""
    demand = make_replied(tree.community_a, category)
    demand = services.demand_follow_up(
        demand=demand, satisfaction="unsatisfied", acting_user=SYSTEM
    )
    assert demand.state == DemandState.HANDLING
    assert demand.reopen_count == 1 and demand.replied_at is None


def test_concluding_twice_is_refused(tree, category):
    """A concluded demand cannot be followed up (concluded) again."""
    demand = make_replied(tree.community_a, category)
    services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=SYSTEM)


def test_reply_needs_text(tree, category):
    """An empty reply is refused."""
    demand = make_demand(tree.community_a, category)
    services.demand_assign(demand=demand, acting_user=SYSTEM)
    services.demand_start(demand=demand, acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        services.demand_reply(demand=demand, reply_text=" ", acting_user=SYSTEM)


def test_merge_keeps_both_requesters(tree, personas, category):
    """Merging a duplicate moves its requester to the demand that stays."""
    first = make_demand(tree.community_a, category, acting_user=personas.street_a)
    second = make_demand(
        tree.community_a,
        category,
        requesters=[resident("李大爷", "13900001111")],
        acting_user=personas.street_a,
    )
    services.demand_merge(duplicate=second, into=first, acting_user=personas.street_a)
    second.refresh_from_db()
    assert second.state == DemandState.MERGED and second.merged_into_id == first.pk
    assert sorted(first.requesters.values_list("name", flat=True)) == ["张大妈", "李大爷"]
    with pytest.raises(ValidationError):
        services.demand_merge(duplicate=first, into=first, acting_user=personas.street_a)


def test_merge_across_scopes_is_refused(tree, personas, category):
    """A's clerk cannot merge B's demand."""
    mine = make_demand(tree.community_a, category)
    theirs = make_demand(tree.community_b, category)
    with pytest.raises(PermissionDenied):
        services.demand_merge(duplicate=theirs, into=mine, acting_user=personas.street_a)


def test_raise_problem_in_one_step(tree, personas, category):
    """A demand raises a problem with the demand as its origin, and its history says so."""
    import datetime as dt

    from django.utils import timezone

    demand = make_demand(tree.community_a, category)
    demand = services.demand_assign(
        demand=demand, handling_org=tree.community_a, acting_user=SYSTEM
    )
    problem = services.demand_raise_problem(
        demand=demand,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        acting_user=personas.street_a,
    )
    assert (problem.origin_type, problem.origin_id, problem.source) == (
        "demands.demand",
        demand.pk,
        "demand",
    )
    assert problem.org == tree.community_a
    assert demand.steps.last().action == "raise_problem"
    assert Problem.objects.count() == 1


def test_reveal_is_audited_and_refused_without_the_right(tree, personas, category):
    """Only people.view_personal on the demand's org reveals; both outcomes are audited."""
    demand = make_demand(tree.community_a, category)
    assert services.demand_reveal(demand=demand, acting_user=personas.street_a) is None
    rows = services.demand_reveal(demand=demand, acting_user=personas.personnel)
    assert rows is not None and rows[0]["mobile"] == "13812345678"
    outcomes = list(
        AuditEvent.objects.filter(action="demand.reveal").values_list("outcome", flat=True)
    )
    assert outcomes == ["denied", "success"]


def test_start_needs_the_handling_unit(tree, personas, category):
    """Only the handling organization takes a demand on."""
    demand = make_demand(tree.community_a, category)
    demand = services.demand_assign(
        demand=demand, handling_org=tree.community_b, acting_user=SYSTEM
    )
    with pytest.raises(PermissionDenied):
        services.demand_start(demand=demand, acting_user=personas.street_a)
    assert Demand.objects.get(pk=demand.pk).state == DemandState.ASSIGNED


def test_enterprise_requester_sets_the_enterprise(tree, category):
    """An enterprise requester marks the demand as serving that enterprise."""
    from taizhang.organizations.models import OrgKind
    from tests.support import make_org

    firm = make_org(tree.street_a, "A-E1", OrgKind.ENTERPRISE)
    demand = make_demand(
        tree.street_a,
        category,
        requesters=[RequesterIn(kind="enterprise", name="某公司", enterprise=firm)],
    )
    assert demand.enterprise == firm
    with pytest.raises(ValidationError):
        make_demand(
            tree.street_a,
            category,
            requesters=[RequesterIn(kind="enterprise", name="x", enterprise=tree.community_a)],
        )
