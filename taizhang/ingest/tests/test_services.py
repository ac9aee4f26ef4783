"""The import flow with the activities ledger: check, import, no-op, undo, scope."""

from __future__ import annotations

import datetime as dt
import io

from django.test import TestCase
from django.utils import translation
from openpyxl import load_workbook

from taizhang.activities.models import Activity
from taizhang.activities.services import activity_update
from taizhang.activities.tests.factories import kind, make_person
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from tests.xlsx import errors, fill, run

KIND = "activities.activity"


def _rows(org_code: str, count: int = 3, **extra: object) -> list[dict[str, object]]:
    return [
        {
            "org_code": org_code,
            "kind": kind().name,
            "title": f"集中学习第{i}次",
            "held_on": dt.date(2026, 3, i + 1),
            "participants": 10 + i,
            **extra,
        }
        for i in range(count)
    ]


def test_a_filled_template_is_checked_then_imported(tree, personas):
    """Checking writes nothing; importing writes every row, audited as one import."""
    content = fill(KIND, _rows("A1", 3))
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batch_upload(
            kind=KIND, file_name="活动.xlsx", content=content, acting_user=personas.street_a
        )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.unchanged) == (3, 3, 0)
    assert Activity.objects.count() == 0
    batch = run(KIND, content, personas.street_a, name="again.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert sorted(Activity.objects.values_list("participants", flat=True)) == [10, 11, 12]
    event = AuditEvent.objects.get(action="ingest.import")
    assert event.changes["created"] == {"activities.activity": 3}
    assert event.object_id == str(batch.pk)


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas):
    rows = _rows("A1", 5)
    rows[2]["held_on"] = "2026-02-30"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert Activity.objects.count() == 0
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "date held")]
    assert "does not exist" in batch.errors[0]["message"]


def test_a_reupload_of_an_imported_file_is_a_no_op(tree, personas):
    content = fill(KIND, _rows("A1", 2))
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    try:
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    except AlreadyImported as done:
        assert done.batch.status == BatchStatus.IMPORTED
    else:
        raise AssertionError("the second upload was accepted")
    assert Activity.objects.count() == 2


def test_the_same_rows_in_another_file_are_counted_unchanged(tree, personas):
    run(KIND, fill(KIND, _rows("A1", 2)), personas.street_a)
    batch = run(KIND, fill(KIND, _rows("A1", 3)), personas.street_a, commit=False)
    assert (batch.to_create, batch.unchanged) == (1, 2)


def test_an_export_imported_back_is_a_no_op_and_an_edit_is_an_update(tree, personas, client):
    run(KIND, fill(KIND, _rows("A1", 3)), personas.street_a)
    client.force_login(personas.street_a)
    response = client.get("/activities/export/?year=2026", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    exported = response.content
    translation.activate("en")  # the request left its language active
    batch = run(KIND, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)
    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=3, column=headers.index("活动主题") + 1, value="改过的主题")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    assert Activity.objects.filter(title="改过的主题").count() == 1


def test_undo_removes_the_batch_while_nothing_touched_it(tree, personas):
    batch = run(KIND, fill(KIND, _rows("A1", 3)), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Activity.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert AuditEvent.objects.filter(action="ingest.undo", object_id=str(batch.pk)).exists()
    # Undone, the same file may come in again.
    assert run(KIND, fill(KIND, _rows("A1", 3)), personas.street_a).status == BatchStatus.IMPORTED


def test_undo_is_refused_once_a_record_was_changed(tree, personas):
    from django.core.exceptions import ValidationError

    batch = run(KIND, fill(KIND, _rows("A1", 2)), personas.street_a)
    activity = Activity.objects.first()
    activity_update(activity=activity, acting_user=personas.street_a, title="后来改的")
    try:
        batch_undo(batch=batch, acting_user=personas.street_a)
    except ValidationError as error:
        assert "1 later changes" in error.messages[0]
    else:
        raise AssertionError("undo went through")
    assert Activity.objects.count() == 2


def test_an_organization_outside_the_scope_is_refused_row_by_row(tree, personas):
    rows = _rows("A1", 2) + _rows("B1", 1)
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [6]
    assert "within your scope" in batch.errors[0]["message"]
    assert Activity.objects.count() == 0


def test_persons_are_matched_by_name_and_disambiguated(tree, personas):
    make_person(tree.community_a, "李明")
    make_person(tree.community_a, "王芳")
    make_person(tree.street_a, "王芳")
    rows = _rows("A1", 1, attendees=["李明", "王芳"])
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "2 persons are named" in batch.errors[0]["message"]
    rows = _rows("A1", 1, attendees=["李明", f"王芳（{tree.street_a.short_name}）"])
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Activity.objects.get().participants == 2


def test_reading_an_imported_record_does_not_block_undo(tree, personas):
    from taizhang.core.audit import audit_record

    batch = run(KIND, fill(KIND, _rows("A1", 1)), personas.street_a)
    activity = Activity.objects.get()
    audit_record(actor=personas.street_a, action="activity.reveal", obj=activity)
    audit_record(actor=personas.street_b, action="activity.update", obj=activity, outcome="denied")
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Activity.objects.count() == 0
