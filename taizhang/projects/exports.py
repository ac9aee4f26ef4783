"""The key-project ledger as an Excel 台账, in the columns its import reads back, laid
out so it can be handed up on paper.

The ledger is wide (45 columns: the project, its money, its stage dates, twelve months).
Fit to one page width it would print at about a third of its size; core's writer offers
no other layout yet, so the file it writes is given one here: the columns print in five
groups of pages (the project and its units; money, size and stage; stage dates; months;
latest progress) at one scale that fits the widest group (about two thirds), with 序号
and 项目名称 repeated on the left of every page, the title and header rows on top and
page numbers below.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break, ColBreak
from openpyxl.worksheet.properties import PageSetupProperties

from taizhang.core.actors import viewer_of
from taizhang.core.exports import (
    BACKGROUND_ROWS,
    YEAR,
    Column,
    Export,
    Sheet,
    export_filename,
    export_filters,
    export_record,
    export_respond,
    write_workbook,
    xlsx_response,
)
from taizhang.organizations.policy import scope_title
from taizhang.projects.imports import FIELDS, project_row
from taizhang.projects.permissions import VIEW
from taizhang.projects.selectors import export_rows, project_list

KIND = "projects.project"
SUMMED = {
    "total_investment",
    "annual_planned_investment",
    "completed_investment",
    "building_area",
    "land_area",
    "expected_jobs",
    *(f"month_{m}" for m in range(1, 13)),
}
# Columns repeated at the left of every printed page (序号, 项目名称).
TITLE_COLUMNS = 2
# The first column of each printed group of pages after the first: money and stage,
# stage dates, months, latest progress.
GROUP_STARTS = ("total_investment", "actual_planning", "month_1", "latest_progress")
# A month's figure in 万元 fits in 10 widths (99,999.99); core's floor for money is 12,
# which would put the twelve months on two pages.
PRINT_WIDTHS = {f"month_{m}": 10.0 for m in range(1, 13)}
# Width units across a landscape A4 page at 100 % within the writer's margins, measured
# in LibreOffice (one unit of 11 pt text prints about 0.25 cm wide; 112 fill the page).
PAGE_UNITS = 110
LINE_POINTS = 18.5  # one line of the 14 pt title


def columns() -> list[Column]:
    result = []
    for f in FIELDS:
        column = f.column
        if f.key == "id":
            # A number that identifies, not a quantity: 1024, not 1,024.
            column = dataclasses.replace(column, kind=YEAR)
        if f.key in SUMMED:
            column = dataclasses.replace(column, summed=True)
        result.append(column)
    return result


def build(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.projects.views import list_filters

    filters = list_filters(viewer, params)
    qs = export_rows(project_list(viewer=viewer, **filters))

    def rows() -> Iterator[list[Any]]:
        for project in qs.iterator(chunk_size=2000):
            yield project_row(project)

    return Sheet(
        columns=columns(),
        rows=rows(),
        count=qs.order_by().count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


EXPORT = Export(
    kind=KIND,
    title=_("Key project ledger"),
    permission=VIEW,
    ascii_name="projects",
    build=build,
)


def _widths(cols: Sequence[Column]) -> list[float]:
    return [PRINT_WIDTHS.get(f.key, c.fitted_width) for f, c in zip(FIELDS, cols, strict=True)]


def _groups(cols: Sequence[Column]) -> list[tuple[int, int]]:
    """The printed groups as (first, last) column numbers, 1-based, after the title columns."""
    keys = [f.key for f in FIELDS]
    starts = [TITLE_COLUMNS + 1, *(keys.index(k) + 1 for k in GROUP_STARTS)]
    ends = [s - 1 for s in starts[1:]] + [len(cols)]
    return list(zip(starts, ends, strict=True))


def print_scale(cols: Sequence[Column]) -> int:
    """One scale for every page: the widest group with the title columns fits the width."""
    widths = _widths(cols)
    titles = sum(widths[:TITLE_COLUMNS])
    widest = max(sum(widths[first - 1 : last]) for first, last in _groups(cols))
    return max(10, min(100, int(PAGE_UNITS * 100 / (titles + widest))))


def print_layout(content: bytes, cols: Sequence[Column]) -> bytes:
    """Give the written workbook its paper layout (what core's writer cannot say yet):
    groups of columns on their own pages at one readable scale, 序号 and 项目名称 on every
    page, the title wrapped within them so no page clips it, and page numbers."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    widths = _widths(cols)
    for index, (f, width) in enumerate(zip(FIELDS, widths, strict=True), start=1):
        if f.key in PRINT_WIDTHS:
            sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
    sheet.page_setup.scale = print_scale(cols)
    sheet.page_setup.fitToWidth = None
    sheet.page_setup.fitToHeight = None
    sheet.print_title_cols = f"A:{get_column_letter(TITLE_COLUMNS)}"
    breaks = ColBreak()
    for _first, last in _groups(cols)[:-1]:
        breaks.append(Break(id=last))
    sheet.col_breaks = breaks
    # The title row repeats on every page but only its first columns do: wrap it there.
    title = sheet["A1"]
    room = sum(widths[:TITLE_COLUMNS])
    text = str(title.value or "")
    lines = max(1, math.ceil(sum(2.6 if ord(c) > 0x2E7F else 1.3 for c in text) / room))
    title.alignment = Alignment(wrap_text=True, vertical="center")
    # Row 1 only: the header row stays unmerged, as the import requires.
    sheet.merge_cells(f"A1:{get_column_letter(TITLE_COLUMNS)}1")
    sheet.row_dimensions[1].height = LINE_POINTS * lines + 4
    sheet.oddFooter.center.text = str(_("Page &P of &N"))
    sheet.oddFooter.center.size = 9
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_projects(request: Any) -> HttpResponse:
    """The filtered ledger, print-ready; above the background threshold core's job writes it
    (in core's one-page-wide layout)."""
    viewer = viewer_of(request)
    params = export_filters(request)
    sheet = build(viewer, params)
    if sheet.count > BACKGROUND_ROWS:
        return export_respond(request, KIND)
    today = timezone.localdate()
    written = write_workbook(
        title=EXPORT.title,
        sheet_title=_("Key projects"),
        organization_name=sheet.organization_name,
        as_of=today,
        columns=sheet.columns,
        rows=sheet.rows,
    )
    content = print_layout(written.content, sheet.columns)
    export_record(actor=viewer, action="projects.export", rows=written.rows, filters=params)
    name = export_filename(
        ledger=EXPORT.title, organization_name=sheet.organization_name, as_of=today
    )
    return xlsx_response(
        content, filename=name, ascii_filename=f"{EXPORT.ascii_name}-{today:%Y-%m-%d}.xlsx"
    )
