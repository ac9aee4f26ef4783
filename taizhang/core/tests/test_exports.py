"""The shared Excel writer: safe cells, the 台账 layout, print setup and file names."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from taizhang.core import exports
from taizhang.core.exports import (
    DATE,
    DECIMAL,
    INTEGER,
    MONEY,
    YEAR,
    Column,
    choice_labels,
    export_filename,
    write_workbook,
    xlsx_response,
)

AS_OF = dt.date(2026, 12, 1)
COLUMNS = [
    Column("序号", INTEGER),
    Column("名称", width=30),
    Column("日期", DATE),
    Column("总投资", MONEY, unit="万元", summed=True),
    Column("人数", INTEGER, summed=True),
]


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _sheet(rows, columns=COLUMNS):
    written = write_workbook(
        title="测试台账", organization_name="临溪街道", as_of=AS_OF, columns=columns, rows=rows
    )
    return written, load_workbook(io.BytesIO(written.content)).active


def test_title_row_and_headers_with_units():
    """Row 1 names the ledger, organization and 截至日期; row 2 the headers with units."""
    written, sheet = _sheet([[1, "甲", AS_OF, Decimal("1.5"), 3]])
    assert written.rows == 1
    assert sheet["A1"].value == "测试台账 · 临溪街道 · 截至日期 2026-12-01"
    assert [c.value for c in sheet[2]] == ["序号", "名称", "日期", "总投资（万元）", "人数"]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:E3"  # the 合计 row stays out of the filter


def test_formula_looking_values_are_text():
    """= + - @ and a leading tab stay text: never a live formula."""
    values = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tcmd"]
    _written, sheet = _sheet([[i, v, None, None, None] for i, v in enumerate(values)])
    cells = [sheet.cell(row=3 + i, column=2) for i in range(len(values))]
    assert [c.value for c in cells] == values
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)


def test_control_character_is_stripped_not_fatal():
    """A control character in a name is dropped; the export still answers."""
    _written, sheet = _sheet([[1, "临溪\x01街道\x1f项目", None, None, None]])
    assert sheet["B3"].value == "临溪街道项目"


def test_widths_and_number_formats():
    """Dates get yyyy-mm-dd and room enough to avoid ###; money two decimals."""
    _written, sheet = _sheet([[1, "甲", AS_OF, Decimal("13.77"), 3]])
    assert sheet.column_dimensions["B"].width == 30
    assert sheet.column_dimensions["C"].width >= 12
    assert sheet["C3"].number_format == "yyyy-mm-dd"
    assert sheet["C3"].value == dt.datetime(2026, 12, 1)
    assert sheet["D3"].number_format == "#,##0.00"
    assert sheet["E3"].number_format == "#,##0"


def test_print_layout_landscape_fit_to_width_with_titles():
    """A4 landscape, one page wide, the title and header rows on every printed page."""
    _written, sheet = _sheet([[1, "甲", AS_OF, Decimal(1), 1]])
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$2"


def test_sum_row_adds_the_summed_columns():
    """合计 adds money and counts; unsummed columns stay empty; None is skipped."""
    rows = [
        [1, "甲", AS_OF, Decimal("1.25"), 3],
        [2, "乙", None, None, 4],
        [3, "丙", None, Decimal("2.50"), None],
    ]
    written, sheet = _sheet(rows)
    assert written.rows == 3
    total = [c.value for c in sheet[6]]
    assert total == ["合计", None, None, 3.75, 7]
    assert sheet.auto_filter.ref == "A2:E5"


def test_no_sum_row_without_summed_columns():
    columns = [Column("名称"), Column("日期", DATE)]
    _written, sheet = _sheet([["甲", AS_OF]], columns=columns)
    assert sheet.max_row == 3


def test_aware_datetimes_are_written_in_local_time():
    moment = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)
    columns = [Column("时间", DATE)]
    _written, sheet = _sheet([[moment]], columns=columns)
    assert sheet["A3"].value == dt.datetime(2026, 12, 1, 8, 30)


def test_chinese_file_name_with_ascii_fallback():
    """RFC 6266: filename*=UTF-8'' for the Chinese name, a plain ASCII name beside it."""
    name = export_filename(ledger="问题清单", organization_name="临溪/街道", as_of=AS_OF)
    assert name == "问题清单_临溪街道_2026-12-01.xlsx"
    response = xlsx_response(b"x", filename=name, ascii_filename="problems-2026-12-01.xlsx")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="problems-2026-12-01.xlsx"; ')
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_wrapped_text_gets_a_row_tall_enough():
    """A long name wraps and its row grows; LibreOffice would otherwise clip it on paper."""
    long_name = "临溪街道" * 12
    _written, sheet = _sheet([[1, long_name, None, None, None], [2, "短", None, None, None]])
    assert sheet["B3"].alignment.wrap_text is True
    assert sheet.row_dimensions[3].height > 3 * 14
    assert sheet.row_dimensions[4].height is None


def test_header_and_title_cells_stay_text():
    """A column title (a reporting field's label, typed by a clerk) that starts like a
    formula is text in the header row."""
    columns = [Column("=1+1"), Column("@名称")]
    _written, sheet = _sheet([["a", "b"]], columns=columns)
    assert [c.value for c in sheet[2]] == ["=1+1", "@名称"]
    assert all(c.data_type == "s" for c in sheet[2])


# --- the fast row writer: the same file as openpyxl's own path, labels looked up once ----

KINDS = [("survey", gettext_lazy("Field survey")), ("demand", gettext_lazy("Demand"))]
MIXED = [
    Column("序号", INTEGER),
    Column("名称", width=20),
    Column("来源", labels=lambda: KINDS),
    Column("日期", DATE),
    Column("时间", DATE),
    Column("总投资", MONEY, unit="万元", summed=True),
    Column("面积", DECIMAL),
    Column("年度", YEAR),
    Column("备注", wrap=False),
]


def _mixed_rows():
    moment = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)
    return [
        [1, "临溪街道" * 12, "survey", AS_OF, moment, Decimal("13.77"), 1.5, 2026, " 前后空格 "],
        [2, "=1+1", "demand", None, None, None, Decimal("0.25"), None, ""],
        [3, "", "other", AS_OF, dt.datetime(2026, 1, 2, 3, 4), 7, None, 2025, "#N/A"],
        [4, gettext_lazy("Field survey"), None, None, None, Decimal("-1.5"), 2, None, True],
        [5, "a & b < c > d \"q\" 'x' ]]>", None, None, None, 0, 0, None, "一\r\n二\r三\n四"],
        [6, " ", "survey", None, None, None, None, None, "&amp; &#13; <t>\r"],
    ]


def _parts(content):
    book = zipfile.ZipFile(io.BytesIO(content))
    return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def test_fast_rows_write_the_same_file_as_openpyxl(monkeypatch):
    """Every part of the file (sheet XML, styles) is byte for byte what openpyxl's own
    cell path writes for the same rows: strings, labels, dates, numbers, empty cells,
    formula-looking text, an error code, a lazy translation, a boolean."""
    fast = _sheet(_mixed_rows(), columns=MIXED)[0].content
    monkeypatch.setattr(exports, "LXML", False)  # every data row through openpyxl
    slow = _sheet(_mixed_rows(), columns=MIXED)[0].content
    assert _parts(fast) == _parts(slow)


def test_cells_read_as_before():
    """Labels in Chinese, dates as dates, money and measures in their formats, text text."""
    _written, sheet = _sheet(_mixed_rows(), columns=MIXED)
    first = [c.value for c in sheet[3]]
    assert first[:4] == [1, "临溪街道" * 12, "调研", dt.datetime(2026, 12, 1)]
    assert first[4] == dt.datetime(2026, 12, 1, 8, 30)  # local time, no zone
    assert first[5:] == [13.77, 1.5, 2026, " 前后空格 "]
    assert [c.number_format for c in sheet[3]][3:8] == [
        "yyyy-mm-dd",
        "yyyy-mm-dd",
        "#,##0.00",
        "#,##0.##",
        "0",
    ]
    assert sheet["C4"].value == "诉求"
    assert sheet["C5"].value == "other"  # a value outside the choices shows as stored
    assert sheet["B4"].value == "=1+1" and sheet["B4"].data_type == "s"
    assert sheet["B6"].value == "调研"  # a lazy translation, made text
    assert sheet["I6"].value is True
    assert sheet["B3"].alignment.wrap_text is True
    assert not sheet["I3"].alignment.wrap_text
    assert sheet.row_dimensions[3].height > 3 * 14
    assert sheet["B7"].value == "a & b < c > d \"q\" 'x' ]]>"
    assert sheet["I7"].value == "一\r\n二\r三\n四"
    assert sheet["I8"].value == "&amp; &#13; <t>\r"
    assert [c.value for c in sheet[9]][5] == 19.27  # 合计 of the money column
    assert sheet.auto_filter.ref == "A2:I8"


def test_choice_labels_are_made_text_once_per_export_not_per_row():
    """The labels of a choice column are looked up in one dictionary per export: 10 rows
    and 1,000 rows translate the same number of labels (one each)."""
    translated = []

    def label(text):
        translated.append(text)
        return text

    lazy_label = lazy(label, str)
    choices = [("a", lazy_label("甲")), ("b", lazy_label("乙"))]
    columns = [Column("序号", INTEGER), Column("类别", labels=lambda: choices)]

    def translations(count):
        translated.clear()
        rows = [[i, "ab"[i % 2]] for i in range(count)]
        _written, sheet = _sheet(rows, columns=columns)
        assert [sheet.cell(row=3 + i, column=2).value for i in range(2)] == ["甲", "乙"]
        return len(translated)

    assert translations(10) == translations(1000) == 2


def test_choice_labels_flatten_groups():
    choices = [("a", "甲"), ("组", [("b", gettext_lazy("Field survey")), ("c", "丙")])]
    assert choice_labels(choices) == {"a": "甲", "b": "调研", "c": "丙"}
    assert choice_labels(lambda: [(1, "一")]) == {1: "一"}
