"""The monthly figures of evaluations stay equal to the records after every service
(ADR 0044): declaring winners (``bulk_update``), publishing results, and publishing an
award's list (``QuerySet.update``) report the rows they wrote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from taizhang.evaluations import services
from taizhang.evaluations.tests.factories import (
    make_competition,
    make_judge_user,
    put_on_notice,
    scores_for,
)
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 20)


def _total(metric: str, org) -> Decimal:
    rows = MonthlyFigure.objects.filter(metric=metric, org=org)
    return rows.aggregate(v=Sum("value"))["v"] or Decimal(0)


def test_figures_follow_every_service(tree, personas):
    district = personas.district
    make_competition(tree.street_a, name="刷新前已有", open_scoring=False)
    rollups.refresh_all()
    assert rollups.check() == []
    held = _total("evaluations.competitions", tree.district)

    # A competition run from set-up to published results, through the services.
    judge = make_judge_user("j1", tree.street_b)
    competition = services.competition_create(
        org=tree.district, name="品牌展演", held_on=DAY, winners_count=1, acting_user=district
    )
    assert _total("evaluations.competitions", tree.district) == held + 1
    services.criterion_add(
        competition=competition,
        name="成效",
        weight=Decimal(100),
        max_score=Decimal(10),
        acting_user=district,
    )
    entries = [
        services.entry_add(
            competition=competition, kind="organization", org=org, acting_user=district
        )
        for org in (tree.community_a, tree.community_b)
    ]
    services.judge_add(competition=competition, user=judge, acting_user=district)
    services.competition_open_scoring(competition=competition, on=DAY, acting_user=district)
    services.score_record(
        entry=entries[0],
        judge_user=judge,
        values=scores_for(competition, "9"),
        acting_user=judge,
    )
    services.competition_declare_winners(competition=competition, on=DAY, acting_user=district)
    assert _total("evaluations.winners", tree.district) == 0  # not published yet
    services.competition_publish(competition=competition, on=DAY, acting_user=district)
    assert _total("evaluations.winners", tree.district) == 1
    assert _total("evaluations.winners", tree.community_a) == 1

    # An award from nomination to the published list (one bulk update).
    award = services.award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=2026,
        quota=2,
        acting_user=district,
    )
    nominations = [
        services.nomination_create(award=award, org=org, on=DAY, acting_user=district)
        for org in (tree.community_a, tree.community_b)
    ]
    services.nomination_review(
        nomination=nominations[0], approve=True, on=DAY, acting_user=district
    )
    services.nomination_review(
        nomination=nominations[1], approve=False, note="材料不全", on=DAY, acting_user=district
    )
    put_on_notice(award, before=DAY)
    services.award_publish(award=award, on=DAY, acting_user=district)
    assert _total("evaluations.awards_published", tree.district) == 1
    assert _total("evaluations.awards_published", tree.street_b) == 0

    assert rollups.check() == []


def test_a_missing_report_would_be_caught(tree):
    """The check is not vacuous: a winner written behind the services' back shows."""
    competition = make_competition(
        tree.street_a, entries=[(tree.community_a, "甲")], open_scoring=False
    )
    rollups.refresh_all()
    entry = competition.entries.get()
    type(entry).objects.filter(pk=entry.pk).update(is_winner=True)
    type(competition).objects.filter(pk=competition.pk).update(status="published", published_on=DAY)
    assert rollups.check() != []


def test_every_service_records_its_audit_action(tree, personas):
    """Each service of the module leaves one audit event named after it."""
    from taizhang.core.models import AuditEvent

    district = personas.district
    judge = make_judge_user("ja", tree.street_b)

    def last(action: str) -> None:
        assert AuditEvent.objects.order_by("-pk").first().action == action

    competition = services.competition_create(
        org=tree.district, name="评选", held_on=DAY, winners_count=1, acting_user=district
    )
    last("competition.create")
    services.criterion_add(
        competition=competition,
        name="成效",
        weight=Decimal(100),
        max_score=Decimal(10),
        acting_user=district,
    )
    last("criterion.add")
    entry = services.entry_add(
        competition=competition, kind="organization", org=tree.community_a, acting_user=district
    )
    last("entry.add")
    services.judge_add(competition=competition, user=judge, acting_user=district)
    last("judge.add")
    services.competition_open_scoring(competition=competition, acting_user=district)
    last("competition.open_scoring")
    services.score_record(
        entry=entry, judge_user=judge, values=scores_for(competition, "7"), acting_user=judge
    )
    last("score.record")
    services.competition_declare_winners(competition=competition, acting_user=district)
    last("competition.declare_winners")
    services.competition_publish(competition=competition, acting_user=district)
    last("competition.publish")
    award = services.award_create(
        org=tree.district,
        kind="advanced_branch",
        name="表彰",
        year=2026,
        quota=1,
        acting_user=district,
    )
    last("award.create")
    nomination = services.nomination_create(award=award, org=tree.community_a, acting_user=district)
    last("nomination.create")
    services.nomination_review(nomination=nomination, approve=True, acting_user=district)
    last("nomination.review")
    put_on_notice(award)
    services.award_publish(award=award, acting_user=district)
    last("award.publish")
