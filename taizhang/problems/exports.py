"""The problem list as an Excel 挂账销号台账, through core's shared writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from taizhang.core.exports import DATE, INTEGER, Column, Written, write_workbook
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import scope_title
from taizhang.problems.models import Problem


def scope_name(viewer: Any, permission: str, org: Organization | None = None) -> str:
    """The organization a file is about (``organizations.policy.scope_title``)."""
    return scope_title(viewer, permission, org)


def columns() -> list[Column]:
    return [
        Column(_("Row no."), INTEGER, width=6),
        Column(_("Ledger number"), width=14),
        Column(_("Problem"), width=36, wrap=True),
        Column(_("Problem kind"), width=12),
        Column(_("Where it came from"), width=10),
        Column(_("Problem category"), width=10),
        Column(_("Owning unit"), width=18),
        Column(_("Lead unit"), width=18),
        Column(_("Co-units"), width=20, wrap=True),
        Column(_("Linked leader"), width=10),
        Column(_("Responsible person"), width=10),
        Column(_("Rectification deadline"), DATE, width=12),
        Column(_("Rectification measures"), width=36, wrap=True),
        Column(_("Ledger state"), width=10),
        Column(_("Put on the ledger on"), DATE, width=12),
        Column(_("Closed out on"), DATE, width=12),
        Column(_("Verifier"), width=10),
        Column(_("Rectification evidence"), width=36, wrap=True),
        Column(_("Overdue"), width=8),
    ]


def headers() -> list[str]:
    return [column.title for column in columns()]


def _rows(problems: Iterable[Problem]) -> Iterator[list[Any]]:
    yes, no = _("Yes"), _("No")
    for index, p in enumerate(problems, start=1):
        yield [
            index,
            p.number,
            p.title,
            p.kind.name,
            p.get_source_display(),
            p.get_category_display(),
            p.org.short_name,
            p.lead_unit.short_name,
            "、".join(u.short_name for u in p.co_units.all()),
            p.linked_leader.name if p.linked_leader else "",
            p.responsible.name if p.responsible else "",
            p.deadline,
            p.measures,
            p.get_state_display(),
            p.raised_on,
            p.closed_on,
            p.verifier.name if p.verifier else "",
            p.evidence_text,
            yes if p.is_overdue else no,
        ]


def problems_workbook(
    problems: Iterable[Problem], *, organization_name: str, as_of: dt.date
) -> Written:
    """One sheet, one row per problem, the columns of a 挂账销号台账."""
    return write_workbook(
        title=_("Problem ledger"),
        organization_name=organization_name,
        as_of=as_of,
        columns=columns(),
        rows=_rows(problems),
    )
