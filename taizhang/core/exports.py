"""One Excel writer for every ledger's export: the 台账 a clerk prints and hands up.

A module declares its columns and streams its rows; the writer gives every file the same
layout: a title row (ledger, organization, 截至日期), a frozen header row with an
autofilter, widths that fit, number formats, a 合计 row for the summed columns, and a
landscape A4 print layout fit to width with the two top rows repeated on every page.
The sheet is written in openpyxl's write-only mode so large exports stream; each
column's width, wrapping, choice labels and cell styles are worked out once per export,
not once per cell, and the data rows go straight into the sheet's XML stream (see
``_RowWriter``): writing 50,000 rows takes seconds, not most of a minute.

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
from openpyxl import LXML, Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import write_cell
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.xml.functions import fromstring

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
MAX_CELL_TEXT = 32767  # longer text is cut by openpyxl's own cell: left to it


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
    # A choice column may carry its choices ((value, label) pairs, or a callable that
    # returns them) and take the raw stored values: the writer shows each value's label,
    # looked up in a dictionary built once per export (``choice_labels``).
    labels: Any = None

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
    if "\n" not in text and len(text) * 1.8 <= room:
        return 1  # short enough whatever its characters: nothing to weigh
    weights = (
        sum(1.8 if ord(char) > 0x2E7F else 1.0 for char in part) for part in text.split("\n")
    )
    return sum(max(1, math.ceil(weight / room)) for weight in weights)


def _height(values: Sequence[Any], widths: Sequence[float | None]) -> float | None:
    """A row height for wrapped text; LibreOffice does not grow rows on opening a file.
    ``widths`` holds each column's fitted width, None for a column that does not wrap."""
    lines = 1
    for value, width in zip(values, widths, strict=True):
        if width is not None and value and isinstance(value, str):
            lines = max(lines, _lines(value, width))
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


def choice_labels(choices: Any) -> dict[Any, str]:
    """``{value: label}`` of Django-style choices (``(value, label)`` pairs, groups
    flattened, or a callable returning them), each lazy label turned into text once.

    ``model.get_FOO_display()`` rebuilds a dictionary of the field's lazy labels and
    translates them on every call; an export looks each value up here instead."""
    if callable(choices):
        choices = choices()
    labels: dict[Any, str] = {}
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # a group: (group label, [(value, label), …])
            labels.update((v, str(text)) for v, text in label)
        else:
            labels[value] = str(label)
    return labels


def _plain(value: Any) -> tuple[Any, bool]:
    """The value as the file stores it, and whether it is text starting like a formula."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.replace(tzinfo=None)
    elif isinstance(value, float):
        value = Decimal(str(value))
    elif value is not None and not isinstance(value, (str, int, Decimal, dt.date)):
        value = str(value)
    if isinstance(value, str):
        value = clean_text(value)
        return value, value.startswith(FORMULA_START)
    return value, False


def _cell(
    sheet: Any, value: Any, column: Column, styles: dict[tuple[Any, ...], Any] | None = None
) -> WriteOnlyCell:
    """One data cell as an openpyxl cell (the 合计 row, and values ``_RowWriter`` leaves
    to openpyxl). ``styles`` caches the style of each kind of cell for one workbook."""
    value, quoted = _plain(value)
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
    sheet: Any, index: int, row: list[Any], values: Sequence[Any], widths: Sequence[float | None]
) -> None:
    """Append row ``index``, tall enough for its wrapped text; forget the height once written."""
    height = _height(values, widths)
    if height is not None:
        sheet.row_dimensions[index].height = height
    sheet.append(row)
    sheet.row_dimensions.pop(index, None)


class _DataRow(list):  # type: ignore[type-arg]
    """A data row of ``(value, quoted)`` pairs, ready for ``_RowWriter``; ``special``
    when a value is text openpyxl treats specially (an error code, over-long text)."""

    special = False


class _RowWriter:
    """Writes a write-only sheet's data rows straight into its XML stream.

    openpyxl writes every appended cell through its generic path: a second cell object
    per value, a failed value bind, a style looked up by hash, a value typed again; that
    was most of an export's time. Here the cells of one column holding one kind of value
    share one style, found once by making that cell the ordinary way; each row is put
    together as escaped XML text, parsed by lxml in one call (an element built per cell
    costs more) and written to the stream with the attributes and value text openpyxl's
    ``lxml_write_cell`` writes, so the file is the same byte for byte (a test compares
    them). Rows holding text openpyxl treats specially (an error code such as ``#N/A``,
    text past Excel's 32,767 characters), and every row where lxml is not installed, go
    through openpyxl's own path. It hooks into the sheet's writer, whose ``write_row``
    openpyxl 3.1 calls with the XML stream for each appended row; the title, header and
    合计 rows go through openpyxl unchanged.
    """

    def __init__(self, book: Any, sheet: Any, columns: Sequence[Column]) -> None:
        self.sheet = sheet
        self.columns = columns
        self.epoch = book.epoch
        self.fast = LXML and not book.iso_dates
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.labels = [None if c.labels is None else choice_labels(c.labels) for c in columns]
        self.widths = [c.fitted_width if c.wraps else None for c in columns]
        self.styles: dict[tuple[int, type, bool], tuple[str, str, bool, bool]] = {}
        self.cell_styles: dict[tuple[Any, ...], Any] = {}
        sheet._get_writer()
        self._write_row = sheet._writer.write_row
        self._to_cells = sheet._values_to_row
        sheet._writer.write_row = self._row
        sheet._values_to_row = lambda row, _index: row

    def append(self, index: int, values: Sequence[Any]) -> None:
        """Append data row ``index`` (one value per column, labels not yet applied)."""
        row = _DataRow()
        lines = 1
        for value, labels, width in zip(values, self.labels, self.widths, strict=True):
            if labels is not None:  # a stored choice value; unknown values show as stored
                value = labels.get(value, value)
            kind = type(value)
            if kind is str:
                value = clean_text(value)
                row.append((value, value.startswith(FORMULA_START)))
            elif value is None or kind is int or kind is Decimal or kind is dt.date:
                row.append((value, False))
                continue
            else:
                row.append(_plain(value))
                value = row[-1][0]
                if not isinstance(value, str):
                    continue
            if value.startswith("#") and value in ERROR_CODES or len(value) > MAX_CELL_TEXT:
                row.special = True
            if width is not None and value:
                lines = max(lines, _lines(value, width))
        if lines > 1:
            self.sheet.row_dimensions[index].height = LINE_HEIGHT * lines + 2
        self.sheet.append(row)
        if lines > 1:
            self.sheet.row_dimensions.pop(index, None)

    def _style(self, col: int, value: Any, quoted: bool) -> tuple[str, str, bool, bool]:
        """The style id, cell type, and whether the value is a date or text, of column
        ``col`` holding a value like ``value``: found once by making that cell the
        ordinary way (which also records its style in the workbook)."""
        model = _cell(self.sheet, value, self.columns[col])
        data_type = model.data_type
        style = (
            f"{model.style_id}",
            "inlineStr" if data_type == "s" else "n" if data_type == "d" else data_type,
            data_type == "d",
            data_type == "s",
        )
        self.styles[col, type(value), quoted] = style
        return style

    def _row(self, xf: Any, row: Any, row_idx: int) -> None:
        if not isinstance(row, _DataRow):
            self._write_row(xf, self._to_cells(row, row_idx), row_idx)
            return
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.sheet.row_dimensions.get(row_idx, {}))
        if row.special or not self.fast:  # the whole row the way openpyxl writes it
            with xf.element("row", attrs):
                for col, (value, _quoted) in enumerate(row):
                    cell = _cell(self.sheet, value, self.columns[col], self.cell_styles)
                    cell.row, cell.column = row_idx, col + 1
                    write_cell(xf, self.sheet, cell, cell.has_style)
            return
        number = attrs["r"]
        parts = ["<row"]
        for key, val in attrs.items():
            parts.append(f' {key}="{val}"')
        parts.append(">")
        styles, letters, epoch = self.styles, self.letters, self.epoch
        empty: list[int] = []
        for col, (value, quoted) in enumerate(row):
            style = styles.get((col, type(value), quoted)) or self._style(col, value, quoted)
            head = f'<c r="{letters[col]}{number}" s="{style[0]}" t="{style[1]}">'
            if value is None or value == "":
                parts.append(head + "</c>")
                empty.append(col)
            elif style[3]:
                space = ' xml:space="preserve"' if value != value.strip() else ""
                if "&" in value:
                    value = value.replace("&", "&amp;")
                if "<" in value:
                    value = value.replace("<", "&lt;")
                if ">" in value:  # "]]>" may not stand in text
                    value = value.replace(">", "&gt;")
                if "\r" in value:
                    value = value.replace("\r", "&#13;")
                parts.append(f"{head}<is><t{space}>{value}</t></is></c>")
            else:
                v = safe_string(to_excel(value, epoch) if style[2] else value)
                parts.append(f"{head}<v>{v}</v></c>")
        parts.append("</row>")
        element = fromstring("".join(parts))
        for col in empty:
            element[col].text = ""  # <c …></c>, as openpyxl writes an empty cell
        xf.write(element)


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
    writer = _RowWriter(book, sheet, columns)
    sheet.append([title_cell])
    header_cells = []
    titles = [column.title for column in columns]
    for header in titles:
        cell = as_text(WriteOnlyCell(sheet, value=header))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    wrapped = [replace(c, wrap=True).fitted_width for c in columns]
    _append(sheet, 2, header_cells, titles, wrapped)

    sums: dict[int, Decimal] = {i: Decimal(0) for i, c in enumerate(columns) if c.summed}
    count = 0
    for row in rows:
        count += 1
        values = row if isinstance(row, list) else list(row)
        if len(values) != len(columns):
            raise ValueError(f"row {count} has {len(values)} values for {len(columns)} columns")
        for index in sums:
            amount = values[index]
            if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
                sums[index] += amount
        writer.append(count + 2, values)
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
