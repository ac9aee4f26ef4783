"""Village figures in and out of Excel: template, import, export round trip, 补录, undo."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.pairing.models import Indicator, IndicatorValue, ValueStatus
from taizhang.pairing.services import indicator_confirm
from taizhang.pairing.tests.factories import FIRST_YEAR, THIS_YEAR, make_income
from tests.xlsx import errors, fill, run

KIND = "pairing.value"
INCOME = str(Indicator.COLLECTIVE_INCOME.label)


@pytest.fixture(autouse=True)
def _chinese():
    """Headers and messages as a Chinese clerk reads them, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _rows(village: str = "A1", years: range | None = None) -> list[dict[str, object]]:
    return [
        {"village_code": village, "indicator": INCOME, "year": year, "value": 40 + i}
        for i, year in enumerate(years or range(FIRST_YEAR, THIS_YEAR + 1))
    ]


def _export(client, user, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"/pairing/values/export/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content


def test_a_filled_template_is_imported_in_yuan_with_past_years_as_late_entries(tree, personas):
    """Values are read in 万元 and kept in yuan; past years keep the 补录 reason, this
    year's figure does not, and one audit event records the real years and the file."""
    batch = run(KIND, fill(KIND, _rows()), personas.street_a, name="2024台账.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    values = {v.year: v for v in IndicatorValue.objects.all()}
    assert [values[y].value for y in sorted(values)] == [400_000, 410_000, 420_000]
    assert all(v.status == ValueStatus.DRAFT for v in values.values())
    assert "2024台账.xlsx" in values[FIRST_YEAR].late_reason
    assert values[THIS_YEAR].late_reason == ""
    event = AuditEvent.objects.get(action="indicator.import")
    assert event.changes["late_entry"]["years"] == [FIRST_YEAR, FIRST_YEAR + 1]
    assert event.changes["late_entry"]["reason"] == values[FIRST_YEAR].late_reason
    assert event.changes["count"] == 3


def test_an_amount_finer_than_a_yuan_and_a_future_year_are_refused(tree, personas):
    rows = _rows(years=range(THIS_YEAR, THIS_YEAR + 1))
    rows.append({"village_code": "A1", "indicator": INCOME, "year": THIS_YEAR + 1, "value": 1})
    rows.append(
        {"village_code": "A1", "indicator": str(Indicator.AID_FUNDS.label), "year": THIS_YEAR}
        | {"value": "1.23456"}
    )
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "年度"), (6, "数值")]
    assert IndicatorValue.objects.count() == 0


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas):
    rows = _rows()
    rows[1]["indicator"] = "收入"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "指标")]
    assert IndicatorValue.objects.count() == 0


def test_a_reupload_is_a_no_op_and_the_same_figures_in_another_file_are_unchanged(tree, personas):
    content = fill(KIND, _rows())
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    try:
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    except AlreadyImported:
        pass
    else:
        raise AssertionError("the second upload was accepted")
    rows = _rows()
    rows.append({"village_code": "A1", "indicator": str(Indicator.PROJECTS.label)} | {"year": 2024})
    rows[-1]["value"] = 2
    batch = run(KIND, fill(KIND, rows), personas.street_a, commit=False)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (1, 0, 3), errors(batch)


def test_an_export_imported_back_is_a_no_op_and_an_edit_revises_only_that_draft(
    tree, personas, client
):
    """An export re-imported changes nothing; an edited draft is revised through
    ``indicator_record``; an edited confirmed figure is refused (only a correction with
    its reason changes it)."""
    make_income(tree.community_a, FIRST_YEAR, 523_456)
    run(KIND, fill(KIND, _rows(years=range(FIRST_YEAR + 1, THIS_YEAR + 1))), personas.street_a)
    exported = _export(client, personas.street_a)
    batch = run(KIND, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)

    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    assert sheet.cell(row=3, column=headers.index("数值") + 1).value == 52.3456
    sheet.cell(row=4, column=headers.index("数值") + 1, value=99)
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    assert IndicatorValue.objects.get(year=FIRST_YEAR + 1).value == 990_000

    sheet.cell(row=3, column=headers.index("数值") + 1, value=60)
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a, commit=False)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["row"] == 3
    assert "已确认锁定" in batch.errors[0]["message"]


def test_undo_removes_the_batch_and_is_refused_once_a_figure_was_confirmed(tree, personas):
    batch = run(KIND, fill(KIND, _rows()), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert IndicatorValue.objects.count() == 0
    assert AuditEvent.objects.filter(action="indicator.import_undo").count() == 1

    batch = run(KIND, fill(KIND, _rows()), personas.street_a, name="again.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    indicator_confirm(value=IndicatorValue.objects.first(), acting_user=SYSTEM)
    try:
        batch_undo(batch=batch, acting_user=personas.street_a)
    except ValidationError:
        pass
    else:
        raise AssertionError("undo went through")
    assert IndicatorValue.objects.count() == 3


def test_a_village_outside_the_scope_is_refused_row_by_row(tree, personas):
    rows = _rows("A1", range(THIS_YEAR, THIS_YEAR + 1)) + _rows(
        "B1", range(THIS_YEAR - 1, THIS_YEAR)
    )
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5]
    assert "B1" in batch.errors[0]["message"]
    assert IndicatorValue.objects.count() == 0


def test_a_unit_that_is_not_a_village_is_refused(tree, personas):
    batch = run(KIND, fill(KIND, _rows("A", range(THIS_YEAR, THIS_YEAR + 1))), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "村或社区" in batch.errors[0]["message"]


def test_a_late_entry_by_hand_keeps_its_reason_and_shows_on_the_pair_page(tree, personas, client):
    from taizhang.pairing.tests.factories import make_organ, make_pair

    pair = make_pair(make_organ(tree), tree.community_a)
    client.force_login(personas.street_a)
    response = client.post(
        f"/pairing/pairs/{pair.pk}/values/",
        {
            "value-indicator": Indicator.COLLECTIVE_INCOME,
            "value-year": FIRST_YEAR,
            "value-value": 480_000,
            "value-late_reason": "原纸质台账补录",
        },
    )
    assert response.status_code == 302
    value = IndicatorValue.objects.get()
    assert value.late_reason == "原纸质台账补录"
    event = AuditEvent.objects.get(action="indicator.record")
    assert event.changes["late_entry"]["year"] == FIRST_YEAR
    page = client.get(f"/pairing/pairs/{pair.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "原纸质台账补录" in page.content.decode()
    assert "补录" in page.content.decode()
