"""Training classes in Excel: the class ledger and the rosters with their graduates,
imported through the ingest flow (a past 结业 entered as 补录) and exported by the
list's filters and the viewer's scope."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import batch_undo
from taizhang.trainings import services
from taizhang.trainings.models import Enrollment, TrainingClass
from taizhang.trainings.tests.factories import make_class, make_person, make_sessions
from tests.xlsx import errors, fill, run

CLASSES = "trainings.training_class"
ROSTER = "trainings.enrollment"
PAST = dt.date(2025, 9, 15)


def _export(client: Any, user: Any, url: str) -> bytes:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:200]
    return bytes(response.content)


def _sheet(content: bytes) -> list[dict[str, Any]]:
    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    headers = [str(h) for h in rows[1]]
    return [dict(zip(headers, r, strict=True)) for r in rows[2:] if r[0] != "Total"]


def _edit(content: bytes, row: int, header: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _class(code: str = "A", number: int = 22, **extra: Any) -> dict[str, Any]:
    return {
        "org_code": code,
        "number": number,
        "title": "党支部书记培训班",
        "start_date": PAST,
        "end_date": PAST + dt.timedelta(days=3),
        "capacity": 3,
        **extra,
    }


def _past_class(org: Any, **kwargs: Any) -> TrainingClass:
    return make_class(
        org, start_date=PAST, end_date=PAST + dt.timedelta(days=3), capacity=3, **kwargs
    )


# --- the class ledger ----------------------------------------------------------------------


def test_classes_are_imported_with_their_rule_in_one_audited_write(tree, personas):
    rows = [_class(), _class(number=23, min_attendance_pct=90, reflection_required="否")]
    batch = run(CLASSES, fill(CLASSES, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    first, second = TrainingClass.objects.order_by("number")
    assert (first.org, first.min_attendance_pct, first.reflection_required) == (
        tree.street_a,
        80,
        True,
    )
    assert (second.min_attendance_pct, second.reflection_required) == (90, False)
    assert AuditEvent.objects.get(action="training_class.import").changes["count"] == 2


def test_a_bad_class_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas):
    rows = [_class(), _class(number=23, end_date=PAST - dt.timedelta(days=1)), _class(number=24)]
    batch = run(CLASSES, fill(CLASSES, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "last day")]
    assert "cannot end before it starts" in batch.errors[0]["message"]
    assert not TrainingClass.objects.exists()


def test_an_organizer_outside_the_scope_is_refused_row_by_row(tree, personas):
    batch = run(CLASSES, fill(CLASSES, [_class(), _class("B", 5)]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5]
    assert "within your scope" in batch.errors[0]["message"]


def test_a_class_number_already_used_counts_unchanged_and_undo_removes_the_batch(tree, personas):
    run(CLASSES, fill(CLASSES, [_class()]), personas.street_a)
    batch = run(CLASSES, fill(CLASSES, [_class(), _class(number=23)]), personas.street_a)
    assert (batch.to_create, batch.unchanged) == (1, 1)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert list(TrainingClass.objects.values_list("number", flat=True)) == [22]


def test_the_class_export_reimports_as_a_no_op_and_an_edit_updates(tree, personas, client):
    """Counts and completion are exported but not read back; the capacity is."""
    klass = make_class(tree.street_a)
    make_class(tree.street_b, title="B的班")
    content = _export(client, personas.street_a, "/trainings/export/")
    [row] = _sheet(content)
    assert (row["class number (期次)"], row["trainees enrolled（people）"]) == (22, 0)
    again = run(CLASSES, content, personas.street_a, commit=False)
    assert (again.status, again.to_update, again.unchanged) == (BatchStatus.CHECKED, 0, 1)
    edited = _edit(content, 3, "planned number of trainees（people）", 40)
    batch = run(CLASSES, edited, personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    klass.refresh_from_db()
    assert klass.capacity == 40
    assert AuditEvent.objects.filter(action="training_class.update").count() == 1


def test_a_capacity_below_the_enrolled_trainees_is_refused(tree, personas, client):
    klass = make_class(tree.street_a, capacity=3)
    services.enrollment_create(
        training_class=klass,
        persons=[make_person(tree.community_a, f"学员{i}") for i in range(2)],
        acting_user=SYSTEM,
    )
    content = _export(client, personas.street_a, "/trainings/export/")
    batch = run(
        CLASSES, _edit(content, 3, "planned number of trainees（people）", 1), personas.street_a
    )
    assert batch.status == BatchStatus.FAILED
    assert "cannot be lower" in batch.errors[0]["message"]


# --- rosters and graduates -------------------------------------------------------------------


def _trainee(name: str, code: str = "A", number: int = 22, **extra: Any) -> dict[str, Any]:
    return {"org_code": code, "number": number, "person": name, **extra}


def test_a_roster_enrolls_on_the_real_day(tree, personas):
    """Trainees are enrolled on the day the file gives, else on the class's first day."""
    klass = _past_class(tree.street_a)
    make_person(tree.community_a, "李明")
    make_person(tree.grid_a, "王芳")
    rows = [_trainee("李明", enrolled_on=dt.date(2025, 9, 1)), _trainee("王芳")]
    batch = run(ROSTER, fill(ROSTER, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    days = dict(klass.enrollments.values_list("person__name", "enrolled_on"))
    assert days == {"李明": dt.date(2025, 9, 1), "王芳": PAST}
    assert AuditEvent.objects.get(action="enrollment.import").changes["count"] == 2


def test_a_full_class_and_an_unknown_trainee_are_named_by_row(tree, personas):
    _past_class(tree.street_a)
    for name in ["一", "二", "三", "四"]:
        make_person(tree.community_a, name)
    rows = [_trainee(n) for n in ["一", "二", "查无此人", "三", "四"]]
    batch = run(ROSTER, fill(ROSTER, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "trainee"), (8, "trainee")]
    assert "No person named “查无此人”" in batch.errors[0]["message"]
    assert "The class is full" in batch.errors[1]["message"]
    assert not Enrollment.objects.exists()


def test_a_past_graduation_is_entered_late_with_its_real_day(tree, personas, client):
    """是/否 and the day of 结业 for every trainee close the class on that day; the audit
    event keeps the real day and the reason, and the class page shows 补录."""
    klass = _past_class(tree.street_a)
    for name in ["李明", "王芳"]:
        make_person(tree.community_a, name)
    day = PAST + dt.timedelta(days=3)
    rows = [
        _trainee("李明", graduated="是", attendance_pct=100, completed_on=day),
        _trainee("王芳", graduated="否", attendance_pct=50, completed_on=day),
    ]
    batch = run(ROSTER, fill(ROSTER, rows), personas.street_a, name="2025培训.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    klass.refresh_from_db()
    assert klass.completed_on == day
    assert klass.completion_late_reason == "Imported from 2025培训.xlsx"
    outcome = dict(klass.enrollments.values_list("person__name", "graduated"))
    assert outcome == {"李明": True, "王芳": False}
    assert klass.enrollments.get(person__name="王芳").attendance_pct == 50
    event = AuditEvent.objects.get(action="training_class.complete")
    assert event.changes["late_entry"] == {
        "occurred_on": day.isoformat(),
        "reason": "Imported from 2025培训.xlsx",
    }
    assert event.changes["graduates"] == 1
    client.force_login(personas.street_a)
    page = client.get(f"/trainings/{klass.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Late entry (补录)" in page and "Imported from 2025培训.xlsx" in page


def test_a_graduation_must_name_every_trainee_and_one_day(tree, personas):
    klass = _past_class(tree.street_a)
    services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a, "已在班")], acting_user=SYSTEM
    )
    make_person(tree.community_a, "李明")
    day = PAST + dt.timedelta(days=3)
    batch = run(
        ROSTER,
        fill(ROSTER, [_trainee("李明", graduated="是", completed_on=day)]),
        personas.street_a,
    )
    assert batch.status == BatchStatus.REFUSED
    assert "1 are missing" in batch.errors[0]["message"]
    klass.refresh_from_db()
    assert klass.completed_on is None and klass.enrollments.count() == 1


def test_a_roster_export_reimports_as_a_no_op_and_the_graduate_list_is_final(
    tree, personas, client
):
    """A completed class reads back unchanged; changing a 结业 is refused."""
    klass = _past_class(tree.street_a)
    trainees = [make_person(tree.community_a, n) for n in ["李明", "王芳"]]
    services.enrollment_create(training_class=klass, persons=trainees, acting_user=SYSTEM)
    make_sessions(klass, 2)
    services.training_class_complete(
        training_class=klass, completed_on=PAST + dt.timedelta(days=3), acting_user=SYSTEM
    )
    content = _export(client, personas.street_a, f"/trainings/export/roster/?class={klass.pk}")
    assert [r["graduated"] for r in _sheet(content)] == ["否", "否"]
    again = run(ROSTER, content, personas.street_a, commit=False)
    assert (again.status, again.unchanged, again.to_create) == (BatchStatus.CHECKED, 2, 0), errors(
        again
    )
    batch = run(ROSTER, _edit(content, 3, "graduated", "是"), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "graduate list is final" in batch.errors[0]["message"]


def test_the_roster_export_follows_the_scope_and_its_queries_do_not_grow(tree, personas, client):
    klass = make_class(tree.street_a, capacity=20)
    services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a, "一")], acting_user=SYSTEM
    )
    other = make_class(tree.street_b, capacity=5)
    services.enrollment_create(
        training_class=other, persons=[make_person(tree.community_b, "B")], acting_user=SYSTEM
    )
    assert [
        r["trainee"]
        for r in _sheet(_export(client, personas.street_b, "/trainings/export/roster/"))
    ] == ["B"]

    def queries() -> int:
        client.force_login(personas.street_a)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/trainings/export/roster/").status_code == 200
        return len(captured)

    few = queries()
    services.enrollment_create(
        training_class=klass,
        persons=[make_person(tree.grid_a, f"学员{i}") for i in range(8)],
        acting_user=SYSTEM,
    )
    assert queries() == few
    # A class outside the scope is the same 404 as a missing one.
    client.force_login(personas.street_a)
    assert client.get(f"/trainings/export/roster/?class={other.pk}").status_code == 404


def test_a_roster_import_is_undone_while_nobody_checked_in(tree, personas):
    _past_class(tree.street_a)
    make_person(tree.community_a, "李明")
    batch = run(ROSTER, fill(ROSTER, [_trainee("李明")]), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert not Enrollment.objects.exists()
    assert AuditEvent.objects.filter(action="enrollment.import_undo").exists()
