"""The key-project ledger through the import flow: template, check, import, round trip,
undo, scope, and past stage dates and months recorded as late entries (补录)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.people.models import PositionTitle
from taizhang.projects.models import Project, ProjectMonth, Stage, StageChange, StagePlan
from taizhang.projects.selectors import project_list
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_person, make_project
from tests.xlsx import errors, fill, run

pytestmark = pytest.mark.django_db

KIND = "projects.project"
TODAY = timezone.localdate
LAST_YEAR = TODAY().year - 1


@pytest.fixture(autouse=True)
def chinese():
    """Clerks read the messages in Chinese; requests switch the language, so fix it."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def leader(tree):
    return make_person(tree.district, "钱区长", PositionTitle.LEADER)


def _row(name: str, org: str = "A1", **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "category": "产业",
        "org_code": org,
        "lead_unit": "A",
        "total_investment": 12000,
        "plan_year": LAST_YEAR,
        "annual_planned_investment": "3000",
        **extra,
    }


def _history(**extra: object) -> dict[str, object]:
    """Last year's project: listed in 前期, land in April, groundbreaking in June."""
    return _row(
        "临溪锂电材料项目",
        linked_leader="钱区长",
        actual_preliminary=dt.date(LAST_YEAR, 1, 10),
        actual_land=dt.date(LAST_YEAR, 4, 8),
        actual_started=dt.date(LAST_YEAR, 6, 20),
        planned_completed=dt.date(LAST_YEAR, 12, 31),
        month_6=500,
        month_7="1200.5",
        **extra,
    )


def _export(client, user, **params: str) -> bytes:
    client.force_login(user)
    response = client.get("/projects/export/", params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content


def test_a_filled_template_is_checked_then_imported(tree, personas, leader):
    """Checking writes nothing; importing puts each row on the ledger with its leader."""
    content = fill(KIND, [_row("甲项目", linked_leader="钱区长"), _row("乙项目", org="A")])
    with pytest.raises(Project.DoesNotExist):
        Project.objects.get()
    batch = run(KIND, content, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.unchanged) == (2, 2, 0)
    assert Project.objects.count() == 0
    batch = run(KIND, content, personas.street_a, name="again.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    first = Project.objects.get(name="甲项目")
    assert first.org == tree.community_a
    assert first.lead_unit == tree.street_a
    assert first.linked_leader == leader
    assert first.total_investment == 120_000_000
    assert first.annual_planned_investment == 30_000_000
    assert first.stage == Stage.PLANNING
    assert AuditEvent.objects.get(action="ingest.import").changes["created"] == {KIND: 2}


def test_stage_dates_become_the_history_as_late_entries(tree, personas, leader):
    """The first dated stage is where the project is listed, each later one a move on its
    real date; all are 补录 with the file as the reason, and audited with both dates."""
    batch = run(KIND, fill(KIND, [_history()]), personas.street_a, name="2025台账.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    project = Project.objects.get()
    assert project.stage == Stage.STARTED
    assert project.stage_since == dt.date(LAST_YEAR, 6, 20)
    actual = dict(StagePlan.objects.filter(project=project).values_list("stage", "actual_on"))
    assert actual[Stage.PRELIMINARY] == dt.date(LAST_YEAR, 1, 10)
    assert actual[Stage.LAND] == dt.date(LAST_YEAR, 4, 8)
    assert actual[Stage.STARTED] == dt.date(LAST_YEAR, 6, 20)
    changes = list(StageChange.objects.filter(project=project).order_by("changed_on"))
    assert [c.to_stage for c in changes] == [Stage.PRELIMINARY, Stage.LAND, Stage.STARTED]
    assert {c.late_reason for c in changes} == {"从《2025台账.xlsx》导入"}
    moves = AuditEvent.objects.filter(action="project.stage_move", object_id=str(project.pk))
    late = moves.latest("pk").changes["late_entry"]
    assert late["occurred_on"] == f"{LAST_YEAR}-06-20"
    assert late["reason"] == "从《2025台账.xlsx》导入"
    assert late["entered_at"][:10] == TODAY().isoformat()


def test_monthly_investment_is_stored_per_month_and_summed(tree, personas, leader):
    """1月…12月 are the plan year's months in 万元; the cumulative figure is their sum."""
    assert run(KIND, fill(KIND, [_history()]), personas.street_a).status == BatchStatus.IMPORTED
    project = Project.objects.get()
    months = dict(ProjectMonth.objects.filter(project=project).values_list("period", "completed"))
    assert months == {dt.date(LAST_YEAR, 6, 1): 5_000_000, dt.date(LAST_YEAR, 7, 1): 12_005_000}
    assert project.completed_investment == 17_005_000
    event = AuditEvent.objects.get(action="project.months_set")
    assert event.changes["late_entry"]["months"] == [f"{LAST_YEAR}-06", f"{LAST_YEAR}-07"]


def test_a_past_planned_date_is_overdue_at_once(tree, personas, leader):
    """A planned 竣工 date last year without an actual date is overdue on import."""
    run(KIND, fill(KIND, [_history()]), personas.street_a)
    assert project_list(viewer=personas.street_a, overdue=True).count() == 1


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas, leader):
    """An unknown linked leader on the second of three rows: nothing is written, and the
    error names the row (header in row 2, instructions in row 3) and the column."""
    rows = [_row("甲"), _row("乙", linked_leader="李不存在"), _row("丙")]
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert Project.objects.count() == 0
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "挂钩领导")]
    assert "李不存在" in batch.errors[0]["message"]


def test_stage_dates_out_of_order_or_in_the_future_are_refused(tree, personas):
    """开工 before 供地, or a stage reached tomorrow, is refused on its row and column."""
    rows = [
        _row("甲", actual_land=dt.date(LAST_YEAR, 5, 1), actual_started=dt.date(LAST_YEAR, 4, 1)),
        _row("乙", actual_started=TODAY() + dt.timedelta(days=1)),
    ]
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (4, "开工实际"),
        (5, "开工实际"),
    ]


def test_monthly_figures_need_a_plan_year(tree, personas):
    """Months without a plan year have no month to belong to."""
    batch = run(KIND, fill(KIND, [_row("甲", plan_year=None, month_3=100)]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "计划年度"


def test_a_reupload_of_an_imported_file_is_a_no_op(tree, personas, leader):
    content = fill(KIND, [_history()])
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    assert Project.objects.count() == 1


def test_the_same_project_in_another_file_is_counted_unchanged(tree, personas, leader):
    """A new row naming a project the organization already keeps is not listed twice."""
    run(KIND, fill(KIND, [_history()]), personas.street_a)
    batch = run(KIND, fill(KIND, [_history(), _row("新项目")]), personas.street_a, commit=False)
    assert (batch.to_create, batch.unchanged) == (1, 1)


def test_an_export_imported_back_is_a_no_op_and_an_edit_is_an_update(
    tree, personas, leader, client
):
    """The export is the template: read back it changes nothing; one edited cell changes
    only that project, through project_update."""
    run(
        KIND,
        fill(KIND, [_history(), _row("乙项目", co_units=["A", "B"]), _row("丙项目")]),
        personas.street_a,
    )
    exported = _export(client, personas.street_a)
    batch = run(KIND, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)
    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    row = next(r for r in range(3, 6) if sheet.cell(r, 2).value == "乙项目")
    sheet.cell(row=row, column=headers.index("建设地点") + 1, value="临溪片区")
    sheet.cell(row=row, column=headers.index("总投资（万元）") + 1, value=15000)
    sheet.cell(row=row, column=headers.index("重大项目级别") + 1, value="省重大项目")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    edited = Project.objects.get(name="乙项目")
    assert (edited.location, edited.total_investment) == ("临溪片区", 150_000_000)
    assert edited.major_level == "province"
    assert set(edited.co_units.values_list("code", flat=True)) == {"A", "B"}
    event = AuditEvent.objects.filter(action="project.update").latest("pk")
    assert event.object_id == str(edited.pk)
    assert set(event.changes) == {"location", "total_investment", "major_level"}


def test_an_export_can_add_the_next_stage_and_month(tree, personas, leader, client):
    """Typing the 主体施工 date and August's figure into an export moves the project on
    and records the month, both as late entries."""
    run(KIND, fill(KIND, [_history()]), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(3, headers.index("主体施工实际") + 1, value=dt.date(LAST_YEAR, 8, 1))
    sheet.cell(3, headers.index("8月完成投资（万元）") + 1, value=800)
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a, name="补充.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    project = Project.objects.get()
    assert project.stage == Stage.CONSTRUCTION
    assert project.stage_changes.latest("pk").late_reason == "从《补充.xlsx》导入"
    assert project.completed_investment == 25_005_000


def test_an_import_does_not_rewrite_recorded_stage_dates(tree, personas, leader, client):
    """A stage date already recorded is history: changing it in a file is refused."""
    run(KIND, fill(KIND, [_history()]), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(3, headers.index("开工实际") + 1, value=dt.date(LAST_YEAR, 6, 1))
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "开工实际")]


def test_undo_removes_the_batch_while_nothing_touched_it(tree, personas, leader):
    batch = run(KIND, fill(KIND, [_history(), _row("乙项目")]), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Project.objects.count() == 0
    assert ProjectMonth.objects.count() == 0
    assert AuditEvent.objects.get(action="project.import_undo").changes["count"] == 2
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE


def test_undo_is_refused_once_a_project_was_changed(tree, personas, leader):
    batch = run(KIND, fill(KIND, [_history()]), personas.street_a)
    project_update(
        project=Project.objects.get(), location="后来改的", acting_user=personas.street_a
    )
    with pytest.raises(ValidationError):
        batch_undo(batch=batch, acting_user=personas.street_a)
    assert Project.objects.count() == 1


def test_an_organization_outside_the_scope_is_refused_row_by_row(tree, personas):
    """A's clerk cannot put a project on B's community: that row is refused, nothing written."""
    batch = run(KIND, fill(KIND, [_row("甲"), _row("乙", org="B1")]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "组织代码")]
    assert "找不到" in batch.errors[0]["message"]
    assert Project.objects.count() == 0


def test_a_numbered_row_outside_the_scope_is_refused(tree, personas):
    """A 序号 naming B's project reads to A's clerk like one that does not exist."""
    other = make_project(tree.street_b, "望澜项目")
    batch = run(KIND, fill(KIND, [_row("望澜项目", id=other.pk)]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "序号"
    assert Project.objects.get(pk=other.pk).org == tree.street_b
