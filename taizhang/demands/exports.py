"""The demand list as Excel. Requesters' contact data is always masked in the file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from taizhang.core.exports import DATE, Column, Written, write_workbook
from taizhang.demands.models import Demand
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import scope_title


def columns() -> list[Column]:
    return [
        Column(_("Demand no."), width=16),
        Column(_("Received on"), DATE),
        Column(_("Intake channel"), width=12),
        Column(_("Demand category"), width=12),
        Column(_("Demand summary"), width=36, wrap=True),
        Column(_("Requester"), width=12),
        Column(_("Contact mobile"), width=14),
        Column(_("Receiving organization"), width=16),
        Column(_("Handling organization"), width=16),
        Column(_("Due on"), DATE),
        Column(_("Demand state"), width=10),
        Column(_("Satisfaction"), width=10),
        Column(_("Concluded on"), DATE),
    ]


def headers() -> list[str]:
    return [column.title for column in columns()]


def scope_name(viewer: Any, permission: str, org: Organization | None = None) -> str:
    """The organization a file is about (``organizations.policy.scope_title``)."""
    return scope_title(viewer, permission, org)


def _rows(demands: Iterable[Demand]) -> Iterator[list[Any]]:
    for d in demands:
        requesters = list(d.requesters.all())
        yield [
            d.number,
            d.received_on,
            d.get_channel_display(),
            d.category.name,
            d.title,
            "、".join(r.name for r in requesters),
            "、".join(r.masked_mobile for r in requesters if r.mobile),
            d.org.short_name,
            d.handling_org.short_name if d.handling_org else "",
            d.due_on,
            d.get_state_display(),
            d.get_satisfaction_display() if d.satisfaction else "",
            d.closed_on,
        ]


def demands_workbook(
    demands: Iterable[Demand], *, organization_name: str, as_of: dt.date
) -> Written:
    return write_workbook(
        title=_("Demand ledger"),
        sheet_title=_("Demands"),
        organization_name=organization_name,
        as_of=as_of,
        columns=columns(),
        rows=_rows(demands),
    )
