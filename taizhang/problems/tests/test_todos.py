"""The problem ledger's to-dos: what waits for each persona, scoped, and gone once done.

* ``problems.to_verify``: problems awaiting sign-off that the viewer may close out
  (sign-off function on the lead unit, not the responsible person, and, unless the kind
  allows it, not the one who put it on the ledger or submitted its evidence);
* ``problems.to_work_on``: problems on the ledger or being fixed that the viewer's units
  own or lead, overdue or due within 7 days, most overdue first;
* ``problems.escalated_to_me``: overdue problems escalated to the viewer's person as
  linked leader, until closed out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import TODOS
from taizhang.problems import services
from taizhang.problems.models import Problem
from taizhang.problems.permissions import can
from taizhang.problems.selectors import todo_escalated_to_me, todo_to_verify, todo_to_work_on
from taizhang.problems.tests.factories import link_person, make_pending, make_problem, png
from taizhang.workbench.selectors import todo_groups
from tests.support import make_user

pytestmark = pytest.mark.django_db

KINDS = ("problems.to_verify", "problems.to_work_on", "problems.escalated_to_me")


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _titles(qs):
    return [p.title for p in qs]


def _group(viewer, name):
    return next((g for g in todo_groups(viewer=viewer) if g.kind.name == name), None)


@pytest.fixture
def people(tree, personas):
    """Every clerk answers with a person of her own (the verifier is a person)."""
    return {
        "district": link_person(personas.district, tree.district, "李验收"),
        "street_a": link_person(personas.street_a, tree.street_a, "王街道"),
        "street_b": link_person(personas.street_b, tree.street_b, "赵邻居"),
    }


@pytest.fixture
def leader(tree):
    """A district leader (role ``leader``: view and sign-off, no manage) with a person."""
    user = make_user("leader", ("leader", ScopeKind.SUBTREE, tree.district))
    link_person(user, tree.district, "钱挂钩")
    return user


def _overdue(org, *, title, days=5, **kwargs) -> Problem:
    return make_problem(org, title=title, raised_on=_days(-60), deadline=_days(-days), **kwargs)


def test_kinds_are_registered_with_their_functions():
    """Each kind names the function a viewer needs to have it at all."""
    assert TODOS["problems.to_verify"].permission == "problems.verify"
    assert TODOS["problems.to_work_on"].permission == "problems.manage"
    assert TODOS["problems.escalated_to_me"].permission == "problems.view"


# --- problems.to_verify ------------------------------------------------------------


def test_to_verify_shows_a_pending_problem_to_the_subdistrict_and_not_its_neighbour(
    tree, personas, people
):
    """A's clerk sees the item of her community awaiting sign-off, with its number, link
    and deadline; B's clerk sees nothing of A."""
    problem = make_pending(tree.community_a, title="雨污混接")
    group = _group(personas.street_a, "problems.to_verify")
    assert group is not None and group.count == 1
    item = group.items[0]
    assert item.title == f"{problem.number} 雨污混接"
    assert item.url == reverse("problems:detail", args=[problem.pk])
    assert item.due == problem.deadline
    assert _group(personas.street_b, "problems.to_verify") is None
    assert not todo_to_verify(viewer=personas.street_b).exists()


def test_to_verify_leaves_the_list_once_signed_off_or_sent_back(tree, personas, people):
    """Verifying closes it out, sending back returns it to work: off the list either way."""
    first = make_pending(tree.community_a, title="一")
    second = make_pending(tree.community_a, title="二")
    assert todo_to_verify(viewer=personas.street_a).count() == 2
    services.problem_verify(problem=first, note="同意销号", acting_user=personas.street_a)
    services.problem_send_back(problem=second, reason="照片不清晰", acting_user=personas.street_a)
    assert _group(personas.street_a, "problems.to_verify") is None


def test_to_verify_keeps_duties_apart(tree, personas, people):
    """Not listed for whoever raised the item, submitted its evidence or answers for it;
    listed for someone else who may sign off (the district); a self-close kind is listed
    for its raiser. The list agrees with ``can(viewer, "verify", …)``."""
    raised = make_pending(tree.community_a, title="自己挂的", acting_user=personas.street_a)
    submitted = make_problem(tree.community_a, title="自己报的")
    services.problem_start(problem=submitted, acting_user=personas.street_a)
    services.problem_submit(
        problem=submitted,
        evidence_text="完成整改，附现场照片两张",
        files=[png()],
        acting_user=personas.street_a,
    )
    make_pending(tree.community_a, title="自己负责的", responsible=people["street_a"])
    own_task = services.problem_kind_create(
        code="own_task", name="自办事项", self_close_allowed=True, acting_user=SYSTEM
    )
    make_pending(tree.community_a, title="自办", kind=own_task, acting_user=personas.street_a)
    make_pending(tree.community_a, title="别人的")

    assert sorted(_titles(todo_to_verify(viewer=personas.street_a))) == ["别人的", "自办"]
    assert sorted(_titles(todo_to_verify(viewer=personas.district))) == sorted(
        ["自己挂的", "自己报的", "自己负责的", "自办", "别人的"]
    )
    for viewer in (personas.street_a, personas.district):
        listed = set(todo_to_verify(viewer=viewer).values_list("pk", flat=True))
        for problem in Problem.objects.filter(state="pending"):
            assert (problem.pk in listed) == can(viewer, "verify", problem), problem.title
    assert raised.pk not in {p.pk for p in todo_to_verify(viewer=personas.street_a)}


def test_to_verify_needs_a_person_and_the_function_on_the_lead_unit(tree, personas, people):
    """A clerk without a person record has nothing to sign off; an item led by A's
    community but owned by B waits for A's clerk, not for B's."""
    make_pending(tree.community_b, title="跨街道", lead_unit=tree.community_a)
    assert _titles(todo_to_verify(viewer=personas.street_a)) == ["跨街道"]
    assert not todo_to_verify(viewer=personas.street_b).exists()
    personas.street_a.person = None
    personas.street_a.save(update_fields=["person"])
    assert not todo_to_verify(viewer=personas.street_a).exists()


def test_to_verify_is_ordered_most_overdue_first(tree, personas, people):
    make_pending(tree.community_a, title="下月", deadline=_days(30))
    make_pending(tree.community_a, title="明天", deadline=_days(1))
    assert _titles(todo_to_verify(viewer=personas.street_a)) == ["明天", "下月"]


# --- problems.to_work_on -----------------------------------------------------------


def test_to_work_on_lists_overdue_and_due_soon_most_overdue_first(tree, personas, people):
    """Open or being-fixed items of A due within 7 days or overdue, oldest deadline
    first; one due in a month, one awaiting sign-off and one closed are not listed."""
    make_problem(tree.community_a, title="三天后", deadline=_days(3))
    started = _overdue(tree.community_a, title="逾期五天")
    services.problem_start(problem=started, acting_user=personas.street_a)
    make_problem(tree.community_a, title="七天后", deadline=_days(7))
    make_problem(tree.community_a, title="八天后", deadline=_days(8))
    make_pending(tree.community_a, title="待验收", deadline=_days(2))
    group = _group(personas.street_a, "problems.to_work_on")
    assert group is not None and group.count == 3
    assert [i.title.split(" ", 1)[1] for i in group.items] == ["逾期五天", "三天后", "七天后"]
    assert group.items[0].overdue
    assert _group(personas.street_b, "problems.to_work_on") is None


def test_to_work_on_includes_what_the_viewers_unit_leads(tree, personas, people):
    """An item owned by B and led by A's community is A's work (and B's, who owns it)."""
    make_problem(tree.community_b, title="跨街道", lead_unit=tree.community_a, deadline=_days(2))
    assert _titles(todo_to_work_on(viewer=personas.street_a)) == ["跨街道"]
    assert _titles(todo_to_work_on(viewer=personas.street_b)) == ["跨街道"]


def test_to_work_on_needs_the_manage_function(tree, personas, people, leader):
    """A leader (view and sign-off, no manage) has no such list at all."""
    make_problem(tree.community_a, title="三天后", deadline=_days(3))
    assert _group(leader, "problems.to_work_on") is None


def test_to_work_on_leaves_the_list_once_submitted(tree, personas, people):
    """Submitting the evidence moves the item to the verifiers' list."""
    problem = make_problem(tree.community_a, title="三天后", deadline=_days(3))
    services.problem_start(problem=problem, acting_user=personas.street_a)
    assert todo_to_work_on(viewer=personas.street_a).count() == 1
    services.problem_submit(
        problem=problem,
        evidence_text="完成整改，附现场照片两张",
        files=[png()],
        acting_user=personas.street_a,
    )
    assert not todo_to_work_on(viewer=personas.street_a).exists()
    assert _titles(todo_to_verify(viewer=personas.district)) == ["三天后"]


# --- problems.escalated_to_me ------------------------------------------------------


def test_escalated_problems_reach_their_linked_leader_only(tree, personas, people, leader):
    """After the daily escalation the linked leader sees his overdue item; a not yet
    escalated one, someone else's, and the clerks (who are not linked) see none."""
    mine = _overdue(tree.community_a, title="我挂钩的", linked_leader=leader.person)
    make_problem(tree.community_a, title="未逾期", linked_leader=leader.person)
    _overdue(tree.community_b, title="别人挂钩的", linked_leader=people["street_b"])
    assert not todo_escalated_to_me(viewer=leader).exists()
    services.problem_escalate_overdue()
    group = _group(leader, "problems.escalated_to_me")
    assert group is not None and group.count == 1
    assert group.items[0].title == f"{mine.number} 我挂钩的"
    assert group.items[0].overdue
    assert _group(personas.street_a, "problems.escalated_to_me") is None
    assert _titles(todo_escalated_to_me(viewer=personas.street_b)) == ["别人挂钩的"]
    assert not todo_escalated_to_me(viewer=personas.district).exists()


def test_escalated_problem_outside_the_leaders_scope_is_not_listed(tree, people):
    """A leader of subdistrict B linked to an item of A does not see it (scope first)."""
    b_leader = make_user("b_leader", ("leader", ScopeKind.SUBTREE, tree.street_b))
    person = link_person(b_leader, tree.street_b, "孙领导")
    _overdue(tree.community_a, title="A的", linked_leader=person)
    services.problem_escalate_overdue()
    assert not todo_escalated_to_me(viewer=b_leader).exists()


def test_escalated_problem_leaves_the_list_once_closed_out(tree, personas, people, leader):
    """Worked, submitted and signed off: off the leader's list."""
    problem = _overdue(tree.community_a, title="我挂钩的", linked_leader=leader.person)
    services.problem_escalate_overdue()
    services.problem_start(problem=problem, acting_user=personas.street_a)
    services.problem_submit(
        problem=problem,
        evidence_text="完成整改，附现场照片两张",
        files=[png()],
        acting_user=personas.street_a,
    )
    assert todo_escalated_to_me(viewer=leader).count() == 1  # pending is still open
    services.problem_verify(problem=problem, acting_user=personas.district)
    assert not todo_escalated_to_me(viewer=leader).exists()


# --- the workbench spends two queries per kind -------------------------------------


def test_two_queries_per_kind(
    tree, personas, people, leader, monkeypatch, django_assert_max_num_queries
):
    """Several items of each kind cost a count and one page, not a query per item."""
    for n in range(3):
        make_pending(tree.community_a, title=f"待验收{n}")
        make_problem(tree.community_a, title=f"将到期{n}", deadline=_days(n))
        _overdue(tree.community_a, title=f"逾期{n}", linked_leader=people["street_a"])
    services.problem_escalate_overdue()
    monkeypatch.setattr("taizhang.workbench.selectors.TODOS", {name: TODOS[name] for name in KINDS})
    viewer = personas.street_a
    with django_assert_max_num_queries(2 * len(KINDS) + 1):  # + the grants, read once
        groups = todo_groups(viewer=viewer)
    assert {g.kind.name: g.count for g in groups} == {
        "problems.to_verify": 3,
        "problems.to_work_on": 6,
        "problems.escalated_to_me": 3,
    }
