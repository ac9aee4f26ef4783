"""Duties kept apart in evaluations: scoring follows the appointment, never a role; a
judge scores only entries without a conflict of interest and never runs or publishes the
competition; an organizer is offered scoring only once another person names her a judge.
Each allowed and each refused case."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import ROLES
from taizhang.evaluations import services
from taizhang.evaluations.permissions import can, runs
from taizhang.evaluations.selectors import judge_user_choices, judging_for, results_visible
from taizhang.evaluations.tests.factories import make_competition, make_judge_user, scores_for
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _clerk_of_a(tree, username="clerk_a"):
    """A clerk running street A's competitions, whose person sits in street B (so she has
    no conflict with A's entries once named a judge)."""
    user = make_judge_user(username, tree.street_b)
    grant_create(
        user=user,
        role="clerk",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.street_a,
        acting_user=SYSTEM,
    )
    return user


def _competition(tree, judges=()):
    return make_competition(
        tree.street_a,
        entries=[(tree.community_a, "甲"), (tree.street_a, "乙")],
        judges=list(judges),
        rubric=[("成效", "100", "10")],
    )


def test_no_role_carries_scoring_and_the_grid_worker_has_no_part():
    """Scoring is not a role's function; only the clerk runs competitions."""
    for role in ROLES.values():
        assert "evaluations.judge" not in role.permissions, role.code
        assert ("evaluations.manage" in role.permissions) is (role.code == "clerk"), role.code
    assert not {p for p in ROLES["grid_worker"].permissions if p.startswith("evaluations.")}


def test_an_organizer_not_named_is_not_offered_scoring(client, tree):
    clerk = _clerk_of_a(tree)
    competition = _competition(tree, judges=[make_judge_user("j1", tree.street_b)])
    entry = competition.entries.first()
    assert runs(clerk, competition) and can(clerk, "manage", competition)
    assert not can(clerk, "score", entry)
    assert list(judging_for(viewer=clerk)) == []
    with pytest.raises(PermissionDenied):
        services.score_record(
            entry=entry, judge_user=clerk, values=scores_for(competition, "5"), acting_user=clerk
        )
    login(client, clerk)
    page = client.get(reverse("evaluations:competition_detail", args=[competition.pk]))
    body = page.content.decode()
    assert reverse("evaluations:judge_sheet", args=[competition.pk]) not in body
    assert reverse("evaluations:competition_step", args=[competition.pk, "decide"]) in body
    assert client.get(reverse("evaluations:judge_sheet", args=[competition.pk])).status_code == 403


def test_an_organizer_named_by_another_scores_and_stops_running_it(client, tree, personas):
    clerk = _clerk_of_a(tree)
    competition = make_competition(
        tree.street_a,
        entries=[(tree.community_a, "甲")],
        rubric=[("成效", "100", "10")],
        open_scoring=False,
    )
    # The district clerk (who may see her person) names her.
    services.judge_add(competition=competition, user=clerk, acting_user=personas.district)
    services.judge_add(
        competition=competition, user=make_judge_user("j1", tree.street_b), acting_user=SYSTEM
    )
    # Named a judge: she no longer sets up, opens, decides or publishes.
    assert not runs(clerk, competition)
    assert not can(clerk, "manage", competition) and not can(clerk, "publish", competition)
    with pytest.raises(PermissionDenied):
        services.competition_open_scoring(competition=competition, acting_user=clerk)
    competition = services.competition_open_scoring(
        competition=competition, acting_user=personas.street_a
    )
    entry = competition.entries.get()
    assert can(clerk, "score", entry)
    services.score_record(
        entry=entry, judge_user=clerk, values=scores_for(competition, "8"), acting_user=clerk
    )
    for step in (services.competition_declare_winners, services.competition_publish):
        with pytest.raises(PermissionDenied):
            step(competition=competition, acting_user=clerk)
    with pytest.raises(PermissionDenied):
        services.criterion_add(
            competition=competition,
            name="新",
            weight=Decimal(1),
            max_score=Decimal(1),
            acting_user=clerk,
        )
    # A judge does not watch the live standings, even with view on the organizer.
    assert not results_visible(clerk, competition)
    assert results_visible(personas.street_a, competition)
    login(client, clerk)
    body = client.get(reverse("evaluations:competition_detail", args=[competition.pk]))
    html = body.content.decode()
    assert reverse("evaluations:judge_sheet", args=[competition.pk]) in html
    assert reverse("evaluations:competition_step", args=[competition.pk, "decide"]) not in html
    step = reverse("evaluations:competition_step", args=[competition.pk, "decide"])
    assert client.post(step).status_code == 403
    services.competition_declare_winners(competition=competition, acting_user=personas.street_a)


def test_nobody_names_herself_a_judge(tree, personas):
    clerk = _clerk_of_a(tree)
    competition = _competition(tree, judges=[make_judge_user("j1", tree.street_b)])
    assert clerk not in judge_user_choices(viewer=clerk)
    with pytest.raises(ValidationError):
        services.judge_add(competition=competition, user=clerk, acting_user=clerk)
    assert not competition.judges.filter(user=clerk).exists()


def test_a_judge_scores_only_without_a_conflict(tree):
    judge = make_judge_user("ja", tree.street_a)  # serves in street A
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "甲"), (tree.community_b, "乙")],
        judges=[judge],
        rubric=[("成效", "100", "10")],
    )
    own, other = competition.entries.order_by("number")
    assert not can(judge, "score", own) and can(judge, "score", other)
    with pytest.raises(services.ConflictOfInterest):
        services.score_record(
            entry=own, judge_user=judge, values=scores_for(competition, "5"), acting_user=judge
        )
    services.score_record(
        entry=other, judge_user=judge, values=scores_for(competition, "5"), acting_user=judge
    )


def test_a_judge_enters_only_their_own_scores(tree):
    first, second = make_judge_user("j1", tree.street_b), make_judge_user("j2", tree.street_b)
    competition = _competition(tree, judges=[first, second])
    entry = competition.entries.first()
    with pytest.raises(PermissionDenied):
        services.score_record(
            entry=entry, judge_user=second, values=scores_for(competition, "5"), acting_user=first
        )


def test_scoring_is_offered_only_while_scoring_is_open(tree):
    judge = make_judge_user("j1", tree.street_b)
    competition = _competition(tree, judges=[judge])
    entry = competition.entries.first()
    assert can(judge, "score", entry)
    services.competition_declare_winners(
        competition=competition, acting_user=SYSTEM
    ) if False else None
    type(competition).objects.filter(pk=competition.pk).update(status="decided")
    entry.competition.refresh_from_db()
    assert not can(judge, "score", entry)


def test_judge_choices_follow_the_one_person_rule(tree, personas):
    """Judges are picked among persons the organizer may see (experts of other units
    kept by her organization included), never among persons she may not see."""
    expert = make_judge_user("expert", tree.community_a)  # kept by A1: A may see
    outsider = make_judge_user("outsider", tree.community_b)  # kept by B1: A may not
    offered = set(judge_user_choices(viewer=personas.street_a))
    assert expert in offered and outsider not in offered
    competition = _competition(tree, judges=[make_judge_user("j1", tree.street_a)])
    with pytest.raises(PermissionDenied):
        services.judge_add(competition=competition, user=outsider, acting_user=personas.street_a)
    services.judge_add(competition=competition, user=expert, acting_user=personas.street_a)
    assert expert not in set(judge_user_choices(viewer=personas.street_a, competition=competition))
