"""The demand ledger as an Excel 台账, in the columns its import reads back.

Requesters' contact data is always masked in the file, whoever takes it (ADR 0023).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import Column, Export, Sheet
from taizhang.demands.imports import FIELDS, demand_row
from taizhang.demands.permissions import VIEW
from taizhang.demands.selectors import demand_list
from taizhang.organizations.policy import scope_title


def columns() -> list[Column]:
    return [f.column for f in FIELDS]


def headers() -> list[str]:
    return [column.title for column in columns()]


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.demands.views import list_filters

    filters = list_filters(viewer, params)
    qs = demand_list(viewer=viewer, **filters).select_related("enterprise")

    def rows() -> Iterator[list[Any]]:
        for demand in qs.iterator(chunk_size=2000):
            yield demand_row(demand)

    return Sheet(
        columns=columns(),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


EXPORT = Export(
    kind="demands.demand",
    title=_("Demand ledger"),
    permission=VIEW,
    ascii_name="demands",
    build=build,
)
