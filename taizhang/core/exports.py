"""One Excel writer for every ledger's export: the 台账 a clerk prints and hands up.

A module declares its columns and streams its rows; the writer gives every file the same
layout: a title row (ledger, organization, 截至日期), a frozen header row with an
autofilter, widths that fit, number formats, a 合计 row for the summed columns, and a
landscape A4 print layout fit to width with the two top rows repeated on every page.
The sheet is written in openpyxl's write-only mode so large exports stream.

Values are never live formulas: text that Excel would read as one (= + - @, a leading tab
or CR) is written as text with a quote prefix, and control characters the file format
refuses are dropped rather than failing the whole export.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from taizhang.core.audit import audit_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT = "text"
DATE = "date"
MONEY = "money"  # a Decimal in 万元, two decimals
INTEGER = "integer"
YEAR = "year"  # 2026, never 2,026
DECIMAL = "decimal"  # a measured quantity (m², 亩): up to two decimals

FORMATS = {
    DATE: "yyyy-mm-dd",
    MONEY: "#,##0.00",
    INTEGER: "#,##0",
    YEAR: "0",
    DECIMAL: "#,##0.##",
}
# A date needs about 11 character widths; below that Excel prints ###.
MIN_WIDTHS = {DATE: 12, MONEY: 12, INTEGER: 6, YEAR: 6, DECIMAL: 10, TEXT: 6}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="F0F2F5")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
MIDDLE = Alignment(vertical="center")
LINE_HEIGHT = 14.5  # points per line of 11 pt text


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header (a lazy translation), unit, width and format."""

    header: Any
    kind: str = TEXT
    unit: Any = ""
    width: int | None = None
    summed: bool = False
    # Text wraps unless told otherwise: a clipped name on paper is a name lost.
    wrap: bool | None = None

    @property
    def wraps(self) -> bool:
        return self.kind == TEXT if self.wrap is None else self.wrap

    @property
    def title(self) -> str:
        header = str(self.header)
        return f"{header}（{self.unit}）" if self.unit else header

    @property
    def fitted_width(self) -> float:
        """Wide enough for its header (a Chinese character is two widths) and its format."""
        header = _display_width(self.title) + 2
        floor = MIN_WIDTHS.get(self.kind, 6)
        if self.width is not None:
            return max(self.width, floor)
        return max(floor, min(header, 24))


@dataclass(frozen=True)
class Written:
    """The bytes of the file and how many data rows it holds."""

    content: bytes
    rows: int


def _display_width(text: str) -> int:
    """Excel's width units: a Chinese character takes two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` wide (measured in LibreOffice:
    a Chinese character prints about 1.8 units wide)."""
    room = max(1.0, width - 0.5)
    weights = (
        sum(1.8 if ord(char) > 0x2E7F else 1.0 for char in part) for part in text.split("\n")
    )
    return sum(max(1, math.ceil(weight / room)) for weight in weights)


def _height(values: Sequence[Any], columns: Sequence[Column]) -> float | None:
    """A row height for wrapped text; LibreOffice does not grow rows on opening a file."""
    lines = max(
        (
            _lines(value, column.fitted_width)
            for value, column in zip(values, columns, strict=True)
            if column.wraps and isinstance(value, str) and value
        ),
        default=1,
    )
    return LINE_HEIGHT * lines + 2 if lines > 1 else None


def clean_text(value: str) -> str:
    """Drop the control characters an .xlsx cannot hold."""
    cleaned: str = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cleaned


def as_text(cell: Any) -> Any:
    """Keep a text cell text: a value starting like a formula (=, +, -, @) is stored as
    a string, never evaluated by Excel or WPS (formula injection). Control characters
    an .xlsx cannot hold are dropped. For every cell written from data: titles, headers,
    dictionary lists."""
    if isinstance(cell.value, str):
        cell.value = clean_text(cell.value)
        if cell.value.startswith(FORMULA_START):
            cell.data_type = "s"
    return cell


def _cell(
    sheet: Any, value: Any, column: Column, styles: dict[tuple[Any, ...], Any] | None = None
) -> WriteOnlyCell:
    """One data cell. ``styles`` caches the style of each kind of cell for one workbook:
    setting a border and an alignment costs openpyxl a lookup per cell, copying the
    finished style array does not (a 500,000-row export has 10 million cells)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.replace(tzinfo=None)
    elif isinstance(value, float):
        value = Decimal(str(value))
    elif value is not None and not isinstance(value, (str, int, Decimal, dt.date)):
        value = str(value)
    quoted = False
    if isinstance(value, str):
        value = clean_text(value)
        quoted = value.startswith(FORMULA_START)
    cell = WriteOnlyCell(sheet, value=value)
    if quoted:
        # Stored as a string, shown as typed, and kept text if someone edits the cell.
        cell.data_type = "s"
    formatted = column.kind in FORMATS and not isinstance(value, str)
    key = (column.kind if formatted else "", column.wraps, quoted)
    if styles is not None and key in styles:
        cell._style = copy(styles[key])
        return cell
    if quoted:
        cell.quotePrefix = True
    if formatted:
        cell.number_format = FORMATS[column.kind]
    cell.alignment = WRAP if column.wraps else MIDDLE
    cell.border = BOX
    if styles is not None:
        styles[key] = copy(cell._style)
    return cell


def _append(
    sheet: Any, index: int, cells: list[Any], values: Sequence[Any], columns: Sequence[Column]
) -> None:
    """Append row ``index``, tall enough for its wrapped text; forget the height once written."""
    height = _height(values, columns)
    if height is not None:
        sheet.row_dimensions[index].height = height
    sheet.append(cells)
    sheet.row_dimensions.pop(index, None)


def write_workbook(
    *,
    title: Any,
    organization_name: str,
    as_of: dt.date,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    sheet_title: Any = None,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Stream ``rows`` (one value per column) into a print-ready workbook."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(clean_text(str(sheet_title or title))[:31] or "Sheet1")
    last = get_column_letter(len(columns))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.fitted_width
    sheet.freeze_panes = "A3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.print_title_rows = "1:2"

    heading = _("%(ledger)s · %(organization)s · as of %(date)s") % {
        "ledger": title,
        "organization": organization_name,
        "date": f"{as_of:%Y-%m-%d}",
    }
    title_cell = as_text(WriteOnlyCell(sheet, value=heading))
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    header_cells = []
    for column in columns:
        cell = as_text(WriteOnlyCell(sheet, value=column.title))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    wrapped = [replace(c, wrap=True) for c in columns]
    _append(sheet, 2, header_cells, [c.title for c in columns], wrapped)

    sums: dict[int, Decimal] = {i: Decimal(0) for i, c in enumerate(columns) if c.summed}
    styles: dict[tuple[Any, ...], Any] = {}
    count = 0
    for row in rows:
        count += 1
        values = list(row)
        if len(values) != len(columns):
            raise ValueError(f"row {count} has {len(values)} values for {len(columns)} columns")
        for index in sums:
            amount = values[index]
            if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
                sums[index] += amount
        cells = [_cell(sheet, v, c, styles) for v, c in zip(values, columns, strict=True)]
        _append(sheet, count + 2, cells, [cell.value for cell in cells], columns)
        if progress is not None and count % 1000 == 0:
            progress(count)
    if sums:
        total_row: list[Any] = []
        for index, column in enumerate(columns):
            total: Any = None
            if index == 0:
                total = pgettext("sum row of an export", "Total")
            if index in sums:
                total = sums[index] if column.kind != INTEGER else int(sums[index])
            cell = _cell(sheet, total, column)
            cell.font = Font(bold=True)
            total_row.append(cell)
        sheet.append(total_row)
    sheet.auto_filter.ref = f"A2:{last}{count + 2}"
    book.properties.title = clean_text(str(title))
    buffer = io.BytesIO()
    book.save(buffer)
    return Written(content=buffer.getvalue(), rows=count)


_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def export_filename(*, ledger: Any, organization_name: str, as_of: dt.date) -> str:
    """``问题清单_临溪街道_2026-12-01.xlsx``: what a clerk saves and sends up."""
    parts = [str(ledger), organization_name, f"{as_of:%Y-%m-%d}"]
    name = "_".join(_UNSAFE_IN_NAME.sub("", part).strip() for part in parts if part)
    return f"{name}.xlsx"


def xlsx_response(content: bytes, *, filename: str, ascii_filename: str) -> HttpResponse:
    """An attachment named in Chinese (RFC 6266 ``filename*``) with an ASCII fallback."""
    response = HttpResponse(content, content_type=XLSX)
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_filename)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response


def export_record(*, actor: Any, action: str, rows: int, filters: dict[str, Any]) -> None:
    """Leave the export in the audit trail: who took how many rows, with which filters."""
    with transaction.atomic():
        audit_record(actor=actor, action=action, changes={"rows": rows, "filters": filters})


def export_filters(request: Any) -> dict[str, str]:
    """The list filters an export was taken with, as the audit trail keeps them."""
    return {key: value[:80] for key, value in request.GET.items() if value}


# --- registered exports, inline or in the background -----------------------------------

# Above this many rows an export runs as a background task and is downloaded when ready.
BACKGROUND_ROWS = 5000


@dataclass(frozen=True)
class Sheet:
    """What a module's export builds for a viewer and the list's filters."""

    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]  # lazy: streamed into the sheet
    count: int
    organization_name: str


@dataclass(frozen=True)
class Export:
    """A ledger's export, registered from the module's manifest.

    ``build(viewer, params)`` reads the list's filters from ``params`` (the query string,
    as strings) exactly as the list page does, and scopes the rows to the viewer.
    """

    kind: str
    title: Any
    permission: str
    ascii_name: str
    build: Callable[[Any, Mapping[str, str]], Sheet]


EXPORTS: dict[str, Export] = {}


def register_export(export: Export) -> Export:
    EXPORTS[export.kind] = export
    return export


def _write(
    export: Export, viewer: Any, params: Mapping[str, str], progress: Any = None
) -> tuple[Written, str]:
    sheet = export.build(viewer, params)
    today = timezone.localdate()
    written = write_workbook(
        title=export.title,
        organization_name=sheet.organization_name,
        as_of=today,
        columns=sheet.columns,
        rows=sheet.rows,
        progress=None if progress is None else (lambda done: progress(done, sheet.count)),
    )
    export_record(
        actor=viewer,
        action=f"{export.kind.split('.')[0]}.export",
        rows=written.rows,
        filters=dict(params),
    )
    name = export_filename(
        ledger=export.title, organization_name=sheet.organization_name, as_of=today
    )
    return written, name


def export_respond(request: Any, kind: str) -> HttpResponse:
    """Answer an export: the file at once, or a background task for a large one."""
    from django.shortcuts import redirect

    from taizhang.core.actors import viewer_of
    from taizhang.core.jobs import job_start

    export = EXPORTS[kind]
    viewer = viewer_of(request)
    params = export_filters(request)
    sheet = export.build(viewer, params)
    if sheet.count > BACKGROUND_ROWS:
        job = job_start(
            kind=EXPORT_JOB,
            label=_("Export %(ledger)s") % {"ledger": export.title},
            params={"export": kind, "filters": params},
            acting_user=viewer,
        )
        return redirect("core:job", pk=job.pk)
    written, name = _write(export, viewer, params)
    today = timezone.localdate()
    return xlsx_response(
        written.content, filename=name, ascii_filename=f"{export.ascii_name}-{today:%Y-%m-%d}.xlsx"
    )


EXPORT_JOB = "core.export"


def _export_job(job: Any, progress: Any) -> dict[str, Any]:
    from django.core.files.base import ContentFile

    export = EXPORTS[job.params["export"]]
    viewer = job.created_by
    if not viewer.has_function(export.permission):
        raise PermissionError("The export's owner no longer holds its permission")
    written, name = _write(export, viewer, job.params.get("filters", {}), progress)
    job.file.save(f"export-{job.pk}.xlsx", ContentFile(written.content), save=False)
    type(job).objects.filter(pk=job.pk).update(file=job.file.name, file_name=name)
    return {"total": written.rows, "rows": written.rows}
