"""The report's figures beside what the records say (报告称X，台账记录为Y).

A reported-figure draft is compared with a figure the statistics module computes when its
metric names one of the registered metrics (``core.registry.METRICS``) and its unit is
that metric's: the words match when they are equal, or one holds the other and the
shorter has at least three characters, after the endings 活动 and 数 are set aside
(主题党日活动 → 主题党日, 招商线索 → 招商线索, 举办培训班 ← 培训班). A two-character
word (项目) names too many metrics to choose one. The records are read for the draft's
organization and period (as confirmed, else as the card proposes them), in the viewer's
scope for the metric's function (``statistics.figures.compute``), one query a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from taizhang.core.actors import Actor
from taizhang.core.registry import METRICS, Metric
from taizhang.extraction.models import Draft
from taizhang.organizations.models import Organization

_ENDINGS = ("活动", "数")
MIN_CONTAINED = 3


@dataclass(frozen=True)
class Compared:
    metric: str
    label: str
    reported: str
    recorded: str
    differs: bool
    text: str


def _core(word: str) -> str:
    word = word.strip()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            word = word[: -len(ending)]
    return word


def _labels() -> list[tuple[str, str, Metric]]:
    """Each metric with its label and unit in Chinese, the language reports are in."""
    with translation.override("zh-hans"):
        return [(_core(str(m.label)), str(m.unit), m) for m in METRICS.values()]


def metric_for(word: str, unit: str) -> Metric | None:
    """The registered metric a reported figure's words and unit name, or None."""
    core, unit = _core(word), unit.strip()
    if not core:
        return None
    found: list[tuple[int, Metric]] = []
    for label, metric_unit, metric in _labels():
        if unit and unit != metric_unit and unit not in metric_unit.split("（")[0]:
            continue
        if label == core:
            found.append((0, metric))
        elif min(len(label), len(core)) >= MIN_CONTAINED and (label in core or core in label):
            found.append((abs(len(label) - len(core)), metric))
    if not found:
        return None
    found.sort(key=lambda pair: pair[0])
    if len(found) > 1 and found[0][0] == found[1][0]:
        return None  # two metrics as near: no guess
    return found[0][1]


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def compare(
    viewer: Actor,
    draft: Draft,
    *,
    org: Organization | None,
    start: str,
    end: str,
    cache: dict[tuple[str, int, str, str], Decimal] | None = None,
) -> Compared | None:
    """The draft's figure beside the records' for ``org`` and ``[start, end]``."""
    from taizhang.statistics.figures import compute, format_figure
    from taizhang.statistics.periods import Period, PeriodError

    fields = draft.fields or {}
    figure = fields.get("confirmed") or fields
    metric = metric_for(str(figure.get("metric") or ""), str(figure.get("unit") or ""))
    value = _decimal(figure.get("value"))
    if metric is None or value is None or org is None or not start or not end:
        return None
    try:
        period = Period("custom", dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    except (ValueError, PeriodError):
        return None
    key = (metric.name, org.pk, start, end)
    cache = {} if cache is None else cache
    if key not in cache:
        cache[key] = compute(viewer, metric, org, period)
    recorded = cache[key]
    reported_text = f"{figure.get('value')}{'余' if fields.get('approximate') else ''}"
    reported_text += str(figure.get("unit") or "")
    recorded_text = format_figure(metric, recorded)
    text = gettext(
        "The report says %(reported)s; the ledger records %(recorded)s "
        "(%(metric)s, %(org)s, %(start)s to %(end)s)."
    ) % {
        "reported": reported_text,
        "recorded": recorded_text,
        "metric": metric.label,
        "org": org.short_name or org.name,
        "start": start,
        "end": end,
    }
    return Compared(
        metric=metric.name,
        label=str(metric.label),
        reported=reported_text,
        recorded=recorded_text,
        # 7000余场 is met by 7000 or more records; an exact figure by exactly as many.
        differs=recorded < value if fields.get("approximate") else recorded != value,
        text=text,
    )
