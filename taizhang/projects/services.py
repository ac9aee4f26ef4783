"""Writes to the project ledger. Every write checks scope (``permissions.POLICY``),
validates, audits once and reports the rows it wrote for the roll-ups (``core.changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import is_leader_candidate
from taizhang.projects.models import (
    Evidence,
    ProgressReport,
    Project,
    ProjectMonth,
    Stage,
    StageChange,
    StagePlan,
)
from taizhang.projects.permissions import POLICY

PROJECT_FIELDS = [
    "org",
    "name",
    "category",
    "lead_unit",
    "linked_leader",
    "responsible",
    "location",
    "total_investment",
    "plan_year",
    "annual_planned_investment",
    "building_area",
    "land_area",
    "capacity",
    "capacity_unit",
    "expected_jobs",
    "description",
]
EDITABLE = set(PROJECT_FIELDS) | {"co_units"}
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


def _check_people(acting_user: Actor, **picked: Person | None) -> None:
    """Persons named on a project: a linked leader must be a leader candidate (the rule
    every module shares), any other person one the person rule shows the acting user
    (their own person record always passes). The system actor brings what an imported
    ledger says."""
    if is_system(acting_user):
        return
    for field, person in picked.items():
        if person is None:
            continue
        if field == "linked_leader":
            if not is_leader_candidate(person):
                raise ValidationError(
                    {field: _("A linked leader must hold a current leading position.")}
                )
        elif person.pk != acting_user.person_id and not PERSON.covers(acting_user, person):
            raise ValidationError({field: unknown_message()})


def _today() -> dt.date:
    return timezone.localdate()


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _full_snapshot(project: Project) -> dict[str, Any]:
    data = snapshot(project, [*PROJECT_FIELDS, "stage"])
    data["co_units"] = sorted(project.co_units.values_list("pk", flat=True)) if project.pk else []
    return data


@transaction.atomic
def project_create(
    *,
    org: Organization,
    name: str,
    category: str,
    lead_unit: Organization,
    co_units: Iterable[Organization] = (),
    linked_leader: Person | None = None,
    responsible: Person | None = None,
    location: str = "",
    total_investment: int = 0,
    plan_year: int | None = None,
    annual_planned_investment: int = 0,
    building_area: Any = None,
    land_area: Any = None,
    capacity: Any = None,
    capacity_unit: str = "",
    expected_jobs: int | None = None,
    description: str = "",
    stage: int = Stage.PLANNING,
    stage_since: dt.date | None = None,
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Project:
    """Put a project on the ledger, in ``stage`` (策划生成 unless it arrives later).

    ``when`` is the moment it was put on the ledger, for imports of a ledger kept
    elsewhere (and the demo); it defaults to now and cannot be in the future.
    """
    POLICY.require_org(acting_user, org)
    _check_people(acting_user, linked_leader=linked_leader, responsible=responsible)
    since = stage_since or _today()
    if since > _today():
        raise ValidationError(_("A stage cannot be reached in the future."))
    listed_at = when or timezone.now()
    if listed_at > timezone.now():
        raise ValidationError(_("A project cannot be put on the ledger in the future."))
    project = Project(
        org=org,
        name=name,
        category=category,
        lead_unit=lead_unit,
        linked_leader=linked_leader,
        responsible=responsible,
        location=location,
        total_investment=total_investment,
        plan_year=plan_year,
        annual_planned_investment=annual_planned_investment,
        building_area=building_area,
        land_area=land_area,
        capacity=capacity,
        capacity_unit=capacity_unit,
        expected_jobs=expected_jobs,
        description=description,
        stage=Stage(stage),
        stage_since=since,
        created_at=listed_at,
    )
    project.full_clean()
    project.save()
    project.co_units.set(list(co_units))
    StageChange.objects.create(
        project=project,
        from_stage=None,
        to_stage=project.stage,
        changed_on=since,
        actor=user_of(acting_user),
    )
    plan = StagePlan.objects.create(project=project, stage=project.stage, actual_on=since)
    rows_written(Project, [project])
    rows_written(StagePlan, [plan])
    audit_record(
        actor=acting_user,
        action="project.create",
        obj=project,
        changes=diff({}, _full_snapshot(project)),
    )
    return project


@transaction.atomic
def project_update(*, project: Project, acting_user: Actor, **fields: Any) -> Project:
    """Change the ledger columns of a project; stage and money done are not editable here."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown project fields: {sorted(unknown)}")
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    if "org" in fields and fields["org"] != project.org:
        POLICY.require_org(acting_user, fields["org"])
    _check_people(
        acting_user,
        **{
            name: fields[name]
            for name in ("linked_leader", "responsible")
            if name in fields and fields[name] != getattr(project, name)
        },
    )
    before = _full_snapshot(project)
    co_units = fields.pop("co_units", None)
    # A move to another organization moves the months and stage dates counted with it.
    moving = "org" in fields and fields["org"] != project.org
    months = list(project.months.values_list("pk", flat=True)) if moving else []
    plans = list(project.plans.values_list("pk", flat=True)) if moving else []
    with (
        rows_changing(Project, [project.pk]),
        rows_changing(ProjectMonth, months),
        rows_changing(StagePlan, plans),
    ):
        for key, value in fields.items():
            setattr(project, key, value)
        project.full_clean()
        project.save()
    if co_units is not None:
        project.co_units.set(list(co_units))
    changes = diff(before, _full_snapshot(project))
    audit_record(actor=acting_user, action="project.update", obj=project, changes=changes)
    return project


def _move(
    project: Project, *, to_stage: int, on: dt.date, reason: str, acting_user: Actor
) -> StageChange:
    """Validate and apply one stage move and report it for the roll-ups; the caller
    audits it."""
    if to_stage not in Stage.values:
        raise ValidationError(_("Unknown stage."))
    if to_stage == project.stage:
        raise ValidationError(_("The project is already in this stage."))
    if on > _today():
        raise ValidationError(_("A stage cannot be reached in the future."))
    if on < project.stage_since:
        raise ValidationError(
            _("The move cannot be dated before the current stage began (%(date)s).")
            % {"date": project.stage_since.isoformat()}
        )
    backward = to_stage < project.stage
    reason = reason.strip()
    if backward and not reason:
        raise ValidationError(_("Moving a project back to an earlier stage needs a reason."))
    change = StageChange.objects.create(
        project=project,
        from_stage=project.stage,
        to_stage=to_stage,
        changed_on=on,
        reason=reason,
        actor=user_of(acting_user),
    )
    if backward:
        # The later stages were not really reached: clear their actual dates.
        StagePlan.objects.filter(project=project, stage__gt=to_stage).update(actual_on=None)
    plan, _created = StagePlan.objects.get_or_create(project=project, stage=to_stage)
    plan.actual_on = on
    plan.save(update_fields=["actual_on"])
    project.stage = Stage(to_stage)
    project.stage_since = on
    project.save(update_fields=["stage", "stage_since", "updated_at"])
    # The stage counts, groundbreaking and commissioning dates all may have changed.
    rows_written(Project, [project])
    rows_written(StagePlan, StagePlan.objects.filter(project=project).values_list("pk", flat=True))
    return change


@transaction.atomic
def project_stage_move(
    *,
    project: Project,
    to_stage: int,
    on: dt.date | None = None,
    reason: str = "",
    acting_user: Actor,
) -> StageChange:
    """Move a project to another stage on a date; going back needs a reason."""
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    before = project.stage
    change = _move(
        project, to_stage=to_stage, on=on or _today(), reason=reason, acting_user=acting_user
    )
    audit_record(
        actor=acting_user,
        action="project.stage_move",
        obj=project,
        changes={
            "stage": [before, to_stage],
            "on": [None, change.changed_on],
            "reason": [None, change.reason],
        },
    )
    return change


@transaction.atomic
def project_schedule_set(
    *, project: Project, planned: dict[int, dt.date | None], acting_user: Actor
) -> Project:
    """Set the planned date of each stage (计划节点); ``None`` clears one."""
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    if set(planned) - set(Stage.values):
        raise ValidationError(_("Unknown stage."))
    existing = {p.stage: p for p in StagePlan.objects.filter(project=project)}
    before = {str(s): p.planned_on for s, p in existing.items() if p.planned_on}
    last: tuple[int, dt.date] | None = None
    for stage in sorted(planned):
        day = planned[stage]
        if day is None:
            continue
        if last is not None and day < last[1]:
            raise ValidationError(
                _("Planned dates must follow the stage order: %(stage)s is before %(prev)s.")
                % {"stage": Stage(stage).label, "prev": Stage(last[0]).label}
            )
        last = (stage, day)
    written = []
    for stage, day in planned.items():
        plan = existing.get(stage)
        if plan is None:
            if day is None:
                continue
            plan = StagePlan(project=project, stage=stage)
        plan.planned_on = day
        plan.save()
        written.append(plan.pk)
    # Planned dates count in no figure today; reported all the same, so a metric on
    # them stays right without anyone remembering this service.
    rows_written(StagePlan, written)
    after = {
        str(p.stage): p.planned_on
        for p in StagePlan.objects.filter(project=project)
        if p.planned_on
    }
    audit_record(
        actor=acting_user, action="project.schedule_set", obj=project, changes=diff(before, after)
    )
    return project


@transaction.atomic
def progress_report_create(
    *,
    project: Project,
    reported_on: dt.date,
    text: str,
    reporter: Person | None = None,
    completed_investment: int = 0,
    to_stage: int | None = None,
    reason: str = "",
    files: Iterable[UploadedFile] = (),
    acting_user: Actor,
) -> ProgressReport:
    """Record progress: the text, investment completed since the last report, maybe a stage move.

    The investment is added to the report's month (``ProjectMonth``), and the project's
    cumulative figure is recomputed from the months.
    """
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    _check_people(acting_user, reporter=reporter)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Describe the progress.")})
    if reported_on > _today():
        raise ValidationError({"reported_on": _("Progress cannot be reported for a future date.")})
    if completed_investment < 0:
        raise ValidationError(
            {"completed_investment": _("Completed investment cannot be negative.")}
        )
    files = list(files)
    for upload in files:
        if upload.size and upload.size > MAX_EVIDENCE_BYTES:
            raise ValidationError(_("An evidence file may not exceed 20 MB."))
    before_stage = project.stage
    change = None
    if to_stage is not None and to_stage != project.stage:
        change = _move(
            project, to_stage=to_stage, on=reported_on, reason=reason, acting_user=acting_user
        )
    report = ProgressReport.objects.create(
        project=project,
        reported_on=reported_on,
        reporter=reporter,
        text=text,
        completed_investment=completed_investment,
        stage_change=change,
        created_by=user_of(acting_user),
    )
    if completed_investment:
        period = _month(reported_on)
        month, _created = ProjectMonth.objects.get_or_create(project=project, period=period)
        ProjectMonth.objects.filter(pk=month.pk).update(
            completed=F("completed") + completed_investment
        )
        rows_written(ProjectMonth, [month.pk])
        total = ProjectMonth.objects.filter(project=project).aggregate(s=Sum("completed"))["s"]
        project.completed_investment = total or 0
        project.save(update_fields=["completed_investment", "updated_at"])
    for upload in files:
        Evidence.objects.create(
            report=report, file=upload, name=(upload.name or "file")[:200], size=upload.size or 0
        )
    changes: dict[str, Any] = {
        "reported_on": [None, reported_on],
        "completed_investment": [None, completed_investment],
        "evidence": [None, len(files)],
    }
    if change is not None:
        changes["stage"] = [before_stage, change.to_stage]
    audit_record(
        actor=acting_user,
        action="project.progress_report",
        obj=project,
        changes=changes,
    )
    return report
