"""The demands' to-do kinds: each lists what waits for this viewer, inside her scope, in
the order to do it, and an item leaves the list once it is done.

* ``demands.to_assign``: received by a unit the viewer manages, with no handling unit;
* ``demands.to_handle``: assigned to a unit the viewer manages, not replied to, the
  nearest time limit first (a demand near its limit that the viewer answers herself is
  here, at the top: it is not listed again under ``near_limit``);
* ``demands.to_follow_up``: replied, on a receiving unit where the viewer holds
  ``demands.follow_up`` (not a grid worker);
* ``demands.near_limit``: received by the viewer's units, passed on to a unit she does
  not manage, not replied to, due within two working days or overdue (催办).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.calendar import add_workdays
from taizhang.core.registry import TODOS
from taizhang.demands import services
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.selectors import (
    near_limit_day,
    todo_near_limit,
    todo_to_assign,
    todo_to_follow_up,
    todo_to_handle,
)
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from taizhang.workbench.selectors import kinds_for, todo_count, todo_groups
from tests.support import make_user

pytestmark = pytest.mark.django_db

KINDS = ("demands.to_assign", "demands.to_handle", "demands.to_follow_up", "demands.near_limit")


@pytest.fixture
def category(tree):
    return make_category(tree.community_a, days=5)


def _groups(viewer):
    return {g.kind.name: g for g in todo_groups(viewer=viewer) if g.kind.name in KINDS}


def _numbers(qs):
    return [d.number for d in qs]


def _assigned(org, category, handler, **kwargs):
    demand = make_demand(org, category, **kwargs)
    return services.demand_assign(demand=demand, handling_org=handler, acting_user=SYSTEM)


def _due(demand, day):
    Demand.objects.filter(pk=demand.pk).update(due_on=day)
    demand.refresh_from_db()
    return demand


def test_the_four_kinds_are_registered_with_their_functions():
    """Assigning, handling and chasing need ``demands.manage``; the follow-up call
    ``demands.follow_up``."""
    assert {name: TODOS[name].permission for name in KINDS} == {
        "demands.to_assign": "demands.manage",
        "demands.to_handle": "demands.manage",
        "demands.to_follow_up": "demands.follow_up",
        "demands.near_limit": "demands.manage",
    }


# --- to_assign --------------------------------------------------------------------


def test_to_assign_lists_received_demands_of_the_viewers_units(tree, personas, category):
    """A demand received at community A1 waits for A's clerk (and the district's) to
    assign it; B's clerk sees nothing of it. The item links to the demand and shows
    its due day."""
    demand = make_demand(tree.community_a, category, title="楼道堆物")
    group = _groups(personas.street_a)["demands.to_assign"]
    assert group.count == 1
    assert [i.title for i in group.items] == [f"{demand.number} 楼道堆物"]
    assert group.items[0].url == reverse("demands:detail", args=[demand.pk])
    assert group.items[0].due == demand.due_on
    assert _numbers(todo_to_assign(viewer=personas.district)) == [demand.number]
    assert "demands.to_assign" not in _groups(personas.street_b)
    assert not todo_to_assign(viewer=personas.street_b).exists()


def test_to_assign_nearest_limit_first_and_gone_once_assigned(tree, personas, category):
    """The demand due first comes first; once assigned, it leaves the list (and, handled
    by A1, is on A's list to handle)."""
    later = make_demand(tree.community_a, category, title="后到期")
    sooner = _due(make_demand(tree.community_a, category, title="先到期"), later.due_on)
    _due(later, later.due_on + dt.timedelta(days=3))
    assert _numbers(todo_to_assign(viewer=personas.street_a)) == [sooner.number, later.number]
    services.demand_assign(demand=sooner, handling_org=tree.community_a, acting_user=SYSTEM)
    assert _numbers(todo_to_assign(viewer=personas.street_a)) == [later.number]
    assert _numbers(todo_to_handle(viewer=personas.street_a)) == [sooner.number]


# --- to_handle --------------------------------------------------------------------


def test_to_handle_lists_the_handling_units_unreplied_demands(tree, personas, category):
    """Assigned and being handled both wait for the handling unit, the most urgent
    limit first (an overdue one at the top, red); B's clerk sees none of A's."""
    today = timezone.localdate()
    later = _assigned(tree.community_a, category, tree.community_a, title="稍后")
    overdue = _due(
        _assigned(tree.community_a, category, tree.community_a, title="已超期"),
        today - dt.timedelta(days=2),
    )
    services.demand_start(demand=overdue, acting_user=SYSTEM)
    group = _groups(personas.street_a)["demands.to_handle"]
    assert group.count == 2
    assert [i.title for i in group.items] == [f"{overdue.number} 已超期", f"{later.number} 稍后"]
    assert group.items[0].due == today - dt.timedelta(days=2)
    assert group.items[0].overdue
    assert not group.items[1].overdue
    assert "demands.to_handle" not in _groups(personas.street_b)


def test_to_handle_is_the_handlers_list_not_the_receivers(tree, personas, category):
    """A demand B received and assigned to A1 waits for A (who answers it), not for B
    (who chases it: ``near_limit``)."""
    demand = _assigned(tree.community_b, category, tree.community_a)
    assert _numbers(todo_to_handle(viewer=personas.street_a)) == [demand.number]
    assert not todo_to_handle(viewer=personas.street_b).exists()


def test_to_handle_leaves_on_reply_and_returns_on_an_unsatisfied_follow_up(
    tree, personas, category
):
    """Replied, the demand is off the handler's list; an unsatisfied follow-up call
    reopens it and puts it back."""
    demand = _assigned(tree.community_a, category, tree.community_a)
    demand = services.demand_start(demand=demand, acting_user=personas.street_a)
    services.demand_reply(
        demand=demand, reply_text="已协调物业清理完毕。", acting_user=personas.street_a
    )
    assert not todo_to_handle(viewer=personas.street_a).exists()
    services.demand_follow_up(
        demand=Demand.objects.get(pk=demand.pk),
        satisfaction="unsatisfied",
        acting_user=personas.street_a,
    )
    assert _numbers(todo_to_handle(viewer=personas.street_a)) == [demand.number]


# --- to_follow_up -----------------------------------------------------------------


def test_to_follow_up_lists_replied_demands_of_the_receiving_unit(tree, personas, category):
    """A replied demand received at A1 waits for A's clerk to call back; the longest
    waiting first; B's clerk sees none of it."""
    first = make_replied(tree.community_a, category, title="先答复")
    second = make_replied(tree.community_a, category, title="后答复")
    group = _groups(personas.street_a)["demands.to_follow_up"]
    assert group.count == 2
    assert [i.title for i in group.items] == [f"{first.number} 先答复", f"{second.number} 后答复"]
    assert group.items[0].due is None
    assert "demands.to_follow_up" not in _groups(personas.street_b)


def test_to_follow_up_leaves_once_followed_up(tree, personas, category):
    """A satisfied follow-up concludes the demand: it leaves the list."""
    demand = make_replied(tree.community_a, category)
    assert todo_to_follow_up(viewer=personas.street_a).count() == 1
    services.demand_follow_up(
        demand=demand, satisfaction="satisfied", acting_user=personas.street_a
    )
    assert Demand.objects.get(pk=demand.pk).state == DemandState.CLOSED
    assert not todo_to_follow_up(viewer=personas.street_a).exists()


def test_a_grid_worker_has_no_follow_up_list(tree, category):
    """A grid worker records and answers demands but does not conclude them: the
    follow-up kind is not hers, and its query gives her nothing."""
    worker = make_user("grid_todo", ("grid_worker", ScopeKind.SUBTREE, tree.community_a))
    make_replied(tree.community_a, category)
    names = {kind.name for kind in kinds_for(worker)}
    assert "demands.to_follow_up" not in names
    assert {"demands.to_assign", "demands.to_handle"} <= names
    assert not todo_to_follow_up(viewer=worker).exists()


# --- near_limit -------------------------------------------------------------------


def test_near_limit_lists_demands_passed_on_near_their_limit(tree, personas, category):
    """B received a demand and passed it to A1; due today and unreplied, it is on B's
    list to chase, titled with the handling unit. A, who answers it, has it on
    ``to_handle`` only; the district manages A1 too, so it is on her list to handle,
    not to chase."""
    demand = _due(
        _assigned(tree.community_b, category, tree.community_a, title="路灯不亮"),
        timezone.localdate(),
    )
    group = _groups(personas.street_b)["demands.near_limit"]
    assert group.count == 1
    assert [i.title for i in group.items] == [f"{demand.number} 路灯不亮 · A1"]
    assert group.items[0].due == timezone.localdate()
    assert "demands.near_limit" not in _groups(personas.street_a)
    assert _numbers(todo_to_handle(viewer=personas.street_a)) == [demand.number]
    assert not todo_near_limit(viewer=personas.district).exists()
    assert _numbers(todo_to_handle(viewer=personas.district)) == [demand.number]


def test_near_limit_boundary_is_two_working_days(tree, personas, category):
    """Due on the second working day from today: listed; due on the third: not yet;
    overdue: listed, most overdue first."""
    today = timezone.localdate()
    edge = _due(_assigned(tree.community_b, category, tree.community_a), near_limit_day(today))
    _due(_assigned(tree.community_b, category, tree.community_a), add_workdays(today, 3))
    late = _due(
        _assigned(tree.community_b, category, tree.community_a), today - dt.timedelta(days=1)
    )
    assert near_limit_day(today) == add_workdays(today, 2)
    assert _numbers(todo_near_limit(viewer=personas.street_b, today=today)) == [
        late.number,
        edge.number,
    ]


def test_near_limit_leaves_once_replied_or_taken_back(tree, personas, category):
    """Replied by A1, the demand is off B's list (B now has it to follow up); a second
    one reassigned by B to its own community is on B's list to handle instead."""
    today = timezone.localdate()
    replied = _due(_assigned(tree.community_b, category, tree.community_a), today)
    taken = _due(_assigned(tree.community_b, category, tree.community_a), today)
    assert todo_near_limit(viewer=personas.street_b).count() == 2
    replied = services.demand_start(demand=replied, acting_user=personas.street_a)
    services.demand_reply(
        demand=replied, reply_text="已更换灯泡恢复照明。", acting_user=personas.street_a
    )
    services.demand_assign(
        demand=taken,
        handling_org=tree.community_b,
        reason="本社区自行处理",
        acting_user=personas.street_b,
    )
    assert not todo_near_limit(viewer=personas.street_b).exists()
    assert _numbers(todo_to_follow_up(viewer=personas.street_b)) == [replied.number]
    assert _numbers(todo_to_handle(viewer=personas.street_b)) == [taken.number]


# --- the workbench --------------------------------------------------------------------


def test_the_counts_add_up_without_a_demand_counted_twice(tree, personas, category):
    """One demand of each kind for B: four items in B's count, none of them A's."""
    today = timezone.localdate()
    make_demand(tree.community_b, category)
    _assigned(tree.community_b, category, tree.community_b)
    make_replied(tree.community_b, category)
    _due(_assigned(tree.community_b, category, tree.community_a), today)
    groups = _groups(personas.street_b)
    assert {name: groups[name].count for name in KINDS} == dict.fromkeys(KINDS, 1)
    assert todo_count(viewer=personas.street_b) >= 4
    assert set(_groups(personas.street_a)) == {"demands.to_handle"}


def test_two_queries_a_kind(tree, personas, category, monkeypatch, django_assert_max_num_queries):
    """With only the demands' kinds registered: a count and the first items per kind,
    plus the viewer's grants and one read of the calendar's overrides (near_limit)."""
    today = timezone.localdate()
    for _ in range(3):
        make_demand(tree.community_b, category)
        _assigned(tree.community_b, category, tree.community_b)
        make_replied(tree.community_b, category)
        _due(_assigned(tree.community_b, category, tree.community_a), today)
    monkeypatch.setattr("taizhang.workbench.selectors.TODOS", {name: TODOS[name] for name in KINDS})
    viewer = personas.street_b
    # + the grants, the overrides of the year (and of the next, in the last days of one)
    with django_assert_max_num_queries(2 * len(KINDS) + 3):
        groups = todo_groups(viewer=viewer)
    assert [g.count for g in groups] == [3, 3, 3, 3]


def test_two_queries_a_kind_with_every_module(
    tree, personas, category, django_assert_max_num_queries
):
    """With every registered kind, the workbench stays at two queries a kind (and a few
    for the grants and the calendar)."""
    make_demand(tree.community_b, category)
    make_replied(tree.community_b, category)
    viewer = personas.street_b
    kinds = len(kinds_for(viewer))
    with django_assert_max_num_queries(2 * kinds + 4):
        todo_groups(viewer=viewer)


def test_the_workbench_page_links_to_the_demand(client, tree, personas, category):
    """``/workbench/`` shows B's demand to assign, with a link to it; A's page does not."""
    demand = make_demand(tree.community_b, category, title="井盖缺失")
    client.force_login(personas.street_b)
    page = client.get(reverse("workbench:todos")).content.decode()
    assert "井盖缺失" in page
    assert reverse("demands:detail", args=[demand.pk]) in page
    client.force_login(personas.street_a)
    assert "井盖缺失" not in client.get(reverse("workbench:todos")).content.decode()
