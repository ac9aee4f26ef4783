"""Build competitions, judges and awards through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.evaluations.models import Competition, EntryKind
from taizhang.evaluations.services import (
    award_notice_set,
    competition_create,
    competition_open_scoring,
    criterion_add,
    entry_add,
    judge_add,
)
from taizhang.people.services import person_create
from tests.support import PASSWORD

RUBRIC = [("特色亮点", "30", "30"), ("实际成效", "40", "40"), ("展示效果", "30", "30")]


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def put_on_notice(award: Any, before: dt.date | None = None) -> Any:
    """A public notice (公示) of seven days that ended the day before ``before`` (today)."""
    end = (before or timezone.localdate()) - dt.timedelta(days=1)
    return award_notice_set(
        award=award, start=end - dt.timedelta(days=6), end=end, acting_user=SYSTEM
    )


def make_judge_user(username: str, home: Any, *, role: str = "viewer") -> Any:
    """A user linked to a person of ``home``, with ``role`` on that organization only."""
    person = person_create(
        organization=home, name=f"评委{username}", gender="F", acting_user=SYSTEM
    )
    user = user_create(
        username=username,
        password=PASSWORD,
        person=person,
        must_change_password=False,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user, role=role, scope_kind=ScopeKind.ORG, organization=home, acting_user=SYSTEM
    )
    return user


def make_competition(
    org: Any,
    *,
    entries: list[tuple[Any, str]] = (),  # type: ignore[assignment]
    judges: list[Any] = (),  # type: ignore[assignment]
    rubric: list[tuple[str, str, str]] = RUBRIC,
    normalization: str = "none",
    winners: int = 2,
    open_scoring: bool = True,
    name: str = "党建品牌展演",
) -> Competition:
    competition = competition_create(
        org=org,
        name=name,
        held_on=days_ago(3),
        normalization=normalization,
        winners_count=winners,
        acting_user=SYSTEM,
    )
    for criterion, weight, max_score in rubric:
        criterion_add(
            competition=competition,
            name=criterion,
            weight=Decimal(weight),
            max_score=Decimal(max_score),
            acting_user=SYSTEM,
        )
    for owner, title in entries:
        entry_add(
            competition=competition,
            kind=EntryKind.BRAND,
            title=title,
            org=owner,
            acting_user=SYSTEM,
        )
    for user in judges:
        judge_add(competition=competition, user=user, acting_user=SYSTEM)
    if open_scoring:
        competition = competition_open_scoring(competition=competition, acting_user=SYSTEM)
    return competition


def scores_for(competition: Competition, *values: str) -> dict[int, Decimal]:
    """Map the rubric (in order) to the given values."""
    return {c.pk: Decimal(v) for c, v in zip(competition.criteria.all(), values, strict=True)}


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance):
    each booked on ``org`` through every organization field its policy counts."""
    from taizhang.evaluations.services import award_create, nomination_create

    def competition(org: Any) -> Competition:
        return make_competition(org, rubric=[], open_scoring=False, name="样本评选")

    def entry(org: Any) -> Any:
        return entry_add(
            competition=competition(org),
            kind=EntryKind.ORGANIZATION,
            org=org,
            acting_user=SYSTEM,
        )

    def award(org: Any) -> Any:
        return award_create(
            org=org, kind="advanced_branch", name="样本表彰", year=2026, quota=3, acting_user=SYSTEM
        )

    def nomination(org: Any) -> Any:
        return nomination_create(award=award(org), org=org, acting_user=SYSTEM)

    def objection(org: Any) -> Any:
        from taizhang.evaluations.services import nomination_review, objection_record

        made = nomination(org)
        nomination_review(nomination=made, approve=True, acting_user=SYSTEM)
        noticed = put_on_notice(made.award)
        return objection_record(
            award=noticed,
            received_on=noticed.notice_end,
            text="样本异议",
            outcome="经核实不属实",
            acting_user=SYSTEM,
        )

    return {
        "evaluations.competition": competition,
        "evaluations.entry": entry,
        "evaluations.award": award,
        "evaluations.nomination": nomination,
        "evaluations.objection": objection,
    }
