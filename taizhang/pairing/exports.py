"""Pairing in Excel 台账: the pairs with their villages' income, the village figures (in
the columns their import reads back), the partnerships and the ambassadors.

Each export reads the filters of the list page it is taken from (``views.pair_filters``,
``views.partnership_filters``) and the viewer's scope through the module's selectors.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from decimal import Decimal
from itertools import islice
from typing import Any

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import DATE, INTEGER, MONEY, TEXT, YEAR, Column, Export, Sheet
from taizhang.organizations.policy import scope_title
from taizhang.pairing.imports import FIELDS, value_row
from taizhang.pairing.models import Ambassador, AssistanceProject, Pair
from taizhang.pairing.permissions import VIEW
from taizhang.pairing.selectors import pair_list, pair_rows, value_list, with_projects

CHUNK = 2000
TEN_THOUSAND = Decimal(10_000)


def _wan(yuan: int | None) -> Decimal | None:
    """Yuan as 万元, exact (the sheet shows two decimals)."""
    return None if yuan is None else (Decimal(yuan) / TEN_THOUSAND).normalize()


def _chunks(qs: Any) -> Iterator[list[Any]]:
    rows = qs.iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


# --- pairs ---------------------------------------------------------------------------


def build_pairs(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.pairing.views import pair_filters

    filters = pair_filters(viewer, params)
    years = filters.pop("years")
    qs = with_projects(pair_list(viewer=viewer, **filters))
    columns = [
        Column(_("village code")),
        Column(_("village or community"), width=18),
        Column(_("helping organization code")),
        Column(_("helping organization"), width=18),
        Column(_("from"), kind=DATE),
        Column(_("until"), kind=DATE),
        Column(_("collective income target"), kind=MONEY, unit="万元"),
        Column(_("target year"), kind=YEAR),
        *[
            Column(format_lazy(_("collective income {year}"), year=year), kind=MONEY, unit="万元")
            for year in years
        ],
        Column(_("target reached in"), kind=YEAR),
        Column(_("assistance projects"), kind=INTEGER),
        Column(_("assistance funds"), kind=MONEY, unit="万元"),
        Column(_("assistance projects completed"), kind=INTEGER),
        Column(_("assistance project names"), width=30),
        Column(_("note"), width=20),
    ]

    def rows() -> Iterator[list[Any]]:
        # One query for the income of each chunk's villages and one for its projects'
        # names, not one per pair.
        for chunk in _chunks(qs):
            names: dict[int, list[str]] = {}
            for pair_id, name in (
                AssistanceProject.objects.filter(pair__in=chunk)
                .order_by("starts_on", "pk")
                .values_list("pair_id", "name")
            ):
                names.setdefault(pair_id, []).append(name)
            for row in pair_rows(chunk, years):
                pair: Pair = row.pair
                yield [
                    pair.village.code,
                    pair.village.name,
                    pair.helper.code,
                    pair.helper.name,
                    pair.starts_on,
                    pair.ends_on,
                    _wan(pair.target_income),
                    pair.target_year,
                    *[_wan(cell.value) if cell else None for cell in row.cells],
                    row.reached_in,
                    getattr(pair, "project_count", None) or 0,
                    _wan(getattr(pair, "project_funds", None) or 0),
                    getattr(pair, "projects_done", None) or 0,
                    "、".join(names.get(pair.pk, [])),
                    pair.note,
                ]

    return Sheet(
        columns=columns,
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


# --- village figures -----------------------------------------------------------------


def build_values(viewer: Any, params: Mapping[str, str]) -> Sheet:
    """The figures of the listed villages: the year only when the list names one."""
    from taizhang.pairing.views import value_filters

    filters = value_filters(params)
    qs = value_list(viewer=viewer)
    if filters["year"] is not None:
        qs = qs.filter(year=filters["year"])
    if filters["indicator"]:
        qs = qs.filter(indicator=filters["indicator"])
    if filters["q"]:
        qs = qs.filter(village__name__icontains=filters["q"])
    qs = qs.order_by("village__path", "indicator", "year", "pk")

    def rows() -> Iterator[list[Any]]:
        for value in qs.iterator(chunk_size=CHUNK):
            yield value_row(value)

    return Sheet(
        columns=[f.column for f in FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, None),
    )


# --- partnerships and ambassadors ------------------------------------------------------


def build_partnerships(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.pairing.selectors import partnership_list
    from taizhang.pairing.views import partnership_filters

    filters = partnership_filters(viewer, params)
    qs = partnership_list(viewer=viewer, **filters)
    columns = [
        Column(_("title"), width=24),
        Column(_("kind"), width=14),
        Column(_("partner"), width=18),
        Column(_("organization code")),
        Column(_("our organization"), width=16),
        Column(_("signed on"), kind=DATE),
        Column(_("until"), kind=DATE),
        Column(_("place"), width=16),
        dataclasses.replace(Column(_("ambassadors serving"), kind=INTEGER), summed=True),
        Column(_("note"), width=24),
    ]

    def rows() -> Iterator[list[Any]]:
        for p in qs.iterator(chunk_size=CHUNK):
            yield [
                p.title,
                p.get_kind_display(),
                p.partner,
                p.org.code,
                p.org.name,
                p.signed_on,
                p.ends_on,
                p.place,
                p.ambassador_count,  # type: ignore[attr-defined]
                p.note,
            ]

    return Sheet(
        columns=columns,
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_ambassadors(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.pairing.selectors import partnership_list
    from taizhang.pairing.views import partnership_filters

    filters = partnership_filters(viewer, params)
    partnerships = partnership_list(viewer=viewer, **filters)
    qs = (
        Ambassador.objects.filter(partnership__in=partnerships.values("pk"))
        .select_related("person__organization", "partnership__org")
        .order_by("partnership__signed_on", "partnership_id", "appointed_on", "pk")
    )
    today = timezone.localdate()
    columns = [
        Column(_("ambassador"), width=12),
        Column(_("ambassador's unit"), width=16),
        Column(_("appointment"), width=12),
        Column(_("partnership"), width=24),
        Column(_("partner"), width=18),
        Column(_("our organization"), width=16),
        Column(_("appointed on"), kind=DATE),
        Column(_("until"), kind=DATE),
        Column(_("serving"), kind=TEXT),
    ]

    def rows() -> Iterator[list[Any]]:
        for a in qs.iterator(chunk_size=CHUNK):
            serving = a.ends_on is None or a.ends_on >= today
            yield [
                a.person.name,
                a.person.organization.name,
                a.get_role_display(),
                a.partnership.title,
                a.partnership.partner,
                a.partnership.org.name,
                a.appointed_on,
                a.ends_on,
                str(_("yes") if serving else _("no")),
            ]

    return Sheet(
        columns=columns,
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


PAIRS = Export(
    kind="pairing.pair",
    title=_("Paired assistance ledger"),
    permission=VIEW,
    ascii_name="pairs",
    build=build_pairs,
)
VALUES = Export(
    kind="pairing.value",
    title=_("Village figures ledger"),
    permission=VIEW,
    ascii_name="village-figures",
    build=build_values,
)
PARTNERSHIPS = Export(
    kind="pairing.partnership",
    title=_("Partnership ledger"),
    permission=VIEW,
    ascii_name="partnerships",
    build=build_partnerships,
)
AMBASSADORS = Export(
    kind="pairing.ambassador",
    title=_("Ambassador ledger"),
    permission=VIEW,
    ascii_name="ambassadors",
    build=build_ambassadors,
)
EXPORTS = (PAIRS, VALUES, PARTNERSHIPS, AMBASSADORS)
