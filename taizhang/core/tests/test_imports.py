"""Reading imported workbooks: cells by kind, and files that must be refused whole."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from taizhang.core.exports import DATE, INTEGER, MONEY
from taizhang.core.imports import (
    CHOICE,
    CellError,
    Field,
    FileRefused,
    Importer,
    parse_date,
    parse_money,
    read_table,
    write_template,
)


class Toy(Importer):
    kind = "core.toy"
    label = "玩具台账"
    permission = "core.toy"
    fields = (
        Field("name", "名称", required=True),
        Field("day", "日期", DATE),
        Field("amount", "金额", MONEY, unit="万元"),
        Field("count", "数量", INTEGER),
        Field("colour", "颜色", CHOICE, choices=lambda: [("r", "红"), ("g", "绿")]),
    )


class Other(Importer):
    kind = "core.other"
    label = "另一台账"
    fields = (Field("a", "甲"), Field("b", "乙"), Field("c", "丙"))


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _book(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["名称", "日期", "金额（万元）", "数量", "颜色"]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-02-03", dt.date(2026, 2, 3)),
        ("2026.2.3", dt.date(2026, 2, 3)),
        ("2026/2/3", dt.date(2026, 2, 3)),
        ("2026年2月3日", dt.date(2026, 2, 3)),
        ("20260203", dt.date(2026, 2, 3)),
        (dt.datetime(2026, 2, 3, 0, 0), dt.date(2026, 2, 3)),
    ],
)
def test_dates_are_read_when_unambiguous(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize("text", ["2026-02-30", "2/3/2026", "26-2-3", "明天"])
def test_impossible_or_ambiguous_dates_are_refused(text):
    with pytest.raises(CellError):
        parse_date(text)


def test_money_is_read_in_the_unit_of_its_column_or_of_its_text():
    assert parse_money(1200, "万元") == 12_000_000
    assert parse_money("13.77", "亿元") == 1_377_000_000
    assert parse_money("1.5亿元", "万元") == 150_000_000
    assert parse_money("3,000", "元") == 3000
    with pytest.raises(CellError):
        parse_money("-5", "万元")
    with pytest.raises(CellError):
        parse_money("9" * 30, "万元")


def test_a_money_column_headed_in_yi_yuan_is_read_in_yi_yuan():
    content = _book([["名称", "金额（亿元）"], ["甲", 2]])
    table, errors = read_table(content, Toy())
    assert errors == []
    assert table.rows[0].values["amount"] == 200_000_000


def test_the_template_reads_back_and_its_instruction_row_is_skipped():
    content = write_template(Toy())
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[2]] == HEADER
    assert str(sheet["A3"].value).startswith("【填写说明】")
    assert sheet.data_validations.dataValidation, "the dictionary column has a drop-down"
    assert book.sheetnames[2] == "示例"
    sheet.append(["甲", "2026-03-01", 10, 3, "绿"])
    buffer = io.BytesIO()
    book.save(buffer)
    table, errors = read_table(buffer.getvalue(), Toy())
    assert errors == []
    assert [r.values for r in table.rows] == [
        {"name": "甲", "day": dt.date(2026, 3, 1), "amount": 100_000, "count": 3, "colour": "g"}
    ]
    assert table.rows[0].number == 4


def test_cell_errors_name_the_row_and_the_column():
    content = _book([HEADER, ["甲", "2026-02-30", "x", 1.5, "蓝"]])
    _table, errors = read_table(content, Toy())
    assert [(e.row, e.column) for e in errors] == [
        (2, "日期"),
        (2, "金额（万元）"),
        (2, "数量"),
        (2, "颜色"),
    ]
    assert str(errors[0]).startswith("第2行『日期』")


def test_a_formula_where_a_value_belongs_is_refused_on_its_row():
    content = _book([HEADER, ["甲", None, "=1+1", None, None]])
    _table, errors = read_table(content, Toy())
    assert [(e.row, e.column) for e in errors] == [(2, "金额（万元）")]


def test_an_extra_or_missing_column_refuses_the_file():
    with pytest.raises(FileRefused, match="备注"):
        read_table(_book([[*HEADER, "备注"], ["甲"]]), Toy())
    with pytest.raises(FileRefused, match="名称"):
        read_table(_book([HEADER[1:], [None, 1]]), Toy())


def test_merged_header_cells_refuse_the_file():
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["甲"])
    sheet.merge_cells("B1:C1")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(FileRefused, match="B1:C1"):
        read_table(buffer.getvalue(), Toy())


def test_a_sheet_of_another_ledger_is_named():
    with pytest.raises(FileRefused, match="另一台账"):
        read_table(_book([["甲", "乙", "丙"], [1, 2, 3]]), Toy(), others=[Toy(), Other()])


def test_not_an_xlsx_is_refused():
    with pytest.raises(FileRefused):
        read_table(b"name,day\n", Toy())
    with pytest.raises(FileRefused):
        read_table(_zip({"hello.txt": b"hi"}), Toy())


def test_an_encrypted_or_old_xls_file_is_refused():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    with pytest.raises(FileRefused, match="密码|.xls"):
        read_table(ole, Toy())


def test_a_macro_workbook_is_refused():
    content = _book([HEADER])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/vbaProject.bin"] = b"\0" * 64
    with pytest.raises(FileRefused, match="宏"):
        read_table(_zip(parts), Toy())


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    content = _book([HEADER])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/media/padding.bin"] = b"\0" * (450 * 1024 * 1024)
    with pytest.raises(FileRefused):
        read_table(_zip(parts), Toy())


def test_an_xml_entity_bomb_is_refused():
    content = _book([HEADER, ["甲"]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    parts["xl/sharedStrings.xml"] = (
        bomb + parts.get("xl/sharedStrings.xml", b"<sst/>").split(b"?>", 1)[-1]
    )
    with pytest.raises(FileRefused):
        read_table(_zip(parts), Toy())


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_total_row_of_an_export_is_skipped_in_either_language():
    content = _book([HEADER, ["甲", None, 5], ["合计", None, 5], ["Total", None, 5]])
    table, errors = read_table(content, Toy())
    assert errors == []
    assert [r.values["name"] for r in table.rows] == ["甲"]


def test_progress_knows_the_size_of_a_sheet_written_without_dimensions():
    """A write-only workbook (our exports) has no size; the reader counts its rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(HEADER)
    for i in range(2500):
        sheet.append([f"名{i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    seen: list[tuple[int, int]] = []
    table, _errors = read_table(buffer.getvalue(), Toy(), progress=lambda d, t: seen.append((d, t)))
    assert len(table.rows) == 2500
    assert seen == [(1000, 2500), (2000, 2500)]


def test_dictionary_values_that_look_like_formulas_stay_text():
    """A dictionary entry (an organization or category named by someone) starting with =
    is written to the template's list sheet as text, never a live formula."""

    class Risky(Importer):
        kind = "core.risky"
        label = "风险台账"
        fields = (
            Field(
                "org",
                "单位",
                CHOICE,
                choices=lambda: [("a", '=HYPERLINK("http://x","点我")'), ("b", "+1+1")],
            ),
        )

    book = load_workbook(io.BytesIO(write_template(Risky())))
    lists = book.worksheets[1]
    cells = [lists.cell(row=2, column=1), lists.cell(row=3, column=1)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x","点我")', "+1+1"]
    assert all(c.data_type == "s" for c in cells)
