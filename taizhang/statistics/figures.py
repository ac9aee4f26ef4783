"""Figures computed from the records: the truth that dashboards summarize and briefings
cite. Every read here is limited to the viewer's data scope for the metric's function.

``metric_rows`` is the drill-down: the raw rows behind a figure. ``trace`` computes a
figure from those rows with a digest of them, so a briefing can later prove that its
number still stands, or say what changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.core.registry import METRICS, REPORTED_SOURCES, Metric
from taizhang.organizations.models import Organization, subtree_bounds
from taizhang.organizations.scope import Scope, scope_for
from taizhang.statistics.periods import Period

# Row ids are kept in a snapshot up to this many rows; above it only the digest and the
# per-month counts are, which still say whether and where a figure changed.
MAX_TRACED_IDS = 20_000


class UnknownMetric(LookupError):
    pass


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetric(name) from None


def visible_metrics(viewer: Actor) -> list[Metric]:
    """The registered metrics whose function the viewer holds somewhere."""
    return [metric for metric in METRICS.values() if not metric_scope(viewer, metric).is_empty]


def _final_field(model: type[models.Model], path: str) -> models.Field[Any, Any]:
    """The model field at the end of a ``a__b__c`` path."""
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model  # type: ignore[assignment]
    return model._meta.get_field(parts[-1])  # type: ignore[return-value]


def date_lookup(metric: Metric) -> str:
    """The lookup that reads the metric's date as a date, also for datetime fields."""
    model = metric.queryset().model
    if isinstance(_final_field(model, metric.date_field), models.DateTimeField):
        return f"{metric.date_field}__date"
    return metric.date_field


def subtree_q(metric: Metric, org: Organization) -> models.Q:
    lower, upper = subtree_bounds(org.path)
    return models.Q(
        **{f"{metric.org_field}__path__gte": lower, f"{metric.org_field}__path__lt": upper}
    )


def period_q(metric: Metric, period: Period) -> models.Q:
    lookup = date_lookup(metric)
    return models.Q(**{f"{lookup}__gte": period.start, f"{lookup}__lte": period.end})


def metric_scope(viewer: Actor, metric: Metric) -> Scope:
    """The viewer's scope for the metric's own function (``activities.view``...).

    The module's one special read: a figure counts another module's rows, which have
    no statistics policy, so they are read in the scope of the function that module
    registered with the metric (``scope_for``), never in the statistics scope."""
    return scope_for(viewer, metric.permission)


def covers_subtree(scope: Scope, org: Organization) -> bool:
    """Whether the scope holds ``org`` and everything below it (a subtree grant at it
    or above), so the subtree totals of the pre-aggregated figures may be shown."""
    return any(org.path.startswith(path) for path in scope.subtree_paths)


def metric_rows(viewer: Actor, metric: Metric, org: Organization, period: Period) -> QuerySet[Any]:
    """The rows behind ``metric`` for ``org``'s subtree and ``period``, in the viewer's
    scope. Empty for a viewer without the metric's function."""
    scope = metric_scope(viewer, metric)
    return metric.queryset().filter(
        scope.records_q(org_field=metric.org_field),
        subtree_q(metric, org),
        period_q(metric, period),
    )


def plain(value: Any) -> Decimal:
    """A figure without storage noise: 2.00 → 2, 1.50 → 1.5."""
    number = Decimal(value or 0)
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def aggregate(metric: Metric, rows: QuerySet[Any]) -> tuple[Decimal, int]:
    """(value, number of rows) of a set of metric rows, in one query."""
    if metric.distinct:
        result = rows.aggregate(
            value=Count(metric.distinct, distinct=True), rows=Count("pk", distinct=True)
        )
    elif metric.value == "count":
        result = rows.aggregate(value=Count("pk"), rows=Count("pk"))
    else:
        result = rows.aggregate(value=Sum(metric.value), rows=Count("pk"))
    return plain(result["value"]), int(result["rows"] or 0)


def compute(viewer: Actor, metric: Metric, org: Organization, period: Period) -> Decimal:
    return aggregate(metric, metric_rows(viewer, metric, org, period))[0]


def format_figure(metric: Metric, value: Decimal) -> str:
    """The figure as a briefing prints it: 797亿元, 7000余场, 1.7万余人."""
    from taizhang.core.formatting import approximate, format_yuan

    if metric.money:
        return format_yuan(value)
    return approximate(value, str(metric.unit))


def reported(metric: Metric, org: Organization, period: Period) -> Decimal | None:
    """What ``org`` itself reported for the metric over exactly ``period`` (填报任务: an
    accepted answer confirming this ledger figure), or None when it reported nothing.

    The sources are registered by other modules (``core.registry.REPORTED_SOURCES``);
    statistics imports none of them. Callers ask only for an organization the viewer's
    statistics scope holds (as for a stored monthly figure): the reported figure is the
    unit's own total, never rows."""
    for source in REPORTED_SOURCES:
        value = source(metric.name, org, period.start, period.end)
        if value is not None:
            return plain(value)
    return None


@dataclass
class Trace:
    """A figure with the proof of the rows behind it."""

    metric: str
    value: Decimal
    rows: int
    digest: str
    ids: list[int] | None = None
    months: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": str(self.value),
            "rows": self.rows,
            "digest": self.digest,
            "ids": self.ids,
            "months": self.months,
        }


def trace(viewer: Actor, metric: Metric, org: Organization, period: Period) -> Trace:
    """Compute a figure from its rows and fingerprint them.

    The digest covers each row's id, date and contribution (its value, or the distinct
    key), so adding, removing or editing a row that counts changes it.
    """
    rows = metric_rows(viewer, metric, org, period)
    lookup = date_lookup(metric)
    contribution = metric.distinct or (None if metric.value == "count" else metric.value)
    columns = ["pk", lookup] + ([contribution] if contribution else [])
    digest = hashlib.sha256()
    ids: list[int] = []
    months: dict[str, int] = {}
    distinct: set[Any] = set()
    total = Decimal(0)
    count = 0
    for row in rows.order_by("pk").values_list(*columns).iterator(chunk_size=5000):
        pk, day = row[0], row[1]
        extra = row[2] if contribution else None
        digest.update(f"{pk}|{day}|{extra}\n".encode())
        count += 1
        if count <= MAX_TRACED_IDS:
            ids.append(pk)
        month = f"{day:%Y-%m}" if isinstance(day, dt.date) else str(day)[:7]
        months[month] = months.get(month, 0) + 1
        if metric.distinct:
            distinct.add(extra)
        elif contribution:
            total += Decimal(extra or 0)
    if metric.distinct:
        value = Decimal(len(distinct))
    elif contribution:
        value = total
    else:
        value = Decimal(count)
    return Trace(
        metric=metric.name,
        value=value,
        rows=count,
        digest=digest.hexdigest(),
        ids=ids if count <= MAX_TRACED_IDS else None,
        months=dict(sorted(months.items())),
    )


def describe_change(old: dict[str, Any], new: Trace) -> str:
    """Why a figure differs from its snapshot, in words: rows added, removed or edited."""
    if old.get("digest") == new.digest:
        return ""
    old_ids = old.get("ids")
    if old_ids is not None and new.ids is not None:
        added = len(set(new.ids) - set(old_ids))
        removed = len(set(old_ids) - set(new.ids))
        edited = not added and not removed
        parts = []
        if added:
            parts.append(_("%(n)d records added") % {"n": added})
        if removed:
            parts.append(_("%(n)d records removed or no longer counted") % {"n": removed})
        if edited:
            parts.append(_("records behind it were edited"))
        return "; ".join(parts)
    changed = sorted(
        month
        for month in set(old.get("months", {})) | set(new.months)
        if old.get("months", {}).get(month) != new.months.get(month)
    )
    if changed:
        return _("the records of %(months)s changed") % {"months": ", ".join(changed)}
    return _("records behind it were edited")
