"""Counts that stay cheap on large lists: exact below a threshold, estimated above it.

Counting every row of a city's ledger was most of a list's database time (issue 20).
``cheap_count`` counts at most ``EXACT_BELOW + 1`` rows; when there are more it says so
(``is_estimate``) and gives an estimate: on PostgreSQL the planner's row estimate for
the list's query (``EXPLAIN``), never below the rows already counted; on SQLite, which
keeps no such estimate, the threshold itself (shown as "more than 10,000").

One implementation for the pages (``EstimatedPaginator``) and the API
(``core.pagination.LimitOffsetPagination``); every list that shows a count goes
through it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Lists with at most this many rows show an exact count.
EXACT_BELOW = 10_000


@dataclass(frozen=True)
class ListCount:
    value: int
    is_estimate: bool = False
    # True when ``value`` is a lower bound (SQLite: "more than value").
    at_least: bool = False


def _planner_rows(qs: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows ``qs`` returns, from its plan."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def cheap_count(rows: Any, threshold: int | None = None) -> ListCount:
    """How many rows ``rows`` holds: exact up to ``threshold`` (``EXACT_BELOW``), an
    estimate above it."""
    threshold = EXACT_BELOW if threshold is None else threshold
    if not isinstance(rows, QuerySet):
        return ListCount(len(rows))
    capped = rows.order_by()[: threshold + 1].count()
    if capped <= threshold:
        return ListCount(capped)
    estimate = _planner_rows(rows)
    if estimate is None:
        return ListCount(threshold, is_estimate=True, at_least=True)
    return ListCount(max(estimate, capped), is_estimate=True)


def rounded(value: int) -> int:
    """An estimate as people say it: two significant figures (约12,000)."""
    if value < 100:
        return value
    step = 10 ** (int(math.log10(value)) - 1)
    return int(round(value / step) * step)


class EstimatedPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator with ``cheap_count``: ``count`` is exact below the threshold
    and estimated above it (``count_is_estimate``; the pager shows 约). Page numbers
    past an estimate's last page stay reachable while rows remain."""

    def __init__(
        self, *args: Any, threshold: int | None = None, late_rows: bool = False, **kwargs: Any
    ) -> None:
        """``late_rows``: find the page's ids first (a narrow query an index can answer
        in order), then read those rows with their joins: one query more, and a sort
        over ids instead of over every joined row of a large subtree."""
        super().__init__(*args, **kwargs)
        self.threshold = threshold
        self.late_rows = late_rows

    def _rows(self, start: int, stop: int) -> list[Any]:
        rows = self.object_list
        if not (self.late_rows and isinstance(rows, QuerySet)):
            return list(rows[start:stop])
        ids = list(rows.values_list("pk", flat=True)[start:stop])
        found = {row.pk: row for row in rows.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]

    @cached_property
    def list_count(self) -> ListCount:
        return cheap_count(self.object_list, self.threshold)

    @cached_property
    def count(self) -> int:
        return self.list_count.value

    @property
    def count_is_estimate(self) -> bool:
        return self.list_count.is_estimate

    @property
    def count_at_least(self) -> bool:
        return self.list_count.at_least

    @property
    def shown_count(self) -> int:
        return rounded(self.count) if self.count_is_estimate else self.count

    def validate_number(self, number: Any) -> int:
        if not self.count_is_estimate:
            return int(super().validate_number(number))
        try:
            value = int(number)
        except (TypeError, ValueError):
            return 1
        return max(1, value)

    def get_page(self, number: Any) -> Page[Any]:
        if not self.count_is_estimate:
            return super().get_page(number)
        page = self.page(self.validate_number(number))
        if page.number > 1 and not page.object_list:
            # Past the rows (an estimate can be high): the page of the last row.
            before = (page.number - 1) * self.per_page
            rows = self.object_list
            held = rows.order_by()[:before].count() if isinstance(rows, QuerySet) else len(rows)
            return self.page(max(1, math.ceil(held / self.per_page)))
        return page

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count_is_estimate:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return Page(self._rows(bottom, top), number, self)
        # One row more than the page tells whether another page follows.
        rows = self._rows(bottom, bottom + self.per_page + 1)
        page = _EstimatedPage(rows[: self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page


class _EstimatedPage(Page):  # type: ignore[type-arg]
    more = False

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)
