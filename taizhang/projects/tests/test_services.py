"""Writes to the project ledger: scope checks, stage rules, progress and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.core.models import AuditEvent
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import PositionTitle
from taizhang.projects.models import Category, ProjectMonth, Stage, StagePlan
from taizhang.projects.services import (
    progress_report_create,
    project_create,
    project_months_set,
    project_schedule_set,
    project_stage_move,
    project_update,
)
from taizhang.projects.tests.factories import make_person, make_project
from tests.files import pdf_bytes

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def test_create_writes_one_audit_event_with_the_fields(tree, personas):
    """Creating a project audits it once, with the ledger columns as the diff."""
    before = AuditEvent.objects.count()
    project = project_create(
        org=tree.street_a,
        name="临溪智造园",
        category=Category.INDUSTRY,
        lead_unit=tree.street_a,
        co_units=[tree.community_a],
        total_investment=970_000_000,
        acting_user=personas.street_a,
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "project.create"
    assert event.object_id == str(project.pk)
    assert event.changes["total_investment"] == [None, 970_000_000]
    assert event.changes["co_units"] == [None, [tree.community_a.pk]]
    assert project.stage == Stage.PLANNING
    assert project.stage_changes.count() == 1


def test_a_ledger_kept_elsewhere_keeps_its_listing_day(tree, personas):
    """An import (or the demo) puts a project on the ledger on the day it was listed,
    so the monthly figures count it in that month; a day in the future is refused."""
    listed = timezone.now() - dt.timedelta(days=200)
    project = make_project(tree.street_a, when=listed)
    project.refresh_from_db()
    assert project.created_at == listed
    assert make_project(tree.street_a, "今日项目").created_at > listed
    with pytest.raises(ValidationError):
        make_project(tree.street_a, "未来项目", when=timezone.now() + dt.timedelta(days=1))


def test_create_on_an_organization_out_of_scope_is_refused(tree, personas):
    """A clerk of subdistrict B cannot put a project on A's ledger."""
    with pytest.raises(PermissionDenied):
        project_create(
            org=tree.street_a,
            name="越权项目",
            category=Category.INDUSTRY,
            lead_unit=tree.street_a,
            acting_user=personas.street_b,
        )


def test_negative_money_is_refused(tree, personas):
    """Total investment cannot be negative."""
    with pytest.raises(ValidationError):
        project_create(
            org=tree.street_a,
            name="负数项目",
            category=Category.INDUSTRY,
            lead_unit=tree.street_a,
            total_investment=-1,
            acting_user=personas.street_a,
        )


def test_update_records_the_diff(tree, personas):
    """Editing records old and new values of the changed columns only."""
    project = make_project(tree.street_a)
    project_update(
        project=project,
        location="临溪片区",
        total_investment=2_000_000_000,
        acting_user=personas.street_a,
    )
    event = AuditEvent.objects.latest("id")
    assert event.action == "project.update"
    assert event.changes == {
        "location": ["", "临溪片区"],
        "total_investment": [1_377_000_000, 2_000_000_000],
    }


def test_update_cannot_move_a_project_out_of_scope(tree, personas):
    """Moving a project onto an organization the clerk does not manage is refused."""
    project = make_project(tree.street_a)
    with pytest.raises(PermissionDenied):
        project_update(project=project, org=tree.street_b, acting_user=personas.street_a)


def test_stage_move_forward_is_dated_and_audited(tree, personas):
    """A forward move sets the stage, its actual date and one audit event."""
    project = make_project(tree.street_a)
    day = TODAY() - dt.timedelta(days=3)
    project_stage_move(
        project=project, to_stage=Stage.PRELIMINARY, on=day, acting_user=personas.street_a
    )
    project.refresh_from_db()
    assert project.stage == Stage.PRELIMINARY
    assert project.stage_since == day
    assert StagePlan.objects.get(project=project, stage=Stage.PRELIMINARY).actual_on == day
    event = AuditEvent.objects.latest("id")
    assert event.action == "project.stage_move"
    assert event.changes["stage"] == [Stage.PLANNING, Stage.PRELIMINARY]


def test_going_back_without_a_reason_is_refused(tree, personas):
    """Moving back to an earlier stage needs a reason; with one it is allowed."""
    project = make_project(tree.street_a, stage=Stage.STARTED)
    with pytest.raises(ValidationError):
        project_stage_move(project=project, to_stage=Stage.LAND, acting_user=personas.street_a)
    project_stage_move(
        project=project,
        to_stage=Stage.LAND,
        reason="施工许可被撤回",
        acting_user=personas.street_a,
    )
    project.refresh_from_db()
    assert project.stage == Stage.LAND
    assert StagePlan.objects.get(project=project, stage=Stage.STARTED).actual_on is None
    assert project.stage_changes.latest("pk").reason == "施工许可被撤回"


@pytest.mark.parametrize(
    "to_stage, on_delta",
    [(Stage.PLANNING, 0), (Stage.STARTED, 2), (Stage.STARTED, -365), (99, 0)],
    ids=["same stage", "future date", "before current stage", "unknown stage"],
)
def test_illegal_moves_are_refused(tree, personas, to_stage, on_delta):
    """Same stage, a future date, a date before the current stage, an unknown stage."""
    project = make_project(tree.street_a)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        project_stage_move(
            project=project,
            to_stage=to_stage,
            on=TODAY() + dt.timedelta(days=on_delta),
            acting_user=personas.street_a,
        )
    assert AuditEvent.objects.count() == before


def test_stage_move_out_of_scope_is_refused(tree, personas):
    """The neighbouring clerk cannot move A's project."""
    project = make_project(tree.street_a)
    with pytest.raises(PermissionDenied):
        project_stage_move(
            project=project, to_stage=Stage.PRELIMINARY, acting_user=personas.street_b
        )


def test_progress_adds_to_the_month_and_the_total(tree, personas):
    """Completed investment is added to the report's month and the project total."""
    project = make_project(tree.street_a, stage=Stage.CONSTRUCTION)
    day = TODAY()
    for amount in (9_700_000, 300_000):
        progress_report_create(
            project=project,
            reported_on=day,
            text="主体结构封顶",
            completed_investment=amount,
            acting_user=personas.street_a,
        )
    project.refresh_from_db()
    assert project.completed_investment == 10_000_000
    month = ProjectMonth.objects.get(project=project)
    assert month.period == day.replace(day=1)
    assert month.completed == 10_000_000


def test_progress_with_a_stage_change_and_evidence(tree, personas, settings, tmp_path):
    """A report can move the stage and carry files, all in one audit event."""
    settings.MEDIA_ROOT = tmp_path
    project = make_project(tree.street_a, stage=Stage.CONSTRUCTION)
    before = AuditEvent.objects.count()
    report = progress_report_create(
        project=project,
        reported_on=TODAY(),
        text="完成竣工验收",
        to_stage=Stage.COMPLETED,
        files=[SimpleUploadedFile("验收报告.pdf", pdf_bytes())],
        acting_user=personas.street_a,
    )
    project.refresh_from_db()
    assert project.stage == Stage.COMPLETED
    assert report.stage_change is not None
    assert report.evidence.get().name == "验收报告.pdf"
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").changes["stage"] == [Stage.CONSTRUCTION, Stage.COMPLETED]


def test_progress_without_text_or_in_the_future_is_refused(tree, personas):
    """An empty report or one dated tomorrow is refused."""
    project = make_project(tree.street_a)
    with pytest.raises(ValidationError):
        progress_report_create(
            project=project, reported_on=TODAY(), text="  ", acting_user=personas.street_a
        )
    with pytest.raises(ValidationError):
        progress_report_create(
            project=project,
            reported_on=TODAY() + dt.timedelta(days=1),
            text="明天的进展",
            acting_user=personas.street_a,
        )


def test_schedule_must_follow_the_stage_order(tree, personas):
    """Planned dates out of stage order are refused; in order they are saved and audited."""
    project = make_project(tree.street_a)
    start = TODAY() + dt.timedelta(days=30)
    with pytest.raises(ValidationError):
        project_schedule_set(
            project=project,
            planned={Stage.STARTED: start, Stage.COMPLETED: start - dt.timedelta(days=1)},
            acting_user=personas.street_a,
        )
    project_schedule_set(
        project=project,
        planned={Stage.STARTED: start, Stage.COMPLETED: start + dt.timedelta(days=300)},
        acting_user=personas.street_a,
    )
    assert StagePlan.objects.get(project=project, stage=Stage.STARTED).planned_on == start
    assert AuditEvent.objects.latest("id").action == "project.schedule_set"


def test_every_service_records_its_audit_action(tree, personas):
    """Each write leaves exactly its own audit action, named."""
    clerk = personas.street_a
    project = make_project(tree.street_a)
    flows = [
        ("project.create", lambda: make_project(tree.street_a, "审计项目")),
        (
            "project.update",
            lambda: project_update(project=project, location="临溪", acting_user=clerk),
        ),
        (
            "project.stage_move",
            lambda: project_stage_move(project=project, to_stage=Stage.SIGNED, acting_user=clerk),
        ),
        (
            "project.schedule_set",
            lambda: project_schedule_set(
                project=project,
                planned={Stage.STARTED: TODAY() + dt.timedelta(days=30)},
                acting_user=clerk,
            ),
        ),
        (
            "project.progress_report",
            lambda: progress_report_create(
                project=project, reported_on=TODAY(), text="进展", acting_user=clerk
            ),
        ),
    ]
    for action, run in flows:
        run()
        assert AuditEvent.objects.latest("id").action == action


def test_a_linked_leader_must_be_a_leader_candidate(tree, personas):
    """Any clerk may link a district leader (outside her person scope), but not a
    person without a leading position; the system actor imports what the ledger says."""
    leader = make_person(tree.district, "钱区长", PositionTitle.LEADER)
    plain = make_person(tree.community_a, "孙干事", PositionTitle.COMMITTEE_MEMBER)
    project = make_project(tree.street_a)
    project_update(project=project, linked_leader=leader, acting_user=personas.street_a)
    assert project.__class__.objects.get(pk=project.pk).linked_leader == leader
    with pytest.raises(ValidationError) as refused:
        project_update(project=project, linked_leader=plain, acting_user=personas.street_a)
    assert "linked_leader" in refused.value.message_dict
    assert make_project(tree.street_a, "导入项目", linked_leader=plain).linked_leader == plain


def test_a_responsible_person_follows_the_person_rule(tree, personas):
    """A's clerk may name a person she sees under the person rule, not one of B; an
    unchanged responsible person is not checked again (a district clerk set it)."""
    own = make_person(tree.community_a, "临溪负责人")
    other = make_person(tree.community_b, "望澜负责人")
    project = make_project(tree.street_a)
    project_update(project=project, responsible=own, acting_user=personas.street_a)
    with pytest.raises(ValidationError) as refused:
        project_update(project=project, responsible=other, acting_user=personas.street_a)
    assert refused.value.message_dict == {"responsible": [unknown_message()]}
    project_update(project=project, responsible=other, acting_user=personas.district)
    project_update(
        project=project, responsible=other, location="不变", acting_user=personas.street_a
    )
    with pytest.raises(ValidationError):
        progress_report_create(
            project=project,
            reported_on=TODAY(),
            text="进展",
            reporter=other,
            acting_user=personas.street_a,
        )


def test_services_refuse_without_an_actor(tree):
    """No actor is no way to skip the checks: pass SYSTEM for system jobs."""
    project = make_project(tree.street_a)
    with pytest.raises(TypeError):
        project_update(project=project, location="x", acting_user=None)


# --- 补录: past steps entered afterwards -------------------------------------------------


def _listed_today(tree, personas):
    """A project put on the ledger today, in 策划生成 since today (as the form does)."""
    return project_create(
        org=tree.street_a,
        name="补录项目",
        category=Category.INDUSTRY,
        lead_unit=tree.street_a,
        acting_user=personas.street_a,
    )


def test_a_late_move_may_predate_the_listing(tree, personas):
    """Given a reason, a move dated before the project was listed is recorded on its real
    date, marked 补录, and audited with the real date and the moment of entry; the listing
    stage's date, now unknown, is cleared."""
    project = _listed_today(tree, personas)
    day = TODAY() - dt.timedelta(days=200)
    with pytest.raises(ValidationError):
        project_stage_move(
            project=project, to_stage=Stage.STARTED, on=day, acting_user=personas.street_a
        )
    change = project_stage_move(
        project=project,
        to_stage=Stage.STARTED,
        on=day,
        late_reason="纸质台账补录",
        acting_user=personas.street_a,
    )
    assert change.late_reason == "纸质台账补录"
    project.refresh_from_db()
    assert (project.stage, project.stage_since) == (Stage.STARTED, day)
    plans = dict(StagePlan.objects.filter(project=project).values_list("stage", "actual_on"))
    assert plans == {Stage.PLANNING: None, Stage.STARTED: day}
    late = AuditEvent.objects.latest("id").changes["late_entry"]
    assert late["occurred_on"] == day.isoformat()
    assert late["reason"] == "纸质台账补录"
    assert late["entered_at"][:10] == TODAY().isoformat()


def test_a_late_move_cannot_rewrite_moves_already_made(tree, personas):
    """Once the project moved, or going backwards, a date before the current stage is
    refused even as 补录: the history recorded since the listing stands."""
    project = _listed_today(tree, personas)
    project_stage_move(project=project, to_stage=Stage.PRELIMINARY, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        project_stage_move(
            project=project,
            to_stage=Stage.STARTED,
            on=TODAY() - dt.timedelta(days=30),
            late_reason="补录",
            acting_user=personas.street_a,
        )
    started = make_project(tree.street_a, "已开工", stage=Stage.STARTED, stage_since=TODAY())
    with pytest.raises(ValidationError):
        project_stage_move(
            project=started,
            to_stage=Stage.LAND,
            on=TODAY() - dt.timedelta(days=30),
            reason="撤回",
            late_reason="补录",
            acting_user=personas.street_a,
        )


def test_a_move_dated_today_is_not_a_late_entry(tree, personas):
    """The 补录 reason is kept only for a step dated before today."""
    project = _listed_today(tree, personas)
    change = project_stage_move(
        project=project,
        to_stage=Stage.PRELIMINARY,
        late_reason="补录",
        acting_user=personas.street_a,
    )
    assert change.late_reason == ""
    assert "late_entry" not in AuditEvent.objects.latest("id").changes


def test_a_late_progress_report_keeps_its_reason_and_may_move_the_stage(tree, personas):
    """Progress of a past day, marked 补录, with a stage move before the listing."""
    project = _listed_today(tree, personas)
    day = TODAY() - dt.timedelta(days=90)
    report = progress_report_create(
        project=project,
        reported_on=day,
        text="已完成土地摘牌",
        to_stage=Stage.LAND,
        late_reason="工作群记录补录",
        acting_user=personas.street_a,
    )
    assert report.late_reason == "工作群记录补录"
    assert report.stage_change.late_reason == "工作群记录补录"
    event = AuditEvent.objects.latest("id")
    assert event.action == "project.progress_report"
    assert event.changes["late_entry"]["occurred_on"] == day.isoformat()


def test_months_before_the_listing_need_a_late_reason(tree, personas):
    """A month before the project was listed is 补录; a future month is refused; figures
    replace the month's amount and the cumulative figure is their sum."""
    project = _listed_today(tree, personas)
    this_month = TODAY().replace(day=1)
    last_year = dt.date(TODAY().year - 1, 5, 1)
    with pytest.raises(ValidationError):
        project_months_set(
            project=project, months={last_year: 1_000_000}, acting_user=personas.street_a
        )
    with pytest.raises(ValidationError):
        project_months_set(
            project=project,
            months={dt.date(TODAY().year + 1, 1, 1): 1},
            late_reason="x",
            acting_user=personas.street_a,
        )
    project_months_set(
        project=project,
        months={last_year: 1_000_000, this_month: 500_000},
        late_reason="旧台账",
        acting_user=personas.street_a,
    )
    project_months_set(project=project, months={this_month: 700_000}, acting_user=personas.street_a)
    project.refresh_from_db()
    assert project.completed_investment == 1_700_000
    assert ProjectMonth.objects.get(project=project, period=this_month).completed == 700_000
    first, second = AuditEvent.objects.filter(action="project.months_set").order_by("pk")
    assert first.changes["late_entry"]["months"] == [f"{last_year:%Y-%m}"]
    assert "late_entry" not in second.changes
    assert second.changes["months"] == {f"{this_month:%Y-%m}": [500_000, 700_000]}
