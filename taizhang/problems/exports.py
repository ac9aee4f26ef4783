"""The problem list as an Excel 挂账销号台账 (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from taizhang.problems.models import Problem

WIDTHS = [6, 14, 36, 12, 10, 10, 18, 18, 20, 10, 10, 12, 36, 10, 12, 12, 10, 36, 8]


def headers() -> list[str]:
    return [
        _("Row no."),
        _("Ledger number"),
        _("Problem"),
        _("Problem kind"),
        _("Where it came from"),
        _("Problem category"),
        _("Owning unit"),
        _("Lead unit"),
        _("Co-units"),
        _("Linked leader"),
        _("Responsible person"),
        _("Rectification deadline"),
        _("Rectification measures"),
        _("Ledger state"),
        _("Put on the ledger on"),
        _("Closed out on"),
        _("Verifier"),
        _("Rectification evidence"),
        _("Overdue"),
    ]


def problems_workbook(problems: Iterable[Problem]) -> bytes:
    """One sheet, one row per problem, the columns of a 挂账销号台账."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Problem ledger")[:31]
    title = _("Problem ledger (put on the ledger, closed out with evidence)")
    sheet.append([f"{title} · {timezone.localdate():%Y-%m-%d}"])
    sheet.append(headers())
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F2F5")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    yes, no = _("Yes"), _("No")
    for index, p in enumerate(problems, start=1):
        sheet.append(
            [
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
        )
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=3, min_col=12, max_col=16):
        for cell in row:
            if cell.value is not None and cell.column in (12, 15, 16):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "D3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
