"""Services of evaluations: rubric validation, conflicts, exact ranking, award flow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.evaluations.models import CompetitionStatus, Entry, NominationStatus
from taizhang.evaluations.scoring import normalize, rank, weighted_total, weights_valid
from taizhang.evaluations.services import (
    ConflictOfInterest,
    award_create,
    award_publish,
    competition_declare_winners,
    competition_open_scoring,
    competition_publish,
    criterion_add,
    nomination_create,
    nomination_review,
    score_record,
)
from taizhang.evaluations.tests.factories import (
    make_competition,
    make_judge_user,
    put_on_notice,
    scores_for,
)
from taizhang.people.services import person_create, position_assign

pytestmark = pytest.mark.django_db


def test_weights_must_sum_to_100_or_1(tree):
    """Opening scoring with weights summing to 90 is refused; 100 and 1 are accepted."""
    judge = make_judge_user("j1", tree.street_b)
    bad = make_competition(
        tree.district,
        entries=[(tree.community_a, "红色驿站")],
        judges=[judge],
        rubric=[("亮点", "40", "40"), ("成效", "50", "50")],
        open_scoring=False,
    )
    with pytest.raises(ValidationError, match="100"):
        competition_open_scoring(competition=bad, acting_user=SYSTEM)
    bad.refresh_from_db()
    assert bad.status == CompetitionStatus.DRAFT
    criterion_add(
        competition=bad, name="展示", weight=Decimal(10), max_score=Decimal(10), acting_user=SYSTEM
    )
    assert competition_open_scoring(competition=bad, acting_user=SYSTEM).status == "scoring"
    fractions = make_competition(
        tree.district,
        entries=[(tree.community_a, "红色驿站")],
        judges=[judge],
        rubric=[("亮点", "0.25", "10"), ("成效", "0.75", "10")],
        name="小数权重",
    )
    assert fractions.status == CompetitionStatus.SCORING
    assert weights_valid([Decimal("0.3"), Decimal("0.7")])
    assert not weights_valid([Decimal("0.3"), Decimal("0.6")])


def test_rubric_is_frozen_once_scoring_opens(tree):
    """A criterion cannot be added after scoring opened."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "红色驿站")], judges=[judge]
    )
    with pytest.raises(ValidationError):
        criterion_add(
            competition=competition,
            name="迟到的指标",
            weight=Decimal(1),
            max_score=Decimal(1),
            acting_user=SYSTEM,
        )


def test_judge_cannot_score_own_subtree(tree):
    """A judge of subdistrict A is refused on an A1 entry, and may score a B1 entry."""
    judge = make_judge_user("j1", tree.street_a)
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "A1品牌"), (tree.community_b, "B1品牌")],
        judges=[judge],
    )
    own, other = competition.entries.order_by("number")
    with pytest.raises(ConflictOfInterest, match="A1"):
        score_record(
            entry=own,
            judge_user=judge,
            values=scores_for(competition, "30", "40", "30"),
            acting_user=judge,
        )
    assert not own.scores.exists()
    score_record(
        entry=other,
        judge_user=judge,
        values=scores_for(competition, "20", "30", "25"),
        acting_user=judge,
    )
    assert other.scores.count() == 3


def test_conflict_counts_current_positions(tree):
    """A judge whose person lives in B but holds a position in A1 abstains from A1G entries."""
    judge = make_judge_user("j1", tree.street_b)
    position_assign(
        person=judge.person,
        organization=tree.community_a,
        title="committee_member",
        start_date=tree.community_a.versions.first().valid_from,
        acting_user=SYSTEM,
    )
    competition = make_competition(
        tree.district, entries=[(tree.grid_a, "网格品牌")], judges=[judge]
    )
    with pytest.raises(ConflictOfInterest):
        score_record(
            entry=competition.entries.get(),
            judge_user=judge,
            values=scores_for(competition, "1", "1", "1"),
            acting_user=judge,
        )


def test_scores_stay_within_the_maximum_and_need_every_criterion(tree):
    """A score over the criterion's max, a negative one or a missing one is refused."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "红色驿站")], judges=[judge]
    )
    entry = competition.entries.get()
    for values in (("31", "40", "30"), ("-1", "40", "30"), ("30.123", "40", "30")):
        with pytest.raises(ValidationError):
            score_record(
                entry=entry,
                judge_user=judge,
                values=scores_for(competition, *values),
                acting_user=judge,
            )
    partial = dict(list(scores_for(competition, "1", "2", "3").items())[:2])
    with pytest.raises(ValidationError):
        score_record(entry=entry, judge_user=judge, values=partial, acting_user=judge)
    assert not entry.scores.exists()


def test_only_the_judge_enters_their_scores(tree, personas):
    """Someone else, even a district clerk, cannot enter a judge's scores."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "红色驿站")], judges=[judge]
    )
    with pytest.raises(PermissionDenied):
        score_record(
            entry=competition.entries.get(),
            judge_user=judge,
            values=scores_for(competition, "1", "1", "1"),
            acting_user=personas.district,
        )


def test_rescoring_is_audited_with_the_old_value(tree):
    """Revising a score records the old and new value in the audit event."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "红色驿站")], judges=[judge]
    )
    entry = competition.entries.get()
    score_record(
        entry=entry,
        judge_user=judge,
        values=scores_for(competition, "20", "30", "25"),
        acting_user=judge,
    )
    score_record(
        entry=entry,
        judge_user=judge,
        values=scores_for(competition, "22", "30", "25"),
        acting_user=judge,
    )
    event = AuditEvent.objects.filter(action="score.record").order_by("-pk").first()
    assert event.changes == {"judge": judge.pk, "特色亮点": ["20.00", "22"]}


def test_weighted_total_is_exact():
    """Weights 0.2/0.8 with max 10 and 50: 5/10×0.2 + 40/50×0.8 → 74 on the 0–100 scale."""
    criteria = {1: (Decimal("0.2"), Decimal(10)), 2: (Decimal("0.8"), Decimal(50))}
    assert weighted_total({1: Decimal(5), 2: Decimal(40)}, criteria) == Decimal(74)


def test_minmax_and_zscore_normalization_are_exact():
    """Min-max maps 60/80/100 to 0/50/100; z-score maps 70/80/90 to ∓√1.5 (population σ)."""
    assert normalize({1: Decimal(60), 2: Decimal(80), 3: Decimal(100)}, "minmax") == {
        1: Decimal(0),
        2: Decimal(50),
        3: Decimal(100),
    }
    z = normalize({1: Decimal(70), 2: Decimal(80), 3: Decimal(90)}, "zscore")
    assert z[2] == 0
    assert z[3] + z[1] == 0
    assert z[3].quantize(Decimal("0.0001")) == Decimal("1.2247")
    assert normalize({1: Decimal(70), 2: Decimal(70)}, "minmax") == {1: 50, 2: 50}


def test_ranking_shares_ranks_on_ties_and_admits_ties_on_the_last_place():
    """Scores 90, 85, 85, 70 rank 1, 2, 2, 4; with two winners both tied entries win."""
    criteria = {1: (Decimal(100), Decimal(100))}
    scores = [(1, 10, 1, Decimal(90)), (1, 11, 1, Decimal(85)), (1, 12, 1, Decimal(85))]
    scores += [(1, 13, 1, Decimal(70))]
    results = rank(
        entries=[(10, 1), (11, 2), (12, 3), (13, 4), (14, 5)],
        criteria=criteria,
        scores=scores,
        method="none",
        winners=2,
    )
    assert [(r.entry_id, r.rank, r.is_winner) for r in results] == [
        (10, 1, True),
        (11, 2, True),
        (12, 2, True),
        (13, 4, False),
        (14, None, False),
    ]


def test_normalization_changes_the_order_per_judge():
    """A harsh judge's scores count as much as a lenient one's once normalized (min-max).

    Judge 1 gives A 100, B 90, C 80; judge 2 (harsh) gives A 40, B 60, C 50.
    Raw means: A 70, B 75, C 65. Min-max: A (100+0)/2=50, B (50+100)/2=75, C (0+50)/2=25.
    """
    criteria = {1: (Decimal(100), Decimal(100))}
    scores = [
        (1, 1, 1, Decimal(100)),
        (1, 2, 1, Decimal(90)),
        (1, 3, 1, Decimal(80)),
        (2, 1, 1, Decimal(40)),
        (2, 2, 1, Decimal(60)),
        (2, 3, 1, Decimal(50)),
    ]
    entries = [(1, 1), (2, 2), (3, 3)]
    raw = rank(entries=entries, criteria=criteria, scores=scores, method="none", winners=1)
    assert [(r.entry_id, r.final) for r in raw] == [
        (2, Decimal("75.0000")),
        (1, Decimal("70.0000")),
        (3, Decimal("65.0000")),
    ]
    mm = rank(entries=entries, criteria=criteria, scores=scores, method="minmax", winners=1)
    assert [(r.entry_id, r.final) for r in mm] == [
        (2, Decimal("75.0000")),
        (1, Decimal("50.0000")),
        (3, Decimal("25.0000")),
    ]


def test_declare_and_publish_winners(tree):
    """Declaring stores scores, ranks and the top N (audited); publishing dates the results."""
    judges = [make_judge_user("j1", tree.street_b), make_judge_user("j2", tree.district)]
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "甲"), (tree.community_a, "乙"), (tree.grid_a, "丙")],
        judges=judges[:1],
        winners=2,
    )
    entries = list(competition.entries.order_by("number"))
    for entry, values in zip(
        entries, [("30", "40", "30"), ("20", "20", "20"), ("25", "35", "25")], strict=True
    ):
        score_record(
            entry=entry,
            judge_user=judges[0],
            values=scores_for(competition, *values),
            acting_user=judges[0],
        )
    winners = competition_declare_winners(competition=competition, acting_user=SYSTEM)
    assert [w.title for w in winners] == ["甲", "丙"]
    stored = {e.title: (e.rank, e.final_score, e.is_winner) for e in Entry.objects.all()}
    assert stored == {
        "甲": (1, Decimal("100.0000"), True),
        "丙": (2, Decimal("85.0000"), True),
        "乙": (3, Decimal("60.0000"), False),
    }
    event = AuditEvent.objects.get(action="competition.declare_winners")
    assert event.changes["winners"][0] == [1, "甲", "100.0000"]
    with pytest.raises(ValidationError):
        score_record(
            entry=entries[1],
            judge_user=judges[0],
            values=scores_for(competition, "30", "40", "30"),
            acting_user=judges[0],
        )
    published = competition_publish(competition=competition, acting_user=SYSTEM)
    assert published.status == "published" and published.published_on is not None


def test_street_clerk_cannot_run_the_district_competition(tree, personas):
    """Managing needs evaluations.manage on the competition's organization."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "甲")], judges=[judge]
    )
    with pytest.raises(PermissionDenied):
        competition_declare_winners(competition=competition, acting_user=personas.street_a)


def test_award_flow_is_dated_and_audited(tree, personas):
    """Nominate → review (quota enforced, rejection needs a note) → publish the list."""
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="2026年度先进党支部",
        year=2026,
        quota=1,
        acting_user=personas.district,
    )
    first = nomination_create(
        award=award, org=tree.community_a, deeds="红色物业", acting_user=personas.street_a
    )
    second = nomination_create(award=award, org=tree.grid_a, acting_user=personas.district)
    with pytest.raises(PermissionDenied):
        nomination_create(award=award, org=tree.community_b, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        award_publish(award=award, acting_user=personas.district)  # nothing approved yet
    nomination_review(nomination=first, approve=True, acting_user=personas.district)
    with pytest.raises(ValidationError, match="名额|quota"):
        nomination_review(nomination=second, approve=True, acting_user=personas.district)
    with pytest.raises(ValidationError):
        nomination_review(nomination=second, approve=False, acting_user=personas.district)
    nomination_review(
        nomination=second, approve=False, note="名额已满", acting_user=personas.district
    )
    with pytest.raises(ValidationError):
        nomination_review(nomination=first, approve=False, note="x", acting_user=personas.district)
    put_on_notice(award)
    award_publish(award=award, acting_user=personas.district)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == NominationStatus.PUBLISHED and first.published_on is not None
    assert second.status == NominationStatus.REJECTED
    actions = list(
        AuditEvent.objects.filter(action__startswith="nomination").values_list("action", flat=True)
    )
    assert actions.count("nomination.review") == 2
    assert AuditEvent.objects.filter(action="award.publish").count() == 1
    with pytest.raises(ValidationError):
        nomination_create(award=award, org=tree.street_a, acting_user=personas.district)


def test_person_award_takes_persons(tree, personas):
    """优秀党员 takes a person; the nomination belongs to the person's organization."""
    award = award_create(
        org=tree.district,
        kind="excellent_member",
        name="优秀党员",
        year=2026,
        quota=5,
        acting_user=SYSTEM,
    )
    with pytest.raises(ValidationError):
        nomination_create(award=award, org=tree.community_a, acting_user=SYSTEM)
    person = person_create(organization=tree.grid_a, name="林晓", gender="F", acting_user=SYSTEM)
    nomination = nomination_create(award=award, person=person, acting_user=personas.street_a)
    assert nomination.org == tree.grid_a
    with pytest.raises(ValidationError):
        nomination_create(award=award, person=person, acting_user=SYSTEM)


def test_judge_needs_a_person_and_can_reflects_the_conflict(tree, personas):
    """A user without a person cannot be a judge; can(…, "score", …) is False on conflicts."""
    from taizhang.evaluations.permissions import can
    from taizhang.evaluations.services import judge_add

    judge = make_judge_user("j1", tree.street_a)
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "自家"), (tree.community_b, "邻家")],
        judges=[judge],
        open_scoring=False,
    )
    with pytest.raises(ValidationError):
        judge_add(competition=competition, user=personas.street_b, acting_user=SYSTEM)
    competition = competition_open_scoring(competition=competition, acting_user=SYSTEM)
    own, other = competition.entries.order_by("number")
    assert not can(judge, "score", own)
    assert can(judge, "score", other)
    assert not can(personas.district, "score", other)  # not a judge here
    assert can(personas.district, "manage", competition)
    assert not can(personas.street_a, "manage", competition)


def test_the_score_form_takes_two_decimals_as_the_rule_allows(tree):
    """Scores carry two decimals (8.75), and the input lets the browser send them
    (issue 18: a step of 0.5 made the browser refuse 8.75); a third decimal is refused
    on the server with a message."""
    from taizhang.evaluations.forms import ScoreForm
    from taizhang.evaluations.tests.factories import make_competition

    competition = make_competition(tree.street_a, open_scoring=False)
    criteria = list(competition.criteria.all())
    name = f"c{criteria[0].pk}"
    data = {f"c{c.pk}": "1" for c in criteria}
    form = ScoreForm({**data, name: "8.75"}, criteria=criteria, initial_scores={})
    assert 'step="0.01"' in str(form[name])
    assert form.is_valid(), form.errors
    assert str(form.cleaned_data[name]) == "8.75"
    refused = ScoreForm({**data, name: "8.755"}, criteria=criteria, initial_scores={})
    assert not refused.is_valid() and refused.errors[name]
