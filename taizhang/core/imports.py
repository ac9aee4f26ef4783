"""The vocabulary every ledger's Excel import is written in, and the file it reads.

A module describes one import in its ``imports.py`` as an :class:`Importer`: the columns
(the same ones its export writes, so an export can be edited and imported back), how a
row becomes the input of its own services (``prepare``: resolve names, check scope,
validate, report each problem against its row and column), and how the prepared rows
are written through those services (``commit``). It registers the importer from its
manifest; the ``ingest`` module runs the flow (batches, previews, background tasks,
undo) without importing any ledger.

Reading is defensive because files come from anywhere: only a real .xlsx is opened,
macro-enabled, encrypted and oversized (zip bomb) files are refused before openpyxl sees
them, XML with a DOCTYPE is refused (openpyxl parses with defusedxml as well), and the
sheet is read in read-only mode so memory stays bounded. Cells keep their row number so
every message can say "第12行『挂钩领导』：…".
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from taizhang.core.exports import (
    DATE,
    DECIMAL,
    INTEGER,
    MONEY,
    TEXT,
    YEAR,
    Column,
    as_text,
    clean_text,
)
from taizhang.core.registry import Label

CHOICE = "choice"  # one of a dictionary's values, shown by its label
BOOLEAN = "boolean"  # 是 / 否
TIME = "time"  # 09:30

MAX_FILE_BYTES = 50 * 1024 * 1024
# What the file may inflate to: a 50,000-row sheet of short cells is about 30 MB of XML.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_RATIO = 200  # a member that inflates more than this is a bomb, not a spreadsheet
INSTRUCTION_MARK = "【填写说明】"
HEADER_SEARCH_ROWS = 6

MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}


class FileRefused(Exception):
    """The file as a whole cannot be read (not an xlsx, macro, encrypted, wrong sheet)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem with one row: where it is, what was there and why it is refused."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = _("Row %(row)d") % {"row": self.row} if self.row else _("The file")
        column = f"『{self.column}』" if self.column else ""
        value = ""
        if self.value:
            value = _("(value “%(value)s”)") % {"value": self.value[:40]}
        return f"{where}{column}{value}：{self.message}"


class ImportRefused(Exception):
    """The rows cannot be written as they are; nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = list(errors)


@dataclass(frozen=True)
class Field:
    """One column of an import (and of the export it reads back).

    ``readonly`` columns are written by the export (computed figures, the state) and
    ignored on import. A MONEY column is read in the unit its header names (元, 万元 or
    亿元; 万元 when it names none). ``choices`` gives a dictionary's (value, label) pairs:
    the template offers the labels as a drop-down, the import accepts a label or a value.
    """

    key: str
    header: Label
    kind: str = TEXT
    required: bool = False
    unit: Label = ""
    help: Label = ""
    choices: Callable[[], Sequence[tuple[Any, Any]]] | None = None
    readonly: bool = False
    many: bool = False  # several values separated by 、 or ;
    width: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        header = str(self.header)
        return f"{header}（{self.unit}）" if self.unit else header

    @property
    def column(self) -> Column:
        kind = self.kind if self.kind in {TEXT, DATE, MONEY, INTEGER, YEAR, DECIMAL} else TEXT
        return Column(self.header, kind=kind, unit=self.unit, width=self.width)

    def instruction(self) -> str:
        parts: list[str] = [_("required") if self.required and not self.readonly else ""]
        if self.readonly:
            parts.append(_("filled by the system, ignored on import"))
        hints = {
            DATE: _("a date such as 2026-03-15"),
            TIME: _("a time such as 09:30"),
            MONEY: _("an amount in %(unit)s") % {"unit": self.unit or "万元"},
            INTEGER: _("a whole number"),
            YEAR: _("a year such as 2026"),
            DECIMAL: _("a number"),
            CHOICE: _("pick from the list"),
            BOOLEAN: _("是 or 否"),
        }
        parts.append(str(hints.get(self.kind, "")))
        if self.many:
            parts.append(_("several separated by 、"))
        if self.help:
            parts.append(str(self.help))
        return "；".join(p for p in parts if p)


@dataclass
class Row:
    """One data row: its number in the sheet, the parsed values and the cells as typed."""

    number: int
    values: dict[str, Any]
    raw: dict[str, str]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclass
class Context:
    """What an importer works with: who imports, the file, the errors found so far."""

    actor: Any
    source: str
    fields: dict[str, Field] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    progress: Callable[[int, int], None] = lambda done, total: None
    today: dt.date = field(default_factory=dt.date.today)

    def error(self, row: Row | None, key: str, message: Any, value: Any = None) -> None:
        column = self.fields[key].title if key in self.fields else key
        raw = "" if row is None else row.raw.get(key, "")
        shown = raw if value is None else str(value)
        self.errors.append(
            RowError(row.number if row else None, column, clean_text(shown), str(message))
        )

    def refuse(self) -> None:
        if self.errors:
            raise ImportRefused(self.errors)

    @property
    def reason(self) -> str:
        """The 补录 reason recorded for every past date an import brings in."""
        return _("Imported from %(file)s") % {"file": self.source}


@dataclass(frozen=True)
class Plan:
    """What ``prepare`` found: rows to create, to update, and rows already as recorded."""

    create: list[Any] = field(default_factory=list)
    update: list[Any] = field(default_factory=list)
    unchanged: int = 0
    # (row number, action, summary) for the preview page: what would be written.
    preview: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Written:
    """What ``commit`` wrote, so a batch can be undone: model label and primary keys."""

    created: dict[str, list[Any]] = field(default_factory=dict)
    updated: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.created.values()) + sum(
            len(v) for v in self.updated.values()
        )


class Importer:
    """One import: a ledger or master list read from its own sheet.

    Subclasses set the class attributes and implement ``prepare`` and ``commit``;
    ``undo`` removes what ``commit`` created (only called while no later event touched
    those rows). ``examples`` are the rows of the template's second sheet.
    """

    kind: str = ""
    label: Label = ""
    permission: str = ""
    fields: Sequence[Field] = ()
    order: int = 100

    def examples(self) -> list[dict[str, Any]]:
        return []

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        raise NotImplementedError

    def commit(self, plan: Plan, ctx: Context) -> Written:
        raise NotImplementedError

    def undo(self, written: Written, ctx: Context) -> None:
        raise NotImplementedError

    @property
    def can_undo(self) -> bool:
        return type(self).undo is not Importer.undo

    def field(self, key: str) -> Field:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(key)


# --- cells ---------------------------------------------------------------------------

_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
_MONEY_TEXT = re.compile(r"^(-?[\d,]*\.?\d+)\s*(元|万元|亿元)?$")
_SPLIT = re.compile(r"[、;；,，\n]+")


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says why."""


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise CellError(_("This date does not exist.")) from None
    raise CellError(
        _("Write the date with a four-digit year, such as 2026-03-15 or 2026年3月15日.")
    )


_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


def parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    match = _TIME.match(str(value).strip())
    if match:
        try:
            return dt.time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
        except ValueError:
            pass
    raise CellError(_("Write the time as 09:30."))


def parse_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("Write a number."))
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("Write a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        raise CellError(_("This number is too large."))
    return number


def parse_money(value: Any, unit: str) -> int:
    """An amount in ``unit`` (元, 万元, 亿元) as whole yuan; text may name its own unit."""
    factor = MONEY_UNITS.get(unit or "万元", MONEY_UNITS["万元"])
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace(" ", "")
        match = _MONEY_TEXT.match(text)
        if not match:
            raise CellError(_("Write an amount such as 1200 or 1.5亿元."))
        if match.group(2):
            factor = MONEY_UNITS[match.group(2)]
        value = match.group(1)
    amount = parse_number(value) * factor
    if amount < 0:
        raise CellError(_("An amount cannot be negative."))
    return int(amount.quantize(Decimal(1)))


def choice_map(field_: Field) -> dict[str, Any]:
    """A dictionary's labels in every UI language, and its codes, to the code."""
    known: dict[str, Any] = {}
    if field_.choices is None:
        return known
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in field_.choices():
                known.setdefault(str(label).strip(), code)
    for code, _label in field_.choices():
        known.setdefault(str(code), code)
    return known


def _parse(field_: Field, value: Any, unit: str, choices: dict[str, Any] | None = None) -> Any:
    if field_.kind == DATE:
        return parse_date(value)
    if field_.kind == TIME:
        return parse_time(value)
    if field_.kind == MONEY:
        return parse_money(value, unit)
    if field_.kind in {INTEGER, YEAR}:
        number = parse_number(value)
        if number != number.to_integral_value():
            raise CellError(_("Write a whole number."))
        if field_.kind == YEAR and not 1900 <= number <= 2100:
            raise CellError(_("Write a year such as 2026."))
        return int(number)
    if field_.kind == DECIMAL:
        return parse_number(value)
    if field_.kind == BOOLEAN:
        text = str(value).strip()
        if text in {"是", "Y", "y", "1", "TRUE", "True", "true"} or value is True:
            return True
        if text in {"否", "N", "n", "0", "FALSE", "False", "false"} or value is False:
            return False
        raise CellError(_("Write 是 or 否."))
    if field_.kind == CHOICE and field_.choices is not None:
        text = str(value).strip()
        known = choices if choices is not None else choice_map(field_)
        if text in known:
            return known[text]
        labels = "、".join(str(label) for _code, label in field_.choices())
        raise CellError(_("Pick one of: %(labels)s.") % {"labels": labels[:200]})
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number: 3201 not 3201.0
    if isinstance(value, dt.datetime):
        value = value.date()
    return clean_text(str(value)).strip()


def shown(value: Any) -> str:
    """A cell as the person typed it, for messages."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d}" if value.time() == dt.time() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value)).strip()


# --- the file ------------------------------------------------------------------------


def _check_container(content: bytes) -> None:
    """Refuse what is not a plain .xlsx before openpyxl opens it."""
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(_("The file is larger than 50 MB; split it into several files."))
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileRefused(
            _(
                "This is an encrypted workbook or an old .xls file. Remove the password "
                "or save it as .xlsx (Excel 工作簿) and upload it again."
            )
        )
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise FileRefused(_("This is not an Excel .xlsx file."))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise FileRefused(_("This is not an Excel .xlsx file."))
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise FileRefused(
                _("The file contains macros; save it as a plain .xlsx (without macros).")
            )
        total = 0
        for info in archive.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > MAX_UNPACKED_BYTES or (info.file_size > 10_000_000 and ratio > MAX_RATIO):
                raise FileRefused(_("The file unpacks to far more than a spreadsheet holds."))
        for name in names:
            if name.endswith((".xml", ".rels")):
                with archive.open(name) as part:
                    head = part.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRefused(_("The file contains XML declarations that are refused."))


def _sheet_facts(content: bytes, path: str) -> tuple[list[str], int]:
    """The merged ranges and the number of rows of a sheet, by streaming its XML: read-only
    mode keeps no merged cells, and a file written in write-only mode has no size."""
    merge = re.compile(rb'<mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')
    found: list[str] = []
    rows = 0
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        name = path.lstrip("/")
        if name not in archive.namelist():
            return found, rows
        tail = b""
        with archive.open(name) as part:
            while chunk := part.read(1 << 20):
                data = tail + chunk
                found.extend(m.decode() for m in merge.findall(data))
                # The tail was counted with the previous chunk; a tag split across the
                # boundary is in ``data`` but not in ``tail``.
                rows += sum(data.count(tag) - tail.count(tag) for tag in (b"<row ", b"<row>"))
                tail = data[-64:]
    return sorted(set(found)), rows


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]", "", text)


@dataclass
class Table:
    """The data rows of the sheet that matches an importer's columns."""

    rows: list[Row]
    header_row: int
    units: dict[str, str]


def _header_map(importer: Importer) -> dict[str, Field]:
    """Every header a column may carry: in each UI language, with each money unit."""
    known: dict[str, Field] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for f in importer.fields:
                for name in (f.title, str(f.header), *f.aliases):
                    known.setdefault(_header_key(name), f)
                if f.kind == MONEY:
                    for unit in MONEY_UNITS:
                        known.setdefault(_header_key(f"{f.header}（{unit}）"), f)
    return known


def _money_unit(header: str, field_: Field) -> str:
    for unit in ("亿元", "万元", "元"):
        if f"（{unit}）" in header or f"({unit})" in header:
            return unit
    return str(field_.unit) or "万元"


def _iter_rows(sheet: Any) -> Iterator[tuple[int, list[Any], list[str]]]:
    for index, cells in enumerate(sheet.iter_rows(), start=1):
        values: list[Any] = []
        types: list[str] = []
        for cell in cells:
            values.append(getattr(cell, "value", None))
            types.append(getattr(cell, "data_type", "n") or "n")
        yield index, values, types


def read_table(
    content: bytes,
    importer: Importer,
    *,
    others: Sequence[Importer] = (),
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Table, list[RowError]]:
    """Read the rows of ``importer``'s sheet; whole-file problems raise FileRefused.

    Cell problems (a formula, a date that does not exist) come back as row errors so the
    person sees all of them at once.
    """
    _check_container(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(_("The file cannot be opened as an Excel workbook.")) from error
    try:
        return _read(book, content, importer, others, progress)
    finally:
        book.close()


def _read(
    book: Any,
    content: bytes,
    importer: Importer,
    others: Sequence[Importer],
    progress: Callable[[int, int], None] | None,
) -> tuple[Table, list[RowError]]:
    known = _header_map(importer)
    errors: list[RowError] = []
    for sheet_index, sheet in enumerate(book.worksheets):
        rows = _iter_rows(sheet)
        header: list[Any] | None = None
        header_row = 0
        for index, values, _types in rows:
            texts = [t for t in (_header_key(shown(v)) for v in values) if t]
            hits = sum(1 for t in texts if t in known)
            # The header: several known titles, or a short row of nothing but known titles.
            if hits >= min(3, len(importer.fields)) or (hits and hits == len(texts)):
                header, header_row = values, index
                break
            if index >= HEADER_SEARCH_ROWS:
                break
        if header is None:
            continue
        return _read_sheet(
            sheet, sheet_index, rows, header, header_row, content, importer, known, errors, progress
        )
    # No sheet has this ledger's header: say which ledger it looks like, if any.
    for other in others:
        if other.kind == importer.kind:
            continue
        other_known = _header_map(other)
        for sheet in book.worksheets:
            for index, values, _types in _iter_rows(sheet):
                texts = [_header_key(shown(v)) for v in values]
                if sum(1 for t in texts if t in other_known) >= 3:
                    raise FileRefused(
                        _("This sheet is not a %(ledger)s sheet; it looks like %(other)s.")
                        % {"ledger": importer.label, "other": other.label}
                    )
                if index >= HEADER_SEARCH_ROWS:
                    break
    raise FileRefused(
        _("No sheet has the columns of %(ledger)s; download the template and fill it in.")
        % {"ledger": importer.label}
    )


def _read_sheet(
    sheet: Any,
    sheet_index: int,
    rows: Iterator[tuple[int, list[Any], list[str]]],
    header: list[Any],
    header_row: int,
    content: bytes,
    importer: Importer,
    known: dict[str, Field],
    errors: list[RowError],
    progress: Callable[[int, int], None] | None,
) -> tuple[Table, list[RowError]]:
    merged_ranges, sheet_rows = _sheet_facts(content, getattr(sheet, "_worksheet_path", ""))
    for merged in merged_ranges:
        first, last = merged.split(":")
        top = int(re.sub(r"[A-Z]+", "", first))
        bottom = int(re.sub(r"[A-Z]+", "", last))
        if top <= header_row <= bottom and first != last:
            raise FileRefused(
                _("The header row has merged cells (%(range)s); give every column its own header.")
                % {"range": merged}
            )
    positions: dict[int, Field] = {}
    units: dict[str, str] = {}
    for position, value in enumerate(header):
        text = shown(value)
        if not text:
            continue
        match = known.get(_header_key(text))
        if match is None:
            raise FileRefused(
                _("The column “%(column)s” is not a column of %(ledger)s; remove it.")
                % {"column": text, "ledger": importer.label}
            )
        if match.key in units:
            raise FileRefused(_("The column “%(column)s” appears twice.") % {"column": text})
        positions[position] = match
        units[match.key] = _money_unit(text, match) if match.kind == MONEY else ""
    missing = [f.title for f in importer.fields if f.required and f.key not in units]
    if missing:
        raise FileRefused(
            _("Columns missing: %(columns)s. Download the template to see every column.")
            % {"columns": "、".join(missing)}
        )
    total = max((sheet.max_row or sheet_rows) - header_row, 0)
    maps = {f.key: choice_map(f) for f in positions.values() if f.kind == CHOICE}
    totals = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            totals.add(pgettext("sum row of an export", "Total"))
    parsed: list[Row] = []
    for index, values, types in rows:
        if not any(v is not None and shown(v) != "" for v in values):
            continue
        first = shown(values[0]) if values else ""
        if first.startswith(INSTRUCTION_MARK):
            continue
        if first in totals:
            continue
        row = Row(number=index, values={}, raw={})
        for position, field_ in positions.items():
            value = values[position] if position < len(values) else None
            text = shown(value)
            row.raw[field_.key] = text
            if field_.readonly:
                continue
            if types[position] == "f" if position < len(types) else False:
                errors.append(
                    RowError(index, field_.title, text, _("Write a value, not a formula."))
                )
                continue
            if value is None or text == "":
                if field_.required:
                    errors.append(RowError(index, field_.title, "", _("This column is required.")))
                row.values[field_.key] = [] if field_.many else None
                continue
            try:
                if field_.many:
                    row.values[field_.key] = [
                        _parse(field_, part, units[field_.key], maps.get(field_.key))
                        for part in _SPLIT.split(text)
                        if part.strip()
                    ]
                else:
                    row.values[field_.key] = _parse(
                        field_, value, units[field_.key], maps.get(field_.key)
                    )
            except CellError as error:
                errors.append(RowError(index, field_.title, text, str(error)))
        parsed.append(row)
        if progress is not None and len(parsed) % 1000 == 0:
            progress(len(parsed), total)
    return Table(rows=parsed, header_row=header_row, units=units), errors


# --- the template --------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="F0F2F5")
_HELP_FONT = Font(italic=True, color="666666", size=9)


def write_template(importer: Importer) -> bytes:
    """The workbook a clerk fills: headers, one instruction row, drop-downs, examples."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = clean_text(str(importer.label))[:31]
    dictionary = book.create_sheet(pgettext("sheet of dictionary values", "Lists"))
    examples = book.create_sheet(pgettext("sheet of example rows", "Examples"))
    sheet.append([_("%(ledger)s · import template") % {"ledger": importer.label}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f.title for f in importer.fields])
    notes = [f.instruction() for f in importer.fields]
    notes[0] = f"{INSTRUCTION_MARK}{notes[0]}"
    sheet.append(notes)
    for index, f in enumerate(importer.fields, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(f.column.fitted_width, 14)
        head = sheet.cell(row=2, column=index)
        head.font = Font(bold=True, color="999999" if f.readonly else "000000")
        head.fill = _HEADER_FILL
        head.alignment = Alignment(horizontal="center", wrap_text=True)
        note = sheet.cell(row=3, column=index)
        note.font = _HELP_FONT
        note.alignment = Alignment(wrap_text=True, vertical="top")
        if f.kind == CHOICE and f.choices is not None and not f.many:
            labels = [str(label) for _code, label in f.choices()]
            as_text(dictionary.cell(row=1, column=index, value=f.title))
            for offset, label in enumerate(labels, start=2):
                as_text(dictionary.cell(row=offset, column=index, value=label))
            ref = f"{quote_sheetname(dictionary.title)}!${letter}$2:${letter}${len(labels) + 1}"
            validation = DataValidation(
                type="list", formula1=ref, allow_blank=not f.required, showErrorMessage=True
            )
            validation.error = _("Pick a value from the list.")
            validation.add(f"{letter}4:{letter}5000")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[3].height = 48
    sheet.freeze_panes = "A4"
    dictionary.sheet_state = "hidden"
    examples.append([f.title for f in importer.fields])
    for example in importer.examples():
        examples.append([_example_cell(example.get(f.key)) for f in importer.fields])
    for index, f in enumerate(importer.fields, start=1):
        examples.column_dimensions[get_column_letter(index)].width = max(f.column.fitted_width, 14)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _example_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, Promise):
        return str(value)
    return value
