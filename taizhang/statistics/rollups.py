"""Pre-aggregated monthly figures per organization, kept equal to the records.

``refresh`` rebuilds one metric from its rows in one grouped query and adds each
organization's own figures to all its ancestors, so every ``MonthlyFigure`` row holds
its subtree's total. After a metric has been refreshed once, it is kept current inside
the writing transaction by what services report they changed (``core.changes``, bulk
writes included; ADR 0044): the own figures of the organizations the rows were and are
booked on are recomputed from the records and the difference is carried up the tree.
``taizhang stats check`` compares every stored figure with the records; each dashboard
says when the last refresh ran.

Only additive metrics live here; distinct counts and figures that depend on today's
date are always computed from the records (``figures.py``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from taizhang.core.changes import register_listener
from taizhang.core.registry import METRICS, Metric
from taizhang.organizations.models import Organization
from taizhang.organizations.signals import organization_moved
from taizhang.statistics.models import MetricRefresh, MonthlyFigure

BATCH = 5000


def additive_metrics() -> list[Metric]:
    return [metric for metric in METRICS.values() if metric.additive]


class SQLiteMonth(models.Func):
    """The first day of a date's month with SQLite's own ``strftime``: Django's
    ``TruncMonth`` calls back into Python for every row on SQLite, which dominates a
    refresh of millions of rows. Used for date (not datetime) fields only."""

    function = "strftime"
    template = "strftime('%%%%Y-%%%%m-01', %(expressions)s)"
    output_field = models.DateField()


def _month(metric: Metric, model: type[models.Model]) -> models.Func:
    from taizhang.statistics.figures import date_lookup

    is_date = date_lookup(metric) == metric.date_field
    if is_date and connection.vendor == "sqlite":
        return SQLiteMonth(metric.date_field)
    return TruncMonth(metric.date_field, output_field=models.DateField())


def _own_groups(metric: Metric, rows: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """(org id, month, value, rows) of the metric's rows, grouped."""
    value = Count("pk") if metric.value == "count" else Sum(metric.value)
    groups: models.QuerySet[Any] = (
        rows.annotate(
            _org=F(metric.org_field),
            _month=_month(metric, rows.model),
        )
        .order_by()
        .values("_org", "_month")
        .annotate(_value=value, _rows=Count("pk"))
        .values_list("_org", "_month", "_value", "_rows")
    )
    return groups


def _parents() -> dict[int, int | None]:
    return dict(Organization.objects.values_list("pk", "parent_id"))


Totals = dict[tuple[int, Any], list[Any]]


def _totals(metric: Metric, parents: dict[int, int | None]) -> tuple[Totals, Totals, int]:
    """(own, subtree) figures per (org id, month) computed from the records, and the
    number of source rows: one grouped query, then each group added to its ancestors."""
    own: Totals = {}
    total: Totals = defaultdict(lambda: [Decimal(0), 0])
    source_rows = 0
    for org_id, month, value, rows in _own_groups(metric, metric.queryset()).iterator(
        chunk_size=BATCH
    ):
        if org_id is None or month is None:
            continue
        value = Decimal(value or 0)
        own[(org_id, month)] = [value, rows]
        source_rows += rows
        node: int | None = org_id
        while node is not None:
            cell = total[(node, month)]
            cell[0] += value
            cell[1] += rows
            node = parents.get(node)
    return own, total, source_rows


@transaction.atomic
def refresh(metric: Metric) -> int:
    """Rebuild the monthly figures of ``metric``; return the number of source rows."""
    started = time.perf_counter()
    own, total, source_rows = _totals(metric, _parents())
    MonthlyFigure.objects.filter(metric=metric.name).delete()
    batch = []
    for (org_id, month), (value, rows) in total.items():
        own_value, own_rows = own.get((org_id, month), (Decimal(0), 0))
        batch.append(
            MonthlyFigure(
                metric=metric.name,
                org_id=org_id,
                month=month,
                own_value=own_value,
                own_rows=own_rows,
                value=value,
                rows=rows,
            )
        )
        if len(batch) >= BATCH:
            MonthlyFigure.objects.bulk_create(batch)
            batch = []
    MonthlyFigure.objects.bulk_create(batch)
    MetricRefresh.objects.update_or_create(
        metric=metric.name,
        defaults={
            "refreshed_at": timezone.now(),
            "source_rows": source_rows,
            "duration_ms": int((time.perf_counter() - started) * 1000),
        },
    )
    return source_rows


def refresh_all(names: Iterable[str] | None = None) -> dict[str, int]:
    wanted = set(names) if names else None
    return {
        metric.name: refresh(metric)
        for metric in additive_metrics()
        if wanted is None or metric.name in wanted
    }


def refreshed(metric: Metric) -> MetricRefresh | None:
    return MetricRefresh.objects.filter(metric=metric.name).first()


# --- incremental maintenance ------------------------------------------------------


def _ancestor_ids(org_id: int) -> list[int]:
    """The organization and its ancestors, itself first."""
    org = Organization.objects.only("path").get(pk=org_id)
    by_path = dict(
        Organization.objects.filter(path__in=org.ancestor_paths()).values_list("path", "pk")
    )
    return [org_id] + [by_path[path] for path in reversed(org.ancestor_paths()) if path in by_path]


def recompute_own(metric: Metric, org_id: int) -> None:
    """Set the own figures of ``org_id`` from the records and carry the difference to
    its ancestors. Call inside the writing transaction."""
    rows = metric.queryset().filter(**{metric.org_field: org_id})
    fresh = {
        month: (Decimal(value or 0), count)
        for _org, month, value, count in _own_groups(metric, rows)
    }
    stored = {
        figure.month: figure
        for figure in MonthlyFigure.objects.select_for_update().filter(
            metric=metric.name, org_id=org_id
        )
    }
    chain: list[int] | None = None
    for month in set(fresh) | set(stored):
        new_value, new_rows = fresh.get(month, (Decimal(0), 0))
        old = stored.get(month)
        old_value, old_rows = (old.own_value, old.own_rows) if old else (Decimal(0), 0)
        delta_value, delta_rows = new_value - old_value, new_rows - old_rows
        if not delta_value and not delta_rows:
            continue
        chain = chain or _ancestor_ids(org_id)
        for node in chain:
            figure, _created = MonthlyFigure.objects.get_or_create(
                metric=metric.name, org_id=node, month=month
            )
            MonthlyFigure.objects.filter(pk=figure.pk).update(
                value=F("value") + delta_value,
                rows=F("rows") + delta_rows,
                **({"own_value": new_value, "own_rows": new_rows} if node == org_id else {}),
            )


def _maintained(model: type[models.Model]) -> list[Metric]:
    names = [m.name for m in additive_metrics() if m.queryset().model is model]
    if not names:
        return []
    done = set(MetricRefresh.objects.filter(metric__in=names).values_list("metric", flat=True))
    return [METRICS[name] for name in names if name in done]


def _booked_on(metric: Metric, model: type[models.Model], pks: frozenset[Any]) -> set[int]:
    """The organizations the rows ``pks`` of ``model`` are booked on for ``metric``
    (its ``org_field`` may follow relations), read from the database."""
    found: set[int] = set()
    ordered = sorted(pks, key=str)
    for start in range(0, len(ordered), BATCH):
        chunk = ordered[start : start + BATCH]
        found.update(
            org_id
            for org_id in model._default_manager.filter(pk__in=chunk)
            .order_by()
            .values_list(metric.org_field, flat=True)
            .distinct()
            if org_id is not None
        )
    return found


def on_rows_changing(model: type[models.Model], pks: frozenset[Any]) -> Callable[[], None]:
    """The change listener (``core.changes``): remember where the rows were booked, and
    once they are written recompute the own figures of every organization they were or
    are booked on, carrying the difference up the tree, in the writing transaction."""
    metrics = _maintained(model)
    if not metrics:
        return _nothing
    before = {metric.name: _booked_on(metric, model, pks) for metric in metrics}

    def finish() -> None:
        for metric in metrics:
            for org_id in sorted(before[metric.name] | _booked_on(metric, model, pks)):
                recompute_own(metric, org_id)

    return finish


def _nothing() -> None:
    return None


def _chain(org_id: int | None) -> list[int]:
    return _ancestor_ids(org_id) if org_id is not None else []


def carry_move(
    sender: Any, organization: Organization, old_parent_id: int, new_parent_id: int, **kwargs: Any
) -> None:
    """A moved subtree takes its totals from its old ancestors to its new ones."""
    moved = list(
        MonthlyFigure.objects.filter(org=organization).values_list(
            "metric", "month", "value", "rows"
        )
    )
    if not moved:
        return
    for chain, sign in ((_chain(old_parent_id), -1), (_chain(new_parent_id), 1)):
        for metric, month, value, rows in moved:
            for node in chain:
                figure, _created = MonthlyFigure.objects.get_or_create(
                    metric=metric, org_id=node, month=month
                )
                MonthlyFigure.objects.filter(pk=figure.pk).update(
                    value=F("value") + sign * value, rows=F("rows") + sign * rows
                )


def connect() -> None:
    """Listen to what services report (``core.changes``) and to organization moves
    (sent by ``organization_move``). No model signals: they miss bulk writes."""
    organization_moved.connect(carry_move, dispatch_uid="statistics-carry-move")
    register_listener(on_rows_changing)


def check(names: Iterable[str] | None = None) -> list[str]:
    """Compare every stored figure (own and subtree) with a fresh computation from the
    records; return a description of each difference. Empty means consistent."""
    wanted = set(names) if names else None
    problems: list[str] = []
    parents = _parents()
    for metric in additive_metrics():
        if wanted is not None and metric.name not in wanted:
            continue
        if not MetricRefresh.objects.filter(metric=metric.name).exists():
            continue
        _own, expected, _rows = _totals(metric, parents)
        stored = {
            (org_id, month): [value, rows]
            for org_id, month, value, rows in MonthlyFigure.objects.filter(
                metric=metric.name
            ).values_list("org_id", "month", "value", "rows")
        }
        for key in sorted(set(expected) | set(stored), key=lambda k: (k[0], str(k[1]))):
            want: list[Any] = expected.get(key, [Decimal(0), 0])
            have: list[Any] = stored.get(key, [Decimal(0), 0])
            if Decimal(want[0]) != Decimal(have[0]) or int(want[1]) != int(have[1]):
                problems.append(
                    f"{metric.name} org {key[0]} {key[1]:%Y-%m}: stored {have[0]} "
                    f"({have[1]} rows), records {want[0]} ({want[1]} rows)"
                )
    return problems
