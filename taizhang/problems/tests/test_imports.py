"""The problem ledger in and out of Excel, and past steps entered truthfully (补录).

Import: template → fill → import with the steps each problem went through, every step
dated by its real day and marked as a late entry; an export imported back changes
nothing; an edited export changes only the edited row; one bad row writes nothing; a
re-upload is a no-op; undo removes the batch; units outside the scope are refused row
by row; the duties kept apart hold for a closed-out row. Export: the list's filters and
scope, with a query count that does not grow with the rows.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.problems import services
from taizhang.problems.models import Problem, ProblemKind, ProblemState, ProblemStep, StepAction
from taizhang.problems.selectors import problem_list
from taizhang.problems.tests.factories import link_person, make_person, make_problem, png
from tests.support import make_user
from tests.xlsx import errors, fill, run

pytestmark = pytest.mark.django_db
KIND = "problems.problem"
FILE = "2025年问题清单.xlsx"


@pytest.fixture
def verifier(tree):
    """王书记: a secretary of subdistrict A whose account may sign off there."""
    user = make_user("secretary_a", ("secretary", ScopeKind.SUBTREE, tree.street_a))
    return link_person(user, tree.community_a, "王书记")


def _row(title: str, **extra: object) -> dict[str, object]:
    return {
        "title": title,
        "source": "survey",
        "org": "A1",
        "deadline": dt.date(2025, 6, 30),
        "raised_on": dt.date(2025, 3, 1),
        **extra,
    }


def _closed(title: str, verifier_name: str = "王书记", **extra: object) -> dict[str, object]:
    steps: dict[str, object] = {
        "state": "closed",
        "started_on": dt.date(2025, 3, 5),
        "measures": "分批实施雨污分流",
        "submitted_on": dt.date(2025, 6, 20),
        "evidence_text": "完成雨污分流改造1.2公里，经居民代表确认",
        "closed_on": dt.date(2025, 6, 25),
        "verifier": verifier_name,
    }
    return _row(title, **{**steps, **extra})


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# --- import: the round trip ----------------------------------------------------------


def test_a_filled_template_imports_problems_with_their_past_steps(tree, personas, verifier):
    """Each row becomes a problem in the state it reached, every step on its real day,
    marked as a late entry with the import's reason; checking alone writes nothing."""
    rows = [
        _row("路灯不亮"),
        _row("围墙破损", started_on=dt.date(2025, 3, 10), measures="联系物业修缮"),
        _closed("雨污管网混接"),
    ]
    content = fill(KIND, rows)
    checked = run(KIND, content, personas.street_a, name=FILE, commit=False)
    assert checked.status == BatchStatus.CHECKED, errors(checked)
    assert (checked.rows, checked.to_create, checked.unchanged) == (3, 3, 0)
    assert Problem.objects.count() == 0
    batch = run(KIND, fill(KIND, rows), personas.street_a, name=FILE)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    states = dict(Problem.objects.values_list("title", "state"))
    assert states == {
        "路灯不亮": ProblemState.OPEN,
        "围墙破损": ProblemState.IN_PROGRESS,
        "雨污管网混接": ProblemState.CLOSED,
    }
    closed = Problem.objects.get(title="雨污管网混接")
    assert (closed.raised_on, closed.submitted_on, closed.closed_on) == (
        dt.date(2025, 3, 1),
        dt.date(2025, 6, 20),
        dt.date(2025, 6, 25),
    )
    assert closed.verifier == verifier
    assert closed.created_by == personas.street_a
    steps = list(closed.steps.order_by("occurred_at", "pk"))
    assert [(s.action, _day(s.occurred_at)) for s in steps] == [
        (StepAction.RAISE, dt.date(2025, 3, 1)),
        (StepAction.START, dt.date(2025, 3, 5)),
        (StepAction.SUBMIT, dt.date(2025, 6, 20)),
        (StepAction.VERIFY, dt.date(2025, 6, 25)),
    ]
    assert {s.late_reason for s in steps} == {f"Imported from {FILE}"}
    assert all(
        s.entered_at is not None and _day(s.entered_at) == timezone.localdate() for s in steps
    )


def test_the_import_is_one_audit_event_with_the_real_dates_and_the_moment_of_entry(
    tree, personas, verifier
):
    """One ``problem.import`` event names the file, the days the steps took place and
    when they were entered."""
    run(KIND, fill(KIND, [_row("路灯不亮"), _closed("雨污管网混接")]), personas.street_a, name=FILE)
    event = AuditEvent.objects.get(action="problem.import")
    assert event.changes["count"] == 2
    late = event.changes["late_entry"]
    assert late["occurred_on"] == ["2025-03-01", "2025-06-25"]
    assert late["reason"] == f"Imported from {FILE}"
    assert late["entered_at"].startswith(f"{timezone.now():%Y-%m-%d}")
    assert event.changes["states"] == {"open": 1, "closed": 1}


def test_a_past_deadline_is_imported_and_overdue_at_once(tree, personas):
    """A problem still open whose deadline has passed shows as overdue the moment it is in."""
    run(KIND, fill(KIND, [_row("路灯不亮")]), personas.street_a)
    problem = Problem.objects.get()
    assert problem.is_overdue
    assert list(problem_list(viewer=personas.street_a, overdue=True)) == [problem]


def test_an_undated_step_takes_the_day_of_the_step_before_and_says_so(tree, personas, verifier):
    """A file with only 挂账 and 销号 dates: start and submission are recorded on the
    day before them, and their notes say the file gave no date."""
    row = _closed("雨污管网混接")
    row.pop("started_on")
    row.pop("submitted_on")
    batch = run(KIND, fill(KIND, [row]), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    start = ProblemStep.objects.get(action=StepAction.START)
    submit = ProblemStep.objects.get(action=StepAction.SUBMIT)
    assert _day(start.occurred_at) == dt.date(2025, 3, 1)
    assert _day(submit.occurred_at) == dt.date(2025, 3, 1)
    assert "gives no date" in start.note and "gives no date" in submit.note


def test_the_state_is_the_last_step_dated_when_the_file_leaves_it_empty(tree, personas):
    batch = run(
        KIND,
        fill(KIND, [_row("围墙破损", started_on=dt.date(2025, 3, 10))]),
        personas.street_a,
    )
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Problem.objects.get().state == ProblemState.IN_PROGRESS


# --- import: the duties kept apart ---------------------------------------------------


def test_a_closed_row_without_an_allowed_verifier_stops_at_awaiting_sign_off(
    tree, personas, verifier
):
    """No verifier, a verifier without an account, the responsible person as verifier,
    or the importing clerk herself: each row comes in as 待验收 and the preview says why;
    the sign-off is then given in taizhang."""
    link_person(personas.street_a, tree.street_a, "李文员")
    make_person(tree.community_a, "赵无账号")
    rows = [
        _closed("无验收人", verifier_name=""),
        _closed("验收人无账号", verifier_name="赵无账号"),
        _closed("验收人是责任人", responsible="王书记"),
        _closed("验收人是导入者", verifier_name="李文员"),
        _closed("可以销号"),
    ]
    checked = run(KIND, fill(KIND, rows), personas.street_a, commit=False)
    assert checked.status == BatchStatus.CHECKED, errors(checked)
    notes = [summary for _n, _a, summary in checked.preview if "awaiting sign-off" in summary]
    assert len(notes) == 4
    assert any("no verifier is named" in n for n in notes)
    assert any("赵无账号 has no account that may sign off" in n for n in notes)
    assert any("responsible person cannot sign off" in n for n in notes)
    assert any("You put this problem on the ledger" in n for n in notes)
    run(KIND, fill(KIND, rows), personas.street_a)
    states = dict(Problem.objects.values_list("title", "state"))
    assert states.pop("可以销号") == ProblemState.CLOSED
    assert set(states.values()) == {ProblemState.PENDING}
    pending = Problem.objects.get(title="验收人无账号")
    assert (pending.closed_on, pending.verifier) == (None, None)
    assert not pending.steps.filter(action=StepAction.VERIFY).exists()


def test_a_kind_that_allows_self_close_lets_the_importer_be_the_verifier(tree, personas):
    kind = services.problem_kind_create(
        code="own_task", name="自办事项", self_close_allowed=True, acting_user=SYSTEM
    )
    link_person(personas.street_a, tree.street_a, "李文员")
    batch = run(
        KIND,
        fill(KIND, [_closed("自办", verifier_name="李文员", kind=kind.name)]),
        personas.street_a,
    )
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Problem.objects.get().state == ProblemState.CLOSED


def test_recording_a_sign_off_needs_the_sign_off_function(tree, personas, verifier):
    """A grid worker (no 销号 function) imports a closed row: it stops at 待验收."""
    worker = make_user("worker", ("grid_worker", ScopeKind.SUBTREE, tree.street_a))
    checked = run(KIND, fill(KIND, [_closed("雨污管网混接")]), worker, commit=False)
    assert checked.status == BatchStatus.CHECKED, errors(checked)
    assert "Signing off needs the sign-off function" in checked.preview[0][2]


def test_the_bulk_service_refuses_a_sign_off_the_rules_forbid(tree, personas, verifier):
    """``problem_import`` applies the same rules itself: a closed row whose verifier is
    the responsible person writes nothing."""
    data = services.ProblemIn(
        org=tree.community_a,
        title="雨污管网混接",
        deadline=dt.date(2025, 6, 30),
        source="survey",
        raised_on=dt.date(2025, 3, 1),
        responsible=verifier,
        state=ProblemState.CLOSED,
        evidence_text="完成雨污分流改造1.2公里",
        closed_on=dt.date(2025, 6, 25),
        verifier=verifier,
    )
    with pytest.raises(ValidationError, match="responsible person"):
        services.problem_import(
            rows=[data], source="x.xlsx", late_reason="Imported", acting_user=personas.street_a
        )
    assert Problem.objects.count() == 0


# --- import: errors, no-ops, undo, scope ---------------------------------------------


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row_and_column(
    tree, personas, verifier
):
    rows = [_row(f"问题{i}") for i in range(5)]
    rows[2]["raised_on"] = "2025-02-30"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert Problem.objects.count() == 0
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "Put on the ledger on")]
    assert "does not exist" in batch.errors[0]["message"]


def test_steps_out_of_order_are_named_by_their_column(tree, personas, verifier):
    rows = [
        _row("正常"),
        _closed("倒序", closed_on=dt.date(2025, 6, 1)),
        _row("未来", raised_on=dt.date(2099, 1, 1), deadline=dt.date(2099, 2, 1)),
    ]
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    found = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "before the step before it" in found[(5, "Closed out on")]
    assert "after today" in found[(6, "Put on the ledger on")]
    assert Problem.objects.count() == 0


def test_a_reupload_is_a_no_op_and_the_same_rows_in_another_file_are_unchanged(tree, personas):
    content = fill(KIND, [_row("路灯不亮"), _row("围墙破损")])
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    again = run(
        KIND, fill(KIND, [_row("路灯不亮"), _row("围墙破损"), _row("新问题")]), personas.street_a
    )
    assert (again.to_create, again.unchanged) == (1, 2)
    assert Problem.objects.count() == 3


def test_undo_removes_the_problems_and_their_steps(tree, personas, verifier):
    batch = run(KIND, fill(KIND, [_row("路灯不亮"), _closed("雨污管网混接")]), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Problem.objects.count() == 0
    assert ProblemStep.objects.count() == 0
    assert AuditEvent.objects.filter(action="problem.import_undo").get().changes["count"] == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE


def test_undo_is_refused_once_a_problem_was_worked_on(tree, personas):
    batch = run(KIND, fill(KIND, [_row("路灯不亮")]), personas.street_a)
    services.problem_start(problem=Problem.objects.get(), acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        batch_undo(batch=batch, acting_user=personas.street_a)
    assert Problem.objects.count() == 1


def test_a_unit_outside_the_scope_is_refused_row_by_row(tree, personas):
    rows = [_row("A的问题"), _row("B的问题", org="B1"), _row("B牵头", lead_unit="B1")]
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (5, "Owning unit"),
        (6, "Lead unit"),
    ]
    assert all("within your scope" in e["message"] for e in batch.errors)
    assert Problem.objects.count() == 0


def test_a_ledger_number_outside_the_scope_is_refused(tree, personas):
    other = make_problem(tree.community_b, title="B的问题")
    batch = run(KIND, fill(KIND, [_row("B的问题", number=other.number)]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "Ledger number"


# --- export and import back ------------------------------------------------------------


def _export(client, user, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"{reverse('problems:export')}?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    translation.activate("en")  # the request left its language active
    return response.content


def test_an_export_imported_back_is_a_no_op(tree, personas, verifier, client):
    """Every state and step date read back equals the record: 0 new, 0 changed."""
    run(
        KIND,
        fill(
            KIND,
            [
                _row("路灯不亮", co_units=["A"], responsible="王书记"),
                _row("围墙破损", started_on=dt.date(2025, 3, 10), measures="联系物业修缮"),
                _closed("雨污管网混接"),
            ],
        ),
        personas.street_a,
    )
    make_problem(tree.community_a, title="新挂账的问题", acting_user=personas.street_a)
    batch = run(KIND, _export(client, personas.street_a), personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (4, 0, 0, 4)


def test_an_edited_export_updates_only_the_edited_row(tree, personas, client):
    run(KIND, fill(KIND, [_row("路灯不亮"), _row("围墙破损")]), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    title = headers.index("问题（事项）") + 1
    row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, title).value == "围墙破损")
    sheet.cell(row=row, column=title, value="围墙破损待修")
    sheet.cell(row=row, column=headers.index("整改时限") + 1, value=dt.date(2025, 9, 30))
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 1)
    edited = Problem.objects.get(title="围墙破损待修")
    assert edited.deadline == dt.date(2025, 9, 30)
    assert Problem.objects.get(title="路灯不亮").deadline == dt.date(2025, 6, 30)
    assert AuditEvent.objects.filter(action="problem.update", object_id=str(edited.pk)).exists()


def test_an_export_edited_in_its_history_is_refused(tree, personas, client):
    """The state and step dates of a problem on the ledger change on its page only."""
    run(KIND, fill(KIND, [_row("路灯不亮")]), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=3, column=headers.index("状态") + 1, value="销号")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "Ledger state"
    assert "history" in batch.errors[0]["message"]
    assert Problem.objects.get().state == ProblemState.OPEN


def test_the_export_follows_the_list_filters_and_scope(tree, personas, client):
    make_problem(tree.community_a, title="A的待办")
    started = make_problem(tree.community_a, title="A的整改中")
    services.problem_start(problem=started, acting_user=SYSTEM)
    make_problem(tree.community_b, title="B的问题")
    sheet = load_workbook(
        io.BytesIO(_export(client, personas.street_a, "state=in_progress"))
    ).active
    titles = [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert titles == ["A的整改中"]
    sheet = load_workbook(io.BytesIO(_export(client, personas.street_b))).active
    titles = [r[2] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert titles == ["B的问题"]
    event = AuditEvent.objects.filter(action="problems.export").latest("pk")
    assert event.changes["rows"] == 1


def test_the_export_query_count_does_not_grow_with_rows(tree, personas):
    from taizhang.problems.exports import build

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            sheet = build(personas.district, {})
            list(sheet.rows)
        return len(queries)

    count()  # the viewer's grants are read once and kept for the request
    for i in range(2):
        problem = make_problem(tree.community_a, title=f"问题{i}", co_units=[tree.street_a])
        services.problem_start(problem=problem, acting_user=SYSTEM)
    few = count()
    for i in range(2, 12):
        problem = make_problem(tree.community_b, title=f"问题{i}", co_units=[tree.street_b])
        services.problem_start(problem=problem, acting_user=SYSTEM)
    assert count() == few


# --- 补录 by hand ----------------------------------------------------------------------


def test_a_late_step_keeps_its_real_date_and_is_audited_with_the_moment_of_entry(tree, personas):
    problem = make_problem(
        tree.community_a,
        raised_on=dt.date(2025, 3, 1),
        deadline=dt.date(2025, 6, 30),
        late_reason="去年的纸质台账",
        acting_user=personas.street_a,
    )
    assert problem.is_overdue
    raised = problem.steps.get()
    assert (_day(raised.occurred_at), raised.late_reason) == (dt.date(2025, 3, 1), "去年的纸质台账")
    services.problem_start(
        problem=problem,
        when=services.late_moment(dt.date(2025, 3, 5)),
        late_reason="去年的纸质台账",
        acting_user=personas.street_a,
    )
    step = problem.steps.get(action=StepAction.START)
    assert _day(step.occurred_at) == dt.date(2025, 3, 5)
    assert step.entered_at is not None and _day(step.entered_at) == timezone.localdate()
    event = AuditEvent.objects.filter(action="problem.start").latest("pk")
    assert event.changes["late_entry"]["occurred_on"] == "2025-03-05"
    assert event.changes["late_entry"]["reason"] == "去年的纸质台账"
    assert "entered_at" in event.changes["late_entry"]


def test_a_late_submission_may_come_without_files_and_be_signed_off_later(tree, personas, verifier):
    problem = make_problem(
        tree.community_a,
        raised_on=dt.date(2025, 3, 1),
        deadline=dt.date(2025, 6, 30),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    services.problem_start(
        problem=problem,
        when=services.late_moment(dt.date(2025, 3, 2)),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    services.problem_submit(
        problem=problem,
        evidence_text="完成改造，照片存于纸质档案",
        when=services.late_moment(dt.date(2025, 6, 1)),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    secretary = verifier.user
    services.problem_verify(
        problem=problem,
        when=services.late_moment(dt.date(2025, 6, 5)),
        late_reason="纸质台账",
        acting_user=secretary,
    )
    problem.refresh_from_db()
    assert (problem.state, problem.closed_on) == (ProblemState.CLOSED, dt.date(2025, 6, 5))


@pytest.mark.parametrize(
    "day, message",
    [
        (dt.date(2025, 2, 1), "cannot be dated before 2025-03-01"),
        (None, "is for a step taken before today"),
    ],
)
def test_a_late_step_must_lie_between_the_last_move_and_today(tree, personas, day, message):
    problem = make_problem(
        tree.community_a,
        raised_on=dt.date(2025, 3, 1),
        deadline=dt.date(2025, 6, 30),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    when = services.late_moment(day) if day else timezone.now()
    with pytest.raises(ValidationError, match=message):
        services.problem_start(
            problem=problem, when=when, late_reason="纸质台账", acting_user=personas.street_a
        )


def test_a_sign_off_by_someone_else_is_only_a_late_entry_and_follows_the_rules(
    tree, personas, verifier
):
    problem = make_problem(
        tree.community_a,
        raised_on=dt.date(2025, 3, 1),
        deadline=dt.date(2025, 6, 30),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    services.problem_start(
        problem=problem,
        when=services.late_moment(dt.date(2025, 3, 2)),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    services.problem_submit(
        problem=problem,
        evidence_text="完成改造，照片存于纸质档案",
        files=[png()],
        when=services.late_moment(dt.date(2025, 6, 1)),
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    when = services.late_moment(dt.date(2025, 6, 5))
    with pytest.raises(ValidationError, match="only be recorded as a late entry"):
        services.problem_verify(problem=problem, verifier=verifier, acting_user=personas.street_a)
    other = make_person(tree.community_a, "无账号")
    with pytest.raises(ValidationError, match="has no account"):
        services.problem_verify(
            problem=problem,
            verifier=other,
            when=when,
            late_reason="纸质台账",
            acting_user=personas.street_a,
        )
    services.problem_verify(
        problem=problem,
        verifier=verifier,
        when=when,
        late_reason="纸质台账",
        acting_user=personas.street_a,
    )
    problem.refresh_from_db()
    assert problem.verifier == verifier


def test_the_forms_record_a_late_step_and_the_page_shows_it(tree, personas, client):
    """The create form accepts a past deadline only as 补录; the start form takes a
    real date and reason; the page tags both steps 补录."""
    client.force_login(personas.street_a)
    data = {
        "title": "补录的问题",
        "kind": ProblemKind.objects.get(code="problem").pk,
        "source": "survey",
        "category": "other",
        "org": tree.community_a.pk,
        "lead_unit": tree.community_a.pk,
        "deadline": "2025-06-30",
    }
    response = client.post(reverse("problems:create"), data)
    assert response.status_code == 200 and not Problem.objects.exists()
    response = client.post(
        reverse("problems:create"),
        {**data, "late": "on", "raised_on": "2025-03-01", "late_reason": "纸质台账补录"},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert (problem.raised_on, problem.is_overdue) == (dt.date(2025, 3, 1), True)
    response = client.post(
        reverse("problems:start", args=[problem.pk]),
        {
            "measures": "分批改造",
            "late": "on",
            "occurred_on": "2025-03-04",
            "late_reason": "纸质台账补录",
        },
    )
    assert response.status_code == 302
    start = problem.steps.get(action=StepAction.START)
    assert _day(start.occurred_at) == dt.date(2025, 3, 4)
    body = client.get(
        reverse("problems:detail", args=[problem.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert body.count(">补录</span>") == 3  # the heading and both steps
    assert "纸质台账补录" in body


def test_the_start_form_refuses_a_late_entry_without_a_reason(tree, personas, client):
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    client.force_login(personas.street_a)
    response = client.post(
        reverse("problems:start", args=[problem.pk]), {"late": "on", "occurred_on": "2025-03-04"}
    )
    assert response.status_code == 422
    problem.refresh_from_db()
    assert problem.state == ProblemState.OPEN


def test_evidence_files_are_still_required_for_a_step_taken_now(tree, personas):
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_start(problem=problem, acting_user=personas.street_a)
    with pytest.raises(ValidationError, match="Attach at least one file"):
        services.problem_submit(
            problem=problem, evidence_text="完成改造并经居民确认", acting_user=personas.street_a
        )
    services.problem_submit(
        problem=problem,
        evidence_text="完成改造并经居民确认",
        files=[png()],
        acting_user=personas.street_a,
    )


def test_template_download_is_offered_to_the_clerk(tree, personas, client):
    client.force_login(personas.street_a)
    body = client.get(reverse("problems:list")).content.decode()
    assert reverse("ingest:start", args=[KIND]) in body


def test_checking_a_file_does_not_query_per_row(tree, personas, verifier):
    """Names, units, verifiers and existing records are read for all rows at once."""
    from taizhang.core.imports import Context, read_table
    from taizhang.core.registry import IMPORTERS

    importer = IMPORTERS[KIND]

    def queries(count: int) -> int:
        rows = [
            _closed(f"问题{i}", co_units=["A"], responsible="王书记", verifier_name="王书记")
            if i % 2
            else _closed(f"问题{i}", co_units=["A"])
            for i in range(count)
        ]
        table, cell_errors = read_table(fill(KIND, rows), importer)
        assert not cell_errors
        ctx = Context(
            actor=personas.street_a,
            source="x.xlsx",
            fields={f.key: f for f in importer.fields},
            today=timezone.localdate(),
        )
        with CaptureQueriesContext(connection) as captured:
            plan = importer.prepare(table.rows, ctx)
        assert not ctx.errors and len(plan.create) == count
        return len(captured)

    queries(2)  # the viewer's grants are read once and kept
    assert queries(4) == queries(24)
