"""Reads of evaluations follow the viewer's scope; judges see what they judge."""

from __future__ import annotations

import pytest
from django.http import Http404

from taizhang.core.actors import SYSTEM
from taizhang.evaluations.selectors import (
    award_list,
    award_nominations,
    competition_list,
    get_award_for_viewer,
    get_competition_for_viewer,
    judge_sheet,
)
from taizhang.evaluations.services import (
    award_create,
    award_publish,
    nomination_create,
    nomination_review,
)
from taizhang.evaluations.tests.factories import make_competition, make_judge_user, put_on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def competitions(tree):
    judge = make_judge_user("j1", tree.street_b)
    return {
        "d": make_competition(tree.district, entries=[(tree.street_a, "区级")], judges=[judge]),
        "a": make_competition(
            tree.street_a, entries=[(tree.community_a, "A品牌")], judges=[judge], name="A展演"
        ),
        "b": make_competition(
            tree.street_b, entries=[(tree.community_b, "B品牌")], judges=[judge], name="B展演"
        ),
    }


def _names(qs):
    return sorted(c.name for c in qs)


def test_district_sees_all_competitions(personas, competitions):
    """The district clerk sees every competition."""
    assert _names(competition_list(viewer=personas.district)) == ["A展演", "B展演", "党建品牌展演"]


def test_street_a_sees_her_subdistrict(personas, competitions):
    """A's clerk sees A's competition; the unpublished district one stays hidden."""
    assert _names(competition_list(viewer=personas.street_a)) == ["A展演"]


def test_street_b_gets_404_and_no_counts_from_a(personas, competitions):
    """B's clerk: A's competition is a 404 and absent from the list and its count."""
    with pytest.raises(Http404):
        get_competition_for_viewer(personas.street_b, competitions["a"].pk)
    with pytest.raises(Http404):
        get_competition_for_viewer(personas.street_b, 999_999)
    assert competition_list(viewer=personas.street_b).count() == 1


def test_judge_sees_the_competitions_they_judge(tree, competitions):
    """A judge with an org-only grant in B still sees the competitions they judge."""
    judge = competitions["a"].judges.get().user
    assert _names(competition_list(viewer=judge)) == ["A展演", "B展演", "党建品牌展演"]


def test_judge_sheet_greys_out_conflicts(tree, competitions):
    """The sheet lists every entry, with a reason on the ones from the judge's subtree."""
    judge = competitions["b"].judges.get().user
    rows = judge_sheet(viewer=judge, competition=competitions["b"])
    assert [bool(row.conflict) for row in rows] == [True]
    rows = judge_sheet(viewer=judge, competition=competitions["a"])
    assert [bool(row.conflict) for row in rows] == [False]


def test_sheet_is_none_for_non_judges(personas, competitions):
    """A clerk who is not a judge has no scoring sheet."""
    assert judge_sheet(viewer=personas.district, competition=competitions["d"]) is None


def test_district_award_reaches_down_without_leaking_sideways(tree, personas):
    """Units below see a district award to nominate: each sees its own nominations (and
    counts) only, until the published list shows the honoured to everyone below."""
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=2026,
        quota=3,
        acting_user=SYSTEM,
    )
    kept = nomination_create(award=award, org=tree.community_a, acting_user=personas.street_a)
    dropped = nomination_create(award=award, org=tree.community_b, acting_user=personas.street_b)

    def codes(user):
        seen = get_award_for_viewer(user, award.pk)
        return [n.org.code for n in award_nominations(viewer=user, award=seen)], (
            seen.nominated,
            seen.approved,
        )

    assert codes(personas.street_a) == (["A1"], (1, 0))
    assert codes(personas.street_b) == (["B1"], (1, 0))
    assert codes(personas.district) == (["A1", "B1"], (2, 0))
    nomination_review(nomination=kept, approve=True, acting_user=SYSTEM)
    nomination_review(nomination=dropped, approve=False, note="不符合", acting_user=SYSTEM)
    put_on_notice(award)
    award_publish(award=award, acting_user=SYSTEM)
    assert codes(personas.street_a) == (["A1"], (1, 1))  # B's rejected nomination stays hidden
    assert codes(personas.street_b) == (["A1", "B1"], (2, 1))
    assert not award_list(viewer=personas.nobody).exists()


def test_street_b_cannot_see_a_awards(tree, personas):
    """An award of subdistrict A is a 404 for B's clerk and absent from her list."""
    award = award_create(
        org=tree.street_a,
        kind="top_speaker",
        name="十佳宣讲员",
        year=2026,
        quota=10,
        acting_user=SYSTEM,
    )
    assert [a.pk for a in award_list(viewer=personas.street_a)] == [award.pk]
    assert not award_list(viewer=personas.street_b).exists()
    with pytest.raises(Http404):
        get_award_for_viewer(personas.street_b, award.pk)


def test_metrics_read_the_right_fields(tree, competitions):
    """Each evaluations metric's rows carry its org and date fields."""
    from taizhang.core.registry import METRICS

    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进",
        year=2026,
        quota=3,
        acting_user=SYSTEM,
    )
    nomination = nomination_create(award=award, org=tree.community_a, acting_user=SYSTEM)
    nomination_review(nomination=nomination, approve=True, acting_user=SYSTEM)
    put_on_notice(award)
    award_publish(award=award, acting_user=SYSTEM)
    names = sorted(name for name in METRICS if name.startswith("evaluations."))
    assert names == [
        "evaluations.awards_published",
        "evaluations.competitions",
        "evaluations.winners",
    ]
    for name in names:
        metric = METRICS[name]
        list(metric.queryset().values(f"{metric.org_field}__path", metric.date_field))
    published = METRICS["evaluations.awards_published"].queryset()
    assert list(published.values_list("org__code", flat=True)) == ["A1"]
    assert METRICS["evaluations.competitions"].queryset().count() == 3
