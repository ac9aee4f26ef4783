"""The to-do pairing registers on the workbench (ADR 0048).

``pairing.to_confirm``: village figures recorded and not yet confirmed, on villages where
the viewer holds ``pairing.confirm`` (the helping organization's read of the figures
gives no confirmation), never the drafts the viewer recorded herself (another person
confirms them), each linking to the pair page that shows it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import TODOS
from taizhang.pairing.models import Indicator
from taizhang.pairing.selectors import todo_to_confirm
from taizhang.pairing.services import indicator_confirm, indicator_record
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from taizhang.workbench.selectors import todo_groups
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db

KIND = "pairing.to_confirm"


def _groups(viewer):
    return {g.kind.name: g for g in todo_groups(viewer=viewer)}


def _record(village, user, *, indicator=Indicator.COLLECTIVE_INCOME, year=THIS_YEAR, value=300_000):
    return indicator_record(
        village=village, indicator=indicator, year=year, value=value, acting_user=user
    )


@pytest.fixture
def figures(tree, personas):
    """An organ helps A1 and B1. Drafts: A1's income of the first year (system), A1's
    projects this year (recorded by street A's clerk), B1's income this year (system);
    A1's income of the middle year is confirmed."""
    organ = make_organ(tree)
    pair_a = make_pair(organ, tree.community_a)
    pair_b = make_pair(organ, tree.community_b)
    rows = {
        "a_income": _record(tree.community_a, SYSTEM, year=FIRST_YEAR, value=420_000),
        "a_projects": _record(
            tree.community_a, personas.street_a, indicator=Indicator.PROJECTS, value=3
        ),
        "b_income": _record(tree.community_b, SYSTEM),
        "a_confirmed": make_income(tree.community_a, FIRST_YEAR + 1, 510_000),
    }
    return organ, pair_a, pair_b, rows


def test_the_village_clerk_sees_the_drafts_others_recorded(tree, personas, figures):
    """Street A's clerk confirms A1's figures: the first year's income is listed (with
    its value and a link to the pair page at the figure); the projects he recorded
    himself are not, nor the confirmed figure, nor B1's."""
    _, pair_a, _, rows = figures
    group = _groups(personas.street_a)[KIND]
    assert group.count == 1
    assert [i.title for i in group.items] == [f"A1 {FIRST_YEAR}年村集体经济收入：42万元"]
    assert group.items[0].url == (
        reverse("pairing:pair_detail", args=[pair_a.pk]) + f"#value-{rows['a_income'].pk}"
    )
    assert group.items[0].due is None


def test_the_district_clerk_sees_every_draft_below_her_earliest_year_first(personas, figures):
    """The district clerk recorded none of them: all three drafts, the oldest year first."""
    _, _, _, rows = figures
    group = _groups(personas.district)[KIND]
    assert group.count == 3
    assert [v.pk for v in todo_to_confirm(viewer=personas.district)] == [
        rows["a_income"].pk,
        rows["a_projects"].pk,
        rows["b_income"].pk,
    ]
    assert f"A1 {THIS_YEAR}年完成帮扶项目数：3" in {i.title for i in group.items}


def test_the_neighbouring_street_and_the_helper_see_none_of_them(tree, personas, figures):
    """Street B's clerk sees B1's draft only; the organ's clerk reads the villages'
    figures through the pair but confirms nothing there; a grid worker has no
    confirmation function at all."""
    organ, _, _, rows = figures
    assert [v.pk for v in todo_to_confirm(viewer=personas.street_b)] == [rows["b_income"].pk]
    helper = make_user("organ_clerk", ("clerk", "subtree", organ))
    assert KIND not in _groups(helper)
    assert not todo_to_confirm(viewer=helper).exists()
    worker = make_user("grid1", ("grid_worker", "subtree", tree.community_a))
    assert KIND not in _groups(worker)
    assert KIND not in _groups(personas.nobody)


def test_a_confirmed_figure_leaves_the_list(personas, figures):
    """Once street A's clerk confirms A1's income, it is gone from his and the
    district's lists."""
    _, _, _, rows = figures
    indicator_confirm(value=rows["a_income"], acting_user=personas.street_a)
    assert KIND not in _groups(personas.street_a)
    assert [v.pk for v in todo_to_confirm(viewer=personas.district)] == [
        rows["a_projects"].pk,
        rows["b_income"].pk,
    ]


def test_a_revision_by_another_hands_the_confirmation_over(tree, personas, figures):
    """When the district clerk revises the projects street A's clerk recorded, the
    figure moves from her list to his."""
    _, _, _, rows = figures
    _record(tree.community_a, personas.district, indicator=Indicator.PROJECTS, value=4)
    assert rows["a_projects"].pk in {v.pk for v in todo_to_confirm(viewer=personas.street_a)}
    assert rows["a_projects"].pk not in {v.pk for v in todo_to_confirm(viewer=personas.district)}


def test_a_figure_no_pair_shows_is_left_out(tree, personas, figures):
    """A draft of a village without a pair for that year has no page to confirm it on."""
    lone = make_org(tree.street_a, "A2")
    _record(lone, SYSTEM)
    assert todo_to_confirm(viewer=personas.street_a).count() == 1


def test_two_queries_for_the_kind(personas, figures, monkeypatch, django_assert_max_num_queries):
    """Counting and listing the pairing kind costs two queries, plus the viewer's grants
    loaded once (a fresh user object, as on each request)."""
    monkeypatch.setattr("taizhang.workbench.selectors.TODOS", {KIND: TODOS[KIND]})
    clerk = type(personas.district).objects.get(pk=personas.district.pk)
    with django_assert_max_num_queries(2 + 1):
        groups = todo_groups(viewer=clerk)
    assert [g.count for g in groups] == [3]
