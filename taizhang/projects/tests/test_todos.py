"""The project ledger's to-do ``projects.stage_overdue``: projects behind schedule.

A project is on the list when the planned date of a stage it has not reached has passed
(the ledger's "overdue"), for a clerk who manages it (``projects.manage`` on its owning
organization) and for its linked leader, among the projects he sees. The most overdue
first, due on the earliest passed planned date; off the list once the stage is reached.
A linked leader's projects with an open blocker are not a kind of this module: blockers
are problems-module records and projects never imports problems.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import TODOS
from taizhang.projects.models import Stage
from taizhang.projects.selectors import todo_stage_overdue
from taizhang.projects.services import project_schedule_set, project_stage_move
from taizhang.projects.tests.factories import make_leader_user, make_person, make_project
from taizhang.workbench.selectors import todo_groups
from tests.support import make_user

pytestmark = pytest.mark.django_db

KIND = "projects.stage_overdue"


def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def _names(qs):
    return [p.name for p in qs]


def _group(viewer):
    return next((g for g in todo_groups(viewer=viewer) if g.kind.name == KIND), None)


def _plan(project, **planned):
    project_schedule_set(
        project=project,
        planned={Stage[name.upper()]: day for name, day in planned.items()},
        acting_user=SYSTEM,
    )
    return project


def test_kind_is_registered_for_viewers_of_the_ledger():
    """Viewing is enough to have the list (a linked leader manages nothing)."""
    assert TODOS[KIND].permission == "projects.view"


def test_a_clerk_sees_her_overdue_project_and_the_neighbour_does_not(tree, personas):
    """A's project whose groundbreaking was planned five days ago is on A's list, with
    its stage, link and planned date; B's clerk has no such item."""
    project = _plan(make_project(tree.street_a, "临溪项目"), started=_days(-5))
    _plan(make_project(tree.street_a, "按期项目"), started=_days(10))
    with translation.override("en"):
        group = _group(personas.street_a)
    assert group is not None and group.count == 1
    item = group.items[0]
    assert item.title == "临溪项目: Groundbreaking not reached"
    assert item.url == reverse("projects:detail", args=[project.pk])
    assert item.due == _days(-5)
    assert item.overdue
    assert _group(personas.street_b) is None
    assert not todo_stage_overdue(viewer=personas.street_b).exists()


def test_most_overdue_first(tree, personas):
    """The project whose passed planned date is the oldest comes first."""
    _plan(make_project(tree.street_a, "晚五天"), started=_days(-5))
    _plan(make_project(tree.community_a, "晚三十天"), signed=_days(-30), started=_days(-2))
    rows = list(todo_stage_overdue(viewer=personas.street_a))
    assert _names(rows) == ["晚三十天", "晚五天"]
    assert (rows[0].overdue_since, rows[0].overdue_stage) == (_days(-30), Stage.SIGNED)


def test_the_project_leaves_the_list_once_the_stage_is_reached(tree, personas):
    """Moving to the planned stage (or past it) records its date: no longer overdue."""
    project = _plan(make_project(tree.street_a, "临溪项目"), started=_days(-5))
    assert todo_stage_overdue(viewer=personas.street_a).count() == 1
    project_stage_move(project=project, to_stage=Stage.STARTED, acting_user=personas.street_a)
    assert _group(personas.street_a) is None


def test_a_linked_leader_sees_his_overdue_projects_only(tree, personas):
    """The leader (view only) sees the overdue project linked to him, not another
    overdue project of the district he does not manage; the district clerk, who
    manages both, sees both."""
    leader = make_leader_user(tree)
    _plan(make_project(tree.street_b, "挂钩项目", linked_leader=leader.person), started=_days(-3))
    _plan(make_project(tree.street_b, "别人的项目"), started=_days(-3))
    group = _group(leader)
    assert group is not None and group.count == 1
    assert group.items[0].title.startswith("挂钩项目")
    assert sorted(_names(todo_stage_overdue(viewer=personas.district))) == [
        "别人的项目",
        "挂钩项目",
    ]
    assert _names(todo_stage_overdue(viewer=personas.street_b)) == _names(
        todo_stage_overdue(viewer=personas.district)
    )
    assert _group(personas.street_a) is None


def test_a_linked_project_outside_the_leaders_scope_is_not_listed(tree):
    """A leader of subdistrict A linked to B's project does not see it (scope first)."""
    person = make_person(tree.street_a, "孙领导")
    leader = make_user("a_leader", ("leader", ScopeKind.SUBTREE, tree.street_a))
    leader.person = person
    leader.save(update_fields=["person"])
    _plan(make_project(tree.street_b, "B的项目", linked_leader=person), started=_days(-3))
    assert not todo_stage_overdue(viewer=leader).exists()


def test_nobody_has_nothing(tree, personas):
    _plan(make_project(tree.street_a, "临溪项目"), started=_days(-5))
    assert _group(personas.nobody) is None
    assert not todo_stage_overdue(viewer=personas.nobody).exists()


def test_two_queries(tree, personas, monkeypatch, django_assert_max_num_queries):
    """Several overdue projects cost a count and one page, not a query per project."""
    for n in range(4):
        _plan(make_project(tree.street_a, f"项目{n}"), started=_days(-1 - n))
    monkeypatch.setattr("taizhang.workbench.selectors.TODOS", {KIND: TODOS[KIND]})
    with django_assert_max_num_queries(2 + 1):  # + the grants, read once
        groups = todo_groups(viewer=personas.street_a)
    assert [(g.kind.name, g.count) for g in groups] == [(KIND, 4)]
