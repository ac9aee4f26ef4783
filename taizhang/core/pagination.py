"""The one pagination of every API list: ninja's limit/offset with both bounded.

``limit`` is at most ``NINJA_PAGINATION_MAX_LIMIT`` (1000) and ``offset`` at most
``MAX_OFFSET``: a larger number is the client's mistake, answered 422 like any invalid
parameter, never a database error (an offset of 2**63 and more overflows SQLite's and
PostgreSQL's integers: issue 19). Modules import ``LimitOffsetPagination`` and
``paginate`` from here, not from ``ninja.pagination``.
"""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as NinjaLimitOffset
from ninja.pagination import paginate

# Far beyond any list taizhang holds, far below the databases' integers.
MAX_OFFSET = 10**9


class LimitOffsetPagination(NinjaLimitOffset):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=getattr(settings, "NINJA_PAGINATION_MAX_LIMIT", 1000))
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


__all__ = ["MAX_OFFSET", "LimitOffsetPagination", "paginate"]
