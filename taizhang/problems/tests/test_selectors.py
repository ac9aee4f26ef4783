"""Reads go through the viewer's scope: district sees all, A sees A, B gets nothing of A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taizhang.organizations.scope import scope_for
from taizhang.problems.manifest import linked_projects_blockers, project_blockers
from taizhang.problems.models import ProblemState
from taizhang.problems.selectors import get_problem_for_viewer, problem_counts, problem_list
from taizhang.problems.tests.factories import link_person, make_pending, make_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def problems(tree):
    return {
        "a": make_problem(tree.community_a, title="A的问题"),
        "b": make_problem(tree.community_b, title="B的问题"),
        "d": make_problem(tree.district, title="区级问题"),
    }


def _titles(qs):
    return {p.title for p in qs}


def test_district_sees_every_problem(personas, problems):
    """The district clerk's subtree covers every subdistrict."""
    assert _titles(problem_list(viewer=personas.district)) == {"A的问题", "B的问题", "区级问题"}
    assert problem_counts(viewer=personas.district)["total"] == 3


def test_subdistrict_sees_only_her_subtree(personas, problems):
    """Subdistrict A's clerk sees A's problems only, in lists and in counts."""
    assert _titles(problem_list(viewer=personas.street_a)) == {"A的问题"}
    assert problem_counts(viewer=personas.street_a)["total"] == 1


def test_neighbour_gets_404_on_a_problem_of_a(personas, problems):
    """Out of scope and missing answer the same 404."""
    with pytest.raises(Http404):
        get_problem_for_viewer(personas.street_b, problems["a"].pk)
    with pytest.raises(Http404):
        get_problem_for_viewer(personas.street_b, 999999)
    with pytest.raises(Http404):
        get_problem_for_viewer(personas.street_b, "x")
    assert "A的问题" not in _titles(problem_list(viewer=personas.street_b))
    assert problem_counts(viewer=personas.street_b)["total"] == 1


def test_nobody_sees_nothing(personas, problems):
    """Deny by default: no grant, no rows."""
    assert not problem_list(viewer=personas.nobody).exists()


def test_lead_unit_sees_what_it_must_fix(tree, personas):
    """A problem owned by B but led by A's community is visible to A's clerk."""
    make_problem(tree.community_b, title="跨街道", lead_unit=tree.community_a)
    assert "跨街道" in _titles(problem_list(viewer=personas.street_a))


def test_filters_only_narrow(tree, personas, problems):
    """A filter on B's subtree gives A's clerk nothing, not B's problems."""
    assert not problem_list(viewer=personas.street_a, subtree_of=tree.street_b).exists()
    assert _titles(problem_list(viewer=personas.district, subtree_of=tree.street_b)) == {"B的问题"}


def test_unknown_sort_key_falls_back(personas, problems):
    """Sort keys come from a fixed mapping; anything else is ignored."""
    assert problem_list(viewer=personas.district, sort="title; DROP TABLE").count() == 3


def test_overdue_and_linked_to_viewer(tree, personas):
    """ "我挂钩的问题" are those whose linked leader is the viewer's person; overdue flagged."""
    leader = link_person(personas.district, tree.district, "区领导")
    today = timezone.localdate()
    make_problem(
        tree.community_a,
        title="逾期",
        linked_leader=leader,
        raised_on=today - dt.timedelta(days=90),
        deadline=today - dt.timedelta(days=1),
    )
    make_problem(tree.community_a, title="别人的")
    mine = problem_list(viewer=personas.district, linked_to_viewer=True)
    assert _titles(mine) == {"逾期"}
    assert _titles(problem_list(viewer=personas.district, overdue=True)) == {"逾期"}
    assert not problem_list(viewer=personas.street_a, linked_to_viewer=True).exists()


def test_awaiting_sign_off_in_scope(tree, personas):
    """ "本单位待销号": problems in 待验收 whose lead unit the viewer may sign off."""
    make_pending(tree.community_a, title="待验收A")
    make_pending(tree.community_b, title="待验收B")
    make_problem(tree.community_a, title="未提交")
    assert _titles(problem_list(viewer=personas.street_a, awaiting_my_sign_off=True)) == {"待验收A"}


def test_project_slot_shows_blockers_of_one_record(tree, personas):
    """The project-page panel lists problems raised on that record, scoped to the viewer."""
    stand_in = tree.grid_a  # any model instance plays the project
    make_problem(tree.community_a, title="阻点", origin=stand_in)
    make_problem(tree.community_b, title="B的阻点", origin=stand_in)
    make_problem(tree.community_a, title="无关")
    context = project_blockers(personas.street_a, stand_in)
    assert context is not None
    assert [p.title for p in context["problems"]] == ["阻点"]
    assert context["open_count"] == 1
    assert "origin_type=organizations.organization" in context["create_url"]
    assert project_blockers(personas.nobody, stand_in) is None


def test_linked_projects_slot_groups_open_blockers_in_one_query(tree, personas):
    """Open blockers of all listed records come in one query, grouped by record."""
    first, second, third = tree.community_a, tree.grid_a, tree.street_a
    make_problem(tree.community_a, title="一", origin=first)
    make_problem(tree.community_a, title="二", origin=first)
    make_problem(tree.community_a, title="三", origin=second)
    closed = make_pending(tree.community_a, title="已提交", origin=third)
    closed.state = ProblemState.CLOSED
    closed.save()
    scope_for(personas.district, "problems.view")  # grants are read once per request
    with CaptureQueriesContext(connection) as queries:
        context = linked_projects_blockers(personas.district, [first, second, third])
    assert context is not None
    grouped = {obj.pk: [p.title for p in rows] for obj, rows in context["rows"]}
    assert grouped == {first.pk: ["一", "二"], second.pk: ["三"]}
    assert len(queries) == 1
