"""The activities ledger as an Excel 台账, in the columns its import reads back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.activities.imports import FIELDS, activity_row
from taizhang.activities.permissions import VIEW
from taizhang.activities.selectors import activity_list
from taizhang.core.exports import Export, Sheet
from taizhang.organizations.policy import scope_title


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.activities.views import list_filters

    filters = list_filters(viewer, params)
    filters.pop("year")
    qs = (
        activity_list(viewer=viewer, **filters)
        .select_related("org", "kind", "venue_category", "speaker")
        .prefetch_related("attendance__person")
    )

    def rows() -> Iterator[list[Any]]:
        for activity in qs.iterator(chunk_size=2000):
            yield activity_row(activity)

    return Sheet(
        columns=[f.column for f in FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["subtree_of"]),
    )


EXPORT = Export(
    kind="activities.activity",
    title=_("Activity ledger"),
    permission=VIEW,
    ascii_name="activities",
    build=build,
)
