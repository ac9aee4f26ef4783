"""The activities module's ledgers as Excel 台账, in the columns their imports read back.

Each export reads the same query string as its list page (``views.*_filters``) and the
viewer's scope through the module's selectors; rows stream in chunks with their related
rows fetched per chunk, so the number of queries does not grow with the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _

from taizhang.activities.imports import (
    CAMPAIGN_FIELDS,
    FIELDS,
    SERVICE_FIELDS,
    activity_rows,
    campaign_row,
    service_row,
    visible_attendance,
)
from taizhang.activities.permissions import VIEW
from taizhang.activities.selectors import activity_list, campaign_list, volunteer_service_list
from taizhang.core.exports import Column, Export, Sheet
from taizhang.core.imports import Field
from taizhang.organizations.policy import scope_title

CHUNK = 2000
T = TypeVar("T")


def _chunks(rows: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _columns(fields: Sequence[Field], summed: Collection[str] = ()) -> list[Column]:
    return [dataclasses.replace(f.column, summed=f.key in summed) for f in fields]


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.activities.views import list_filters

    filters = list_filters(viewer, params)
    filters.pop("year")
    qs = (
        activity_list(viewer=viewer, **filters)
        .select_related("org", "kind", "venue_category", "speaker")
        .prefetch_related(visible_attendance(viewer))
    )

    def rows() -> Iterator[list[Any]]:
        for chunk in _chunks(qs.iterator(chunk_size=CHUNK)):
            yield from activity_rows(viewer, chunk)

    return Sheet(
        columns=_columns(FIELDS),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_campaigns(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.activities.views import campaign_filters

    filters = campaign_filters(viewer, params)
    qs = campaign_list(viewer=viewer, **filters).prefetch_related("venue_categories", "teams")

    def rows() -> Iterator[list[Any]]:
        for campaign in qs.iterator(chunk_size=CHUNK):
            yield campaign_row(campaign)

    return Sheet(
        columns=_columns(CAMPAIGN_FIELDS),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_services(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.activities.views import volunteer_filters

    filters = volunteer_filters(viewer, params)
    filters.pop("year")
    qs = volunteer_service_list(viewer=viewer, **filters)

    def rows() -> Iterator[list[Any]]:
        for record in qs.iterator(chunk_size=CHUNK):
            visible = bool(record.person_visible)  # type: ignore[attr-defined]
            yield service_row(record, person_visible=visible)

    return Sheet(
        columns=_columns(SERVICE_FIELDS, {"hours"}),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


EXPORT = Export(
    kind="activities.activity",
    title=_("Activity ledger"),
    permission=VIEW,
    ascii_name="activities",
    build=build,
)
CAMPAIGN_EXPORT = Export(
    kind="activities.campaign",
    title=_("Campaign ledger"),
    permission=VIEW,
    ascii_name="campaigns",
    build=build_campaigns,
)
SERVICE_EXPORT = Export(
    kind="activities.volunteer_service",
    title=_("Volunteer service ledger (双报到)"),
    permission=VIEW,
    ascii_name="volunteer-service",
    build=build_services,
)
