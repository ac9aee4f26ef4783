"""What the ledgers tell people through notify(): escalation, send-back, assignment.

Built through the problems' and demands' own services and factories; the messages land
in the recipients' message centres and nowhere else.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.demands import services as demand_services
from taizhang.demands.tests.factories import make_category, make_demand
from taizhang.problems import services as problem_services
from taizhang.problems.tests.factories import link_person, make_pending, make_problem
from taizhang.reminders.models import Message
from tests.support import make_user


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _to(user) -> list[str]:
    return list(Message.objects.filter(recipient=user).values_list("rule", flat=True))


def test_escalation_tells_the_linked_leader(tree, personas):
    """The daily escalation tells each overdue problem's linked leader, once."""
    leader = make_user("leader", ("leader", ScopeKind.SUBTREE, tree.district))
    person = link_person(leader, tree.district, "钱挂钩")
    today = timezone.localdate()
    late = make_problem(
        tree.community_a,
        title="雨污混接",
        raised_on=today - dt.timedelta(days=60),
        deadline=today - dt.timedelta(days=3),
        linked_leader=person,
    )
    make_problem(tree.community_a, title="未到期", linked_leader=person)
    problem_services.problem_escalate_overdue(today=today)
    problem_services.problem_escalate_overdue(today=today)
    message = Message.objects.get(recipient=leader)
    assert message.rule == "problems.escalated"
    assert late.number in message.title and "雨污混接" in message.title
    assert message.url == reverse("problems:detail", args=[late.pk])
    assert message.org == tree.community_a
    assert _to(personas.street_a) == [] and _to(personas.street_b) == []


def test_send_back_tells_the_responsible_person_and_the_submitter(tree, personas):
    """Sent back: the responsible person's account and whoever submitted hear of it,
    the verifier who sent it back does not, nor the neighbouring street."""
    link_person(personas.district, tree.district, "李验收")
    responsible_user = make_user("grid", ("grid_worker", ScopeKind.SUBTREE, tree.community_a))
    responsible = link_person(responsible_user, tree.community_a, "周网格")
    problem = make_pending(tree.community_a, acting_user=personas.street_a, responsible=responsible)
    problem_services.problem_send_back(
        problem=problem, reason="照片不清晰", acting_user=personas.district
    )
    assert _to(responsible_user) == ["problems.sent_back"]
    assert _to(personas.street_a) == ["problems.sent_back"]
    assert _to(personas.district) == [] and _to(personas.street_b) == []
    message = Message.objects.filter(recipient=responsible_user).get()
    assert "照片不清晰" in message.body


def test_assignment_tells_the_handling_units_own_staff(tree, personas):
    """Assigned to community A1: its own clerks hear of it (users_at), not the district
    clerk who sees it through her subtree, and the message names no requester."""
    clerk = make_user("a1_clerk", ("clerk", ScopeKind.ORG, tree.community_a))
    category = make_category(tree.community_a)
    demand = make_demand(tree.street_a, category, location=tree.community_a)
    demand_services.demand_assign(
        demand=demand, handling_org=tree.community_a, acting_user=personas.street_a
    )
    message = Message.objects.get(recipient=clerk)
    assert message.rule == "demands.assigned"
    assert demand.number in message.title
    assert message.url == reverse("demands:detail", args=[demand.pk])
    assert "张大妈" not in message.title + message.body
    assert "138" not in message.title + message.body
    assert _to(personas.district) == [] and _to(personas.street_b) == []
