"""The to-dos evaluations registers on the workbench (ADR 0048).

``evaluations.to_score``: the entries of competitions open for scoring that the viewer
is named to judge and has not scored yet, without those they abstain from (the
conflict-of-interest rule: the entry's owner is, or lies below, the judge's home unit or
a unit of a current position). ``evaluations.nominations_to_review``: nominations waiting
for review on awards whose awarding body the viewer runs (``evaluations.manage`` there);
the units below, which nominate, never review.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import TODOS
from taizhang.evaluations.models import Entry
from taizhang.evaluations.permissions import can
from taizhang.evaluations.selectors import todo_nominations_to_review, todo_to_score
from taizhang.evaluations.services import (
    award_create,
    competition_declare_winners,
    nomination_create,
    nomination_review,
    score_record,
)
from taizhang.evaluations.tests.factories import make_competition, make_judge_user, scores_for
from taizhang.people.services import position_assign
from taizhang.workbench.selectors import todo_groups

pytestmark = pytest.mark.django_db

KINDS = ("evaluations.to_score", "evaluations.nominations_to_review")


def _groups(viewer):
    return {g.kind.name: g for g in todo_groups(viewer=viewer)}


@pytest.fixture
def judging(tree):
    """The district's contest with entries of A1, B1 and the district itself, judged by
    a person of street A (abstains from A1) and a person of street B (abstains from B1)."""
    judge_a = make_judge_user("judge_a", tree.street_a)
    judge_b = make_judge_user("judge_b", tree.street_b)
    competition = make_competition(
        tree.district,
        entries=[
            (tree.community_a, "甲品牌"),
            (tree.community_b, "乙品牌"),
            (tree.district, "丙品牌"),
        ],
        judges=[judge_a, judge_b],
        rubric=[("成效", "100", "10")],
    )
    entries = {e.title: e for e in competition.entries.select_related("org")}
    return judge_a, judge_b, competition, entries


def test_a_judge_sees_the_entries_he_has_to_score_without_his_conflicts(judging):
    """Judge A sees B1's and the district's entries (not A1's, his own street's), in
    entry order, each linking to its score form; judge B sees A1's and the district's."""
    judge_a, judge_b, competition, entries = judging
    group = _groups(judge_a)["evaluations.to_score"]
    assert group.count == 2
    assert [i.title for i in group.items] == [
        f"{competition.name}：2号 乙品牌",
        f"{competition.name}：3号 丙品牌",
    ]
    assert group.items[0].url == reverse(
        "evaluations:score", args=[competition.pk, entries["乙品牌"].pk]
    )
    assert group.items[0].due is None
    assert {e.title for e in todo_to_score(viewer=judge_b)} == {"甲品牌", "丙品牌"}


def test_the_list_follows_the_conflict_rule_of_the_score_form(tree, judging):
    """A current position counts like the home unit: once judge B also serves in A1, he
    abstains from A1's entry too. Exactly the entries ``can(.., "score", ..)`` allows."""
    _, judge_b, competition, _ = judging
    position_assign(
        person=judge_b.person,
        organization=tree.community_a,
        title="committee_member",
        start_date=tree.community_a.versions.first().valid_from,
        acting_user=SYSTEM,
    )
    listed = {e.pk for e in todo_to_score(viewer=judge_b)}
    allowed = {
        e.pk for e in Entry.objects.filter(competition=competition) if can(judge_b, "score", e)
    }
    assert listed == allowed
    assert {e.title for e in todo_to_score(viewer=judge_b)} == {"丙品牌"}


def test_a_scored_entry_leaves_the_list(judging):
    """After judge A scores B1's entry, only the district's remains."""
    judge_a, _, competition, entries = judging
    score_record(
        entry=entries["乙品牌"],
        judge_user=judge_a,
        values=scores_for(competition, "8"),
        acting_user=judge_a,
    )
    group = _groups(judge_a)["evaluations.to_score"]
    assert group.count == 1
    assert [i.title for i in group.items] == [f"{competition.name}：3号 丙品牌"]


def test_nobody_but_the_judges_and_only_while_scoring_is_open(tree, personas, judging):
    """The organizer's clerks and the neighbouring street's clerk are not judges: nothing
    to score. A competition still being set up, or decided, lists nothing."""
    judge_a, judge_b, competition, entries = judging
    for clerk in (personas.district, personas.street_a, personas.street_b):
        assert "evaluations.to_score" not in _groups(clerk)
        assert not todo_to_score(viewer=clerk).exists()
    make_competition(
        tree.district,
        entries=[(tree.community_b, "筹备中")],
        judges=[judge_a],
        open_scoring=False,
        name="未开评",
    )
    assert todo_to_score(viewer=judge_a).count() == 2
    score_record(
        entry=entries["甲品牌"],
        judge_user=judge_b,
        values=scores_for(competition, "9"),
        acting_user=judge_b,
    )
    competition_declare_winners(competition=competition, acting_user=SYSTEM)
    assert not todo_to_score(viewer=judge_a).exists()
    assert "evaluations.to_score" not in _groups(judge_a)


@pytest.fixture
def nominations(tree):
    """The district's 先进党支部 with nominees A1 and B1, street A's with nominee A1G."""
    district = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="区先进党支部",
        year=2026,
        quota=5,
        acting_user=SYSTEM,
    )
    street = award_create(
        org=tree.street_a,
        kind="advanced_branch",
        name="街道先进党支部",
        year=2026,
        quota=5,
        acting_user=SYSTEM,
    )
    rows = {
        "A1": nomination_create(award=district, org=tree.community_a, acting_user=SYSTEM),
        "B1": nomination_create(award=district, org=tree.community_b, acting_user=SYSTEM),
        "A1G": nomination_create(award=street, org=tree.grid_a, acting_user=SYSTEM),
    }
    return district, street, rows


def test_the_awarding_body_reviews_its_nominations(personas, nominations):
    """The district clerk runs both awards (street A is below her): three nominations,
    each linking to its award's nominations. Street A's clerk reviews only his street's
    award, not the district's (he nominates to it); street B's clerk reviews none."""
    district, street, _ = nominations
    group = _groups(personas.district)["evaluations.nominations_to_review"]
    assert group.count == 3
    assert {i.title for i in group.items} == {
        "区先进党支部：A1 组织",
        "区先进党支部：B1 组织",
        "街道先进党支部：A1G 组织",
    }
    assert reverse("evaluations:award_detail", args=[district.pk]) + "#nominations" in {
        i.url for i in group.items
    }
    street_a = _groups(personas.street_a)["evaluations.nominations_to_review"]
    assert (street_a.count, [i.title for i in street_a.items]) == (1, ["街道先进党支部：A1G 组织"])
    assert "evaluations.nominations_to_review" not in _groups(personas.street_b)
    assert not todo_nominations_to_review(viewer=personas.street_b).exists()


def test_a_reviewed_nomination_leaves_the_list(personas, nominations):
    """Approved or rejected, a nomination is no longer waiting."""
    _, _, rows = nominations
    nomination_review(nomination=rows["A1"], approve=True, acting_user=personas.district)
    nomination_review(
        nomination=rows["A1G"], approve=False, note="材料不全", acting_user=personas.street_a
    )
    assert [n.org.code for n in todo_nominations_to_review(viewer=personas.district)] == ["B1"]
    assert "evaluations.nominations_to_review" not in _groups(personas.street_a)


def test_a_viewer_without_functions_has_no_evaluations_todos(personas, judging, nominations):
    assert not set(KINDS) & set(_groups(personas.nobody))


def test_two_queries_a_kind(
    tree, personas, judging, nominations, monkeypatch, django_assert_max_num_queries
):
    """Counting and listing the evaluations kinds costs two queries each (the count, and
    the first items only when there are some), plus the viewer's grants and the paths
    above them, loaded once (a fresh user object, as on each request)."""
    monkeypatch.setattr("taizhang.workbench.selectors.TODOS", {name: TODOS[name] for name in KINDS})
    judge_a = type(judging[0]).objects.get(pk=judging[0].pk)
    with django_assert_max_num_queries(2 * 1 + 2):
        groups = todo_groups(viewer=judge_a)
    assert [g.count for g in groups] == [2]
    clerk = type(personas.district).objects.get(pk=personas.district.pk)
    with django_assert_max_num_queries(2 * 2 + 2):
        groups = todo_groups(viewer=clerk)
    assert [g.kind.name for g in groups] == ["evaluations.nominations_to_review"]
