"""The one pagination of every API list: ninja's limit/offset with both bounded.

``limit`` is at most ``NINJA_PAGINATION_MAX_LIMIT`` (1000) and ``offset`` at most
``MAX_OFFSET``: a larger number is the client's mistake, answered 422 like any invalid
parameter, never a database error (an offset of 2**63 and more overflows SQLite's and
PostgreSQL's integers: issue 19). Modules import ``LimitOffsetPagination`` and
``paginate`` from here, not from ``ninja.pagination``.

``count`` is exact up to ``core.counting.EXACT_BELOW`` rows and an estimate above it,
marked ``count_is_estimate: true`` (issue 20): counting a city's whole ledger on every
page was most of the list's database time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffset
from ninja.pagination import paginate

from taizhang.core.counting import cheap_count

# Far beyond any list taizhang holds, far below the databases' integers.
MAX_OFFSET = 10**9


class LimitOffsetPagination(NinjaLimitOffset):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=getattr(settings, "NINJA_PAGINATION_MAX_LIMIT", 1000))
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description="Exact up to 10,000 rows; above, an estimate.")
        count_is_estimate: bool = Field(
            False, description="True when count is an estimate (a list above 10,000 rows)."
        )

    def paginate_queryset(
        self,
        queryset: Any,
        pagination: Any,
        request: HttpRequest,
        **params: Any,
    ) -> Any:
        offset = pagination.offset
        limit: int = min(pagination.limit, self.max_limit)
        counted = cheap_count(queryset)
        return {
            self.items_attribute: queryset[offset : offset + limit],
            "count": counted.value,
            "count_is_estimate": counted.is_estimate,
        }


__all__ = ["MAX_OFFSET", "LimitOffsetPagination", "paginate"]
