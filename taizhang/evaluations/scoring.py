"""The arithmetic of a competition: weighted totals, per-judge normalization, ranks.

Everything is ``Decimal`` in a local context of 34 significant digits; only the final
score is rounded, to four places (ROUND_HALF_UP), and ranks compare those rounded
scores, so equal scores tie whatever order the sums were taken in (ADR 0035).

* weighted total of judge j for entry e: Σ_c score / max_c × weight_c × 100 / Σ weight,
  on a 0–100 scale whether the weights sum to 100 or to 1;
* ``minmax``: (t − min_j) / (max_j − min_j) × 100 over the entries judge j scored
  (50 when the judge gave every entry the same total);
* ``zscore``: (t − mean_j) / σ_j with the population standard deviation (0 when σ_j = 0);
* final score: the mean over the judges who scored the entry; with the trimmed rule
  (``trim``, 去掉一个最高分和一个最低分) one highest and one lowest judge's total are left
  out first (only one of each when several judges gave the same total), which needs at
  least ``TRIM_MIN_JUDGES`` (3) judges: with fewer the plain mean is taken and the
  result says so (``trim_fallback``);
* ranks: standard competition ranking (1, 2, 2, 4); within a tie, by entry number;
  winners are the entries ranked ≤ N, so a tie on the N-th place admits every tied entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

PRECISION = 34
PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
TRIM_MIN_JUDGES = 3


@dataclass
class EntryResult:
    entry_id: int
    number: int
    judges: int = 0
    final: Decimal | None = None
    rank: int | None = None
    is_winner: bool = False
    by_judge: dict[int, Decimal] = field(default_factory=dict)  # judge id → normalized total
    # The trimmed rule: the judges whose totals were left out (highest, lowest), or the
    # plain mean taken because fewer than three judges scored the entry.
    dropped: tuple[int, int] | None = None
    trim_fallback: bool = False


def trimmed_mean(values: Mapping[int, Decimal]) -> tuple[Decimal, tuple[int, int] | None]:
    """The mean without one highest and one lowest value (去掉一个最高分和一个最低分).

    ``values``: judge id → total. Returns the mean and the (highest, lowest) judge ids
    left out; with fewer than three values, the plain mean and ``None``. On a tie only
    one of the tied values is left out: the judge with the lower id, so the result does
    not depend on the order the scores were read in.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        count = len(values)
        if count < TRIM_MIN_JUDGES:
            return sum(values.values(), Decimal(0)) / Decimal(count), None
        ordered = sorted(values.items(), key=lambda item: (item[1], item[0]))
        lowest = ordered[0][0]
        # The highest among the others, so one judge is never left out twice.
        highest = max(ordered[1:], key=lambda item: (item[1], -item[0]))[0]
        kept = [v for judge_id, v in ordered if judge_id not in (lowest, highest)]
        return sum(kept, Decimal(0)) / Decimal(len(kept)), (highest, lowest)


def plain(number: Decimal) -> str:
    """A Decimal without trailing zeros or exponent: 40.00 → "40", 27.50 → "27.5"."""
    return f"{number.normalize():f}"


def weights_valid(weights: Iterable[Decimal]) -> bool:
    """Weights must sum to exactly 100 or exactly 1."""
    total = sum(weights, Decimal(0))
    return total in (Decimal(100), Decimal(1))


def weighted_total(
    values: Mapping[int, Decimal], criteria: Mapping[int, tuple[Decimal, Decimal]]
) -> Decimal:
    """Σ value / max × weight × 100 / Σ weight. ``criteria``: id → (weight, max_score)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        weight_sum = sum((w for w, _m in criteria.values()), Decimal(0))
        total = Decimal(0)
        for criterion_id, (weight, max_score) in criteria.items():
            total += values[criterion_id] / max_score * weight
        return total * HUNDRED / weight_sum


def normalize(totals: Mapping[int, Decimal], method: str) -> dict[int, Decimal]:
    """One judge's totals by entry id, normalized by ``method`` (none, minmax, zscore)."""
    if method == "none" or not totals:
        return dict(totals)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        values = list(totals.values())
        if method == "minmax":
            low, high = min(values), max(values)
            if high == low:
                return {key: Decimal(50) for key in totals}
            return {key: (t - low) / (high - low) * HUNDRED for key, t in totals.items()}
        if method == "zscore":
            count = Decimal(len(values))
            mean = sum(values, Decimal(0)) / count
            variance = sum(((t - mean) ** 2 for t in values), Decimal(0)) / count
            if variance == 0:
                return {key: Decimal(0) for key in totals}
            sigma = variance.sqrt()
            return {key: (t - mean) / sigma for key, t in totals.items()}
    raise ValueError(f"Unknown normalization {method!r}")


def rank(
    *,
    entries: Iterable[tuple[int, int]],
    criteria: Mapping[int, tuple[Decimal, Decimal]],
    scores: Iterable[tuple[int, int, int, Decimal]],
    method: str,
    winners: int,
    trim: bool = False,
) -> list[EntryResult]:
    """Results for ``entries`` ((id, number)) from ``scores`` ((judge, entry, criterion, value)).

    ``trim``: the final score leaves out one highest and one lowest judge (three judges
    at least, else the plain mean, marked ``trim_fallback``).

    A judge's scores for an entry count only when every criterion was scored.
    Returns the results ranked first (by rank, then number), unscored entries last.
    """
    results = {entry_id: EntryResult(entry_id, number) for entry_id, number in entries}
    sheets: dict[tuple[int, int], dict[int, Decimal]] = {}
    for judge_id, entry_id, criterion_id, value in scores:
        if entry_id in results and criterion_id in criteria:
            sheets.setdefault((judge_id, entry_id), {})[criterion_id] = value
    by_judge: dict[int, dict[int, Decimal]] = {}
    for (judge_id, entry_id), values in sheets.items():
        if len(values) == len(criteria):
            by_judge.setdefault(judge_id, {})[entry_id] = weighted_total(values, criteria)
    for judge_id, totals in by_judge.items():
        for entry_id, value in normalize(totals, method).items():
            results[entry_id].by_judge[judge_id] = value
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for result in results.values():
            if result.by_judge:
                result.judges = len(result.by_judge)
                if trim:
                    mean, result.dropped = trimmed_mean(result.by_judge)
                    result.trim_fallback = result.dropped is None
                else:
                    mean = sum(result.by_judge.values(), Decimal(0)) / Decimal(result.judges)
                result.final = mean.quantize(PLACES, rounding=ROUND_HALF_UP)
    scored = sorted(
        (r for r in results.values() if r.final is not None),
        key=lambda r: (-r.final, r.number),  # type: ignore[operator]
    )
    previous: Decimal | None = None
    for position, result in enumerate(scored, start=1):
        if result.final != previous:
            current = position
            previous = result.final
        result.rank = current
        result.is_winner = current <= winners
    unscored = sorted((r for r in results.values() if r.final is None), key=lambda r: r.number)
    return scored + unscored
