"""Indicators (指标任务): the pure rules. A unit's standing (target, actual, cases,
completion) and the ranking of units (争先晋位) with the minimum-case rule.

Nothing here reads or writes the database: the writes (``indicator_create``,
``indicator_update``, ``target_set``, ``actual_enter``) are in ``services.py``, the
reads (``indicators_for``, ``ranking``) in ``selectors.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from taizhang.organizations.models import Organization
from taizhang.statistics.models import Direction, IndicatorEntry

INDICATOR_FIELDS = ["name", "unit", "direction", "source", "metric", "min_cases", "description"]
# Fixed once the indicator is set (with ``owner``, which no update takes).
FIXED_FIELDS = ("source", "metric")


@dataclass
class Standing:
    org: Organization
    target: Decimal | None
    actual: Decimal | None
    cases: int
    evidence: str = ""
    rank: int | None = None
    ranked: bool = False
    reason: str = ""  # why not ranked: no_value, too_few_cases, no_target, zero_target
    entry: IndicatorEntry | None = None  # the manual actual, with its evidence file
    # What the unit itself reported for the indicator's metric (填报任务), if it did.
    reported: Decimal | None = None

    @property
    def completion(self) -> Decimal | None:
        if self.target is None or self.target == 0 or self.actual is None:
            return None
        return (self.actual / self.target * 100).quantize(Decimal("0.1"))

    @property
    def reported_difference(self) -> Decimal | None:
        """The unit's reported figure less the records' figure, when both exist."""
        if self.reported is None or self.actual is None:
            return None
        return self.reported - self.actual


def rank(standings: list[Standing], *, direction: str, min_cases: int) -> list[Standing]:
    """Rank the units (争先晋位); ties share a rank (1, 1, 3).

    When any unit has a target for the period, units are ranked on completion
    (actual ÷ target, to 0.1 %, the precision shown) and a unit without a target, or with
    a target of zero (no completion rate), is not ranked; otherwise on the actual value.
    A unit with fewer than ``min_cases`` records, or with no value, is not ranked. Lower
    is better when ``direction`` says so. Unranked units follow in their order.
    """
    by_target = any(s.target not in (None, 0) for s in standings)
    for item in standings:
        item.rank, item.ranked, item.reason = None, False, ""
        if item.actual is None:
            item.reason = "no_value"
        elif item.cases < min_cases:
            item.reason = "too_few_cases"
        elif by_target and item.target is None:
            item.reason = "no_target"
        elif by_target and item.target == 0:
            item.reason = "zero_target"

    def score(item: Standing) -> Decimal:
        value = item.completion if by_target else item.actual
        return Decimal(value or 0)

    eligible = sorted(
        (s for s in standings if not s.reason),
        key=score,
        reverse=direction != Direction.LOWER,
    )
    for position, item in enumerate(eligible, start=1):
        tied = position > 1 and score(eligible[position - 2]) == score(item)
        item.rank = eligible[position - 2].rank if tied else position
        item.ranked = True
    return eligible + [s for s in standings if s.reason]


# --- composite scores (综合考评, ADR 0059) -----------------------------------------------

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def indicator_scores(standings: list[Standing], *, direction: str) -> dict[int, Decimal]:
    """Each unit's score on one indicator, 0–100, from its ranking (``rank`` ran first).

    A unit ranked on completion scores its completion rate, at most 100 (over-fulfilling
    one indicator does not make up for another). A unit ranked on the actual value is
    compared with the best ranked unit: actual ÷ best × 100 when higher is better,
    best ÷ actual × 100 when lower is better (a unit at zero then scores 100). A unit
    not ranked on the indicator (no value, too few cases, no target) scores 0.
    Returns organization id → score.
    """
    ranked = [s for s in standings if s.ranked]
    scores = {s.org.pk: Decimal(0) for s in standings}
    by_target = any(s.target not in (None, 0) for s in standings)
    if by_target:
        for s in ranked:
            scores[s.org.pk] = min(Decimal(s.completion or 0), HUNDRED)
        return scores
    actuals = [Decimal(s.actual) for s in ranked if s.actual is not None]
    if not actuals:
        return scores
    if direction == Direction.LOWER:
        best = min(actuals)
        for s in ranked:
            actual = Decimal(s.actual or 0)
            scores[s.org.pk] = HUNDRED if actual <= best else best / actual * HUNDRED
    else:
        best = max(actuals)
        for s in ranked:
            scores[s.org.pk] = (
                Decimal(0)
                if best <= 0
                else max(Decimal(s.actual or 0), Decimal(0)) / best * HUNDRED
            )
    return scores


@dataclass
class CompositePart:
    indicator_id: int
    weight: Decimal
    standing: Standing
    score: Decimal  # 0–100 on the indicator

    @property
    def points(self) -> Decimal:
        """What the indicator adds to the composite: weight % × score."""
        return (self.weight * self.score / HUNDRED).quantize(CENT)


@dataclass
class CompositeStanding:
    org: Organization
    parts: list[CompositePart]
    rank: int | None = None

    @property
    def score(self) -> Decimal:
        """Σ weight × score over the members, on 0–100, to 0.01 (the precision shown)."""
        total = sum((p.weight * p.score for p in self.parts), Decimal(0)) / HUNDRED
        return total.quantize(CENT)

    @property
    def missing(self) -> list[CompositePart]:
        """The members the unit was not ranked on (they add nothing)."""
        return [p for p in self.parts if not p.standing.ranked]


def composite_rank(
    members: list[tuple[int, Decimal, str, list[Standing]]],
) -> list[CompositeStanding]:
    """Rank units on a composite. ``members``: (indicator id, weight in %, direction,
    the indicator's ranked standings of the same units). Ties share a rank (1, 1, 3),
    compared at 0.01, the precision shown; within a tie, by the units' order. A unit
    ranked on no member at all is listed last without a rank."""
    rows: dict[int, CompositeStanding] = {}
    for indicator_id, weight, direction, standings in members:
        scores = indicator_scores(standings, direction=direction)
        for standing in standings:
            row = rows.setdefault(standing.org.pk, CompositeStanding(standing.org, []))
            row.parts.append(CompositePart(indicator_id, weight, standing, scores[standing.org.pk]))
    # A unit ranked on none of the members has no composite score to compare: listed
    # last, unranked, as the indicator ranking lists a unit without a value.
    scored = [r for r in rows.values() if len(r.missing) < len(r.parts)]
    ordered = sorted(scored, key=lambda r: (-r.score, r.org.path))
    previous: Decimal | None = None
    current = 0
    for position, row in enumerate(ordered, start=1):
        if row.score != previous:
            current, previous = position, row.score
        row.rank = current
    return ordered + [r for r in rows.values() if r not in scored]
