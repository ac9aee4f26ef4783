"""Writes to the project ledger. Every write checks scope (``permissions.POLICY``),
validates, audits once and reports the rows it wrote for the roll-ups (``core.changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, ProtectedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.uploads import check_uploads
from taizhang.core.versions import require_version
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
    StartBatch,
)
from taizhang.projects.permissions import BATCH_POLICY, POLICY

PROJECT_FIELDS = [
    "org",
    "name",
    "category",
    "major_level",
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


def _late(on: dt.date, late_reason: str) -> str:
    """The 补录 reason kept on a step: only a step dated before today is entered late."""
    return late_reason.strip()[:200] if on < _today() else ""


def _late_entry(on: dt.date, reason: str, **extra: Any) -> dict[str, Any]:
    """What the audit event adds for a late entry: the real date and the moment of entry."""
    if not reason:
        return {}
    return {
        "late_entry": {
            "occurred_on": on,
            "reason": reason,
            "entered_at": timezone.localtime(),
            **extra,
        }
    }


def listed_on(project: Project) -> dt.date:
    """The day the project was put on this ledger."""
    return timezone.localdate(project.created_at)


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
    major_level: str = "",
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
    late_reason: str = "",
    acting_user: Actor,
) -> Project:
    """Put a project on the ledger, in ``stage`` (策划生成 unless it arrives later).

    ``when`` is the moment it was put on the ledger, for imports of a ledger kept
    elsewhere (and the demo); it defaults to now and cannot be in the future.
    ``late_reason`` marks a past ``stage_since`` as entered afterwards (补录).
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
        major_level=major_level,
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
    late = _late(since, late_reason)
    StageChange.objects.create(
        project=project,
        from_stage=None,
        to_stage=project.stage,
        changed_on=since,
        late_reason=late,
        actor=user_of(acting_user),
    )
    plan = StagePlan.objects.create(project=project, stage=project.stage, actual_on=since)
    rows_written(Project, [project])
    rows_written(StagePlan, [plan])
    audit_record(
        actor=acting_user,
        action="project.create",
        obj=project,
        changes={**diff({}, _full_snapshot(project)), **_late_entry(since, late)},
    )
    return project


@transaction.atomic
def project_update(
    *, project: Project, acting_user: Actor, version: int | None = None, **fields: Any
) -> Project:
    """Change the ledger columns of a project; stage and money done are not editable here.
    ``version`` is the project's version the editor saw (``core.versions``): a write by
    someone else since then is refused (``StaleEdit``) rather than overwritten."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown project fields: {sorted(unknown)}")
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    require_version(project, version)
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


def has_moved(project: Project) -> bool:
    """Whether the project moved since it was put on the ledger."""
    return project.stage_changes.exclude(from_stage=None).exists()


def check_move(
    project: Project,
    *,
    to_stage: int,
    on: dt.date,
    reason: str = "",
    late_reason: str = "",
    moved: bool | None = None,
) -> None:
    """Refuse a move the ledger cannot take (the importer asks before writing).

    A move is not dated in the future nor before the current stage began, except a
    forward 补录 (``late_reason``) of a project that has not moved since it was listed:
    its real history may begin before the day it was put on this ledger. ``moved``
    saves the query when the caller knows.
    """
    if to_stage not in Stage.values:
        raise ValidationError(_("Unknown stage."))
    if to_stage == project.stage:
        raise ValidationError(_("The project is already in this stage."))
    if on > _today():
        raise ValidationError(_("A stage cannot be reached in the future."))
    backward = to_stage < project.stage
    if on < project.stage_since:
        if moved is None:
            moved = has_moved(project)
        if not late_reason.strip() or backward or moved:
            raise ValidationError(
                _("The move cannot be dated before the current stage began (%(date)s).")
                % {"date": project.stage_since.isoformat()}
            )
    if backward and not reason.strip():
        raise ValidationError(_("Moving a project back to an earlier stage needs a reason."))


def _move(
    project: Project,
    *,
    to_stage: int,
    on: dt.date,
    reason: str,
    late_reason: str = "",
    acting_user: Actor,
) -> StageChange:
    """Validate and apply one stage move and report it for the roll-ups; the caller
    audits it."""
    late = _late(on, late_reason)
    check_move(project, to_stage=to_stage, on=on, reason=reason, late_reason=late)
    backward = to_stage < project.stage
    reason = reason.strip()
    change = StageChange.objects.create(
        project=project,
        from_stage=project.stage,
        to_stage=to_stage,
        changed_on=on,
        reason=reason,
        late_reason=late,
        actor=user_of(acting_user),
    )
    if backward:
        # The later stages were not really reached: clear their actual dates.
        StagePlan.objects.filter(project=project, stage__gt=to_stage).update(actual_on=None)
    elif on < project.stage_since:
        # A 补录 move before the listing stage's date: when that stage was really
        # reached is not known, only that it was before this one.
        StagePlan.objects.filter(project=project, stage__lt=to_stage, actual_on__gt=on).update(
            actual_on=None
        )
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
    late_reason: str = "",
    acting_user: Actor,
) -> StageChange:
    """Move a project to another stage on a date; going back needs a reason.

    ``late_reason`` marks a past move entered afterwards (补录); see ``check_move``.
    """
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    before = project.stage
    change = _move(
        project,
        to_stage=to_stage,
        on=on or _today(),
        reason=reason,
        late_reason=late_reason,
        acting_user=acting_user,
    )
    audit_record(
        actor=acting_user,
        action="project.stage_move",
        obj=project,
        changes={
            "stage": [before, to_stage],
            "on": [None, change.changed_on],
            "reason": [None, change.reason],
            **_late_entry(change.changed_on, change.late_reason),
        },
    )
    return change


def check_schedule(planned: Mapping[int, dt.date | None]) -> None:
    """Planned dates follow the stage order (a past one is allowed: it is overdue at once)."""
    if set(planned) - set(Stage.values):
        raise ValidationError(_("Unknown stage."))
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


@transaction.atomic
def project_schedule_set(
    *, project: Project, planned: dict[int, dt.date | None], acting_user: Actor
) -> Project:
    """Set the planned date of each stage (计划节点); ``None`` clears one."""
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    check_schedule(planned)
    existing = {p.stage: p for p in StagePlan.objects.filter(project=project)}
    before = {str(s): p.planned_on for s, p in existing.items() if p.planned_on}
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
    late_reason: str = "",
    files: Iterable[UploadedFile] = (),
    acting_user: Actor,
) -> ProgressReport:
    """Record progress: the text, investment completed since the last report, maybe a stage move.

    The investment is added to the report's month (``ProjectMonth``), and the project's
    cumulative figure is recomputed from the months. ``late_reason`` marks progress of a
    past day entered afterwards (补录); its stage move may then predate the listing.
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
    files = check_uploads(files, field="files")
    late = _late(reported_on, late_reason)
    before_stage = project.stage
    change = None
    if to_stage is not None and to_stage != project.stage:
        change = _move(
            project,
            to_stage=to_stage,
            on=reported_on,
            reason=reason,
            late_reason=late,
            acting_user=acting_user,
        )
    report = ProgressReport.objects.create(
        project=project,
        reported_on=reported_on,
        reporter=reporter,
        text=text,
        completed_investment=completed_investment,
        stage_change=change,
        late_reason=late,
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
    changes.update(_late_entry(reported_on, late))
    audit_record(
        actor=acting_user,
        action="project.progress_report",
        obj=project,
        changes=changes,
    )
    return report


def check_months(
    project: Project, months: Mapping[dt.date, int | None], *, late_reason: str = ""
) -> None:
    """Refuse monthly figures the ledger cannot take: a future month, a negative amount,
    a month before the project was listed without a 补录 reason."""
    this_month = _month(_today())
    first = _month(listed_on(project)) if project.pk else this_month
    for period, amount in months.items():
        if _month(period) > this_month:
            raise ValidationError(
                _("Investment cannot be recorded for a future month (%(month)s).")
                % {"month": f"{period:%Y-%m}"}
            )
        if amount is not None and amount < 0:
            raise ValidationError(_("Completed investment cannot be negative."))
        if _month(period) < first and not late_reason.strip():
            raise ValidationError(
                _(
                    "%(month)s is before the project was put on the ledger; mark it as a late "
                    "entry (补录) and give a reason."
                )
                % {"month": f"{period:%Y-%m}"}
            )


@transaction.atomic
def project_months_set(
    *,
    project: Project,
    months: Mapping[dt.date, int | None],
    late_reason: str = "",
    acting_user: Actor,
) -> Project:
    """Set the investment completed in given months (a ledger's 1月…12月 columns).

    Each amount replaces the month's figure (``None`` leaves it); the cumulative figure is
    recomputed. Months before the project was listed are 补录 and need ``late_reason``.
    """
    project = Project.objects.select_for_update().select_related("org").get(pk=project.pk)
    POLICY.require(acting_user, project)
    wanted = {_month(p): a for p, a in months.items() if a is not None}
    first = _month(listed_on(project))
    late = late_reason.strip()[:200] if any(p < first for p in wanted) else ""
    check_months(project, wanted, late_reason=late)
    existing = {m.period: m for m in ProjectMonth.objects.filter(project=project)}
    changed = {
        p: a for p, a in wanted.items() if (existing[p].completed if p in existing else 0) != a
    }
    recorded = {
        f"{p:%Y-%m}": [existing[p].completed if p in existing else 0, a] for p, a in changed.items()
    }
    kept = [existing[p] for p in changed if p in existing]
    with rows_changing(ProjectMonth, [m.pk for m in kept]):
        for month in kept:
            ProjectMonth.objects.filter(pk=month.pk).update(completed=changed[month.period])
    new = ProjectMonth.objects.bulk_create(
        [
            ProjectMonth(project=project, period=p, completed=a)
            for p, a in changed.items()
            if p not in existing
        ]
    )
    rows_written(
        ProjectMonth,
        ProjectMonth.objects.filter(
            project=project, period__in=[m.period for m in new]
        ).values_list("pk", flat=True),
    )
    total = ProjectMonth.objects.filter(project=project).aggregate(s=Sum("completed"))["s"]
    with rows_changing(Project, [project.pk]):
        project.completed_investment = total or 0
        project.save(update_fields=["completed_investment", "updated_at"])
    late_periods = sorted(p for p in changed if p < first)
    changes: dict[str, Any] = {"months": recorded}
    if late_periods:
        changes.update(
            _late_entry(late_periods[0], late, months=[f"{p:%Y-%m}" for p in late_periods])
        )
    audit_record(actor=acting_user, action="project.months_set", obj=project, changes=changes)
    return project


@transaction.atomic
def project_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the projects an import created (its batch is being undone): one audit event.

    The ingest module calls this only while no later event touched those projects.
    """
    projects = list(Project.objects.select_for_update().select_related("org").filter(pk__in=ids))
    for project in projects:
        POLICY.require(acting_user, project)
    pks = [p.pk for p in projects]
    months = list(ProjectMonth.objects.filter(project_id__in=pks).values_list("pk", flat=True))
    plans = list(StagePlan.objects.filter(project_id__in=pks).values_list("pk", flat=True))
    try:
        with (
            rows_changing(ProjectMonth, months),
            rows_changing(StagePlan, plans),
            rows_changing(Project, pks),
        ):
            Project.objects.filter(pk__in=pks).delete()
    except ProtectedError as error:
        raise ValidationError(
            _("Another ledger refers to an imported project; undo is no longer possible.")
        ) from error
    audit_record(
        actor=acting_user,
        action="project.import_undo",
        object_type=Project._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(pks), "source": source, "ids": sorted(pks)},
    )
    return len(pks)


# --- 集中开工: groundbreaking batches ----------------------------------------------------

BATCH_FIELDS = ["org", "name", "held_on", "place"]


@transaction.atomic
def batch_create(
    *, org: Organization, name: str, held_on: dt.date, place: str = "", acting_user: Actor
) -> StartBatch:
    """Record a groundbreaking batch its organizer holds (or will hold) on ``held_on``."""
    BATCH_POLICY.require_org(acting_user, org)
    batch = StartBatch(org=org, name=name.strip(), held_on=held_on, place=place.strip())
    batch.full_clean()
    batch.save()
    rows_written(StartBatch, [batch])
    audit_record(
        actor=acting_user,
        action="start_batch.create",
        obj=batch,
        changes=diff({}, snapshot(batch, BATCH_FIELDS)),
    )
    return batch


@transaction.atomic
def batch_update(
    *, batch: StartBatch, acting_user: Actor, version: int | None = None, **fields: Any
) -> StartBatch:
    """Change a batch's name, date or place. Its projects are counted on its date, so a
    new date moves them in the figures; a date after a project's recorded groundbreaking
    is allowed (the batch may be the ceremony of work already begun)."""
    unknown = set(fields) - set(BATCH_FIELDS)
    if unknown:
        raise TypeError(f"Unknown batch fields: {sorted(unknown)}")
    batch = StartBatch.objects.select_for_update().select_related("org").get(pk=batch.pk)
    BATCH_POLICY.require(acting_user, batch)
    require_version(batch, version)
    if "org" in fields and fields["org"] != batch.org:
        BATCH_POLICY.require_org(acting_user, fields["org"])
    before = snapshot(batch, BATCH_FIELDS)
    projects = list(batch.projects.values_list("pk", flat=True))
    with rows_changing(StartBatch, [batch.pk]), rows_changing(Project, projects):
        for key, value in fields.items():
            setattr(batch, key, value.strip() if isinstance(value, str) else value)
        batch.full_clean()
        batch.save()
    audit_record(
        actor=acting_user,
        action="start_batch.update",
        obj=batch,
        changes=diff(before, snapshot(batch, BATCH_FIELDS)),
    )
    return batch


@transaction.atomic
def batch_add_projects(
    *,
    batch: StartBatch,
    projects: Sequence[Project],
    break_ground: bool = False,
    acting_user: Actor,
) -> list[Project]:
    """Put projects into a batch. With ``break_ground``, a project not yet started is
    moved to 开工 on the batch's date (a 补录 when that date has passed); a batch still
    to come cannot break ground yet. A project is in one batch at most; all or nothing."""
    batch = StartBatch.objects.select_for_update().get(pk=batch.pk)
    BATCH_POLICY.require(acting_user, batch)
    if break_ground and batch.held_on > _today():
        raise ValidationError(
            _("The batch is held on %(date)s: groundbreaking can be recorded on that day.")
            % {"date": batch.held_on.isoformat()}
        )
    added: list[Project] = []
    for listed in projects:
        project = Project.objects.select_for_update().get(pk=listed.pk)
        POLICY.require(acting_user, project)
        if project.start_batch_id == batch.pk:
            continue
        if project.start_batch_id is not None:
            raise ValidationError(
                _("%(project)s already broke ground in another batch.") % {"project": project}
            )
        if break_ground and project.stage < Stage.STARTED:
            try:
                project_stage_move(
                    project=project,
                    to_stage=Stage.STARTED,
                    on=batch.held_on,
                    late_reason=_("Groundbreaking in the batch %(batch)s") % {"batch": batch},
                    acting_user=acting_user,
                )
            except ValidationError as error:
                raise ValidationError(
                    _("%(project)s: %(reason)s")
                    % {"project": project, "reason": "；".join(error.messages)}
                ) from error
            project.refresh_from_db()
        with rows_changing(Project, [project.pk]):
            project.start_batch = batch
            project.save(update_fields=["start_batch", "updated_at"])
        audit_record(
            actor=acting_user,
            action="project.batch_join",
            obj=project,
            changes={"start_batch": [None, batch.pk]},
        )
        added.append(project)
    if added:
        audit_record(
            actor=acting_user,
            action="start_batch.add_projects",
            obj=batch,
            changes={"projects": [[], [project.pk for project in added]]},
        )
    return added


@transaction.atomic
def batch_remove_project(*, batch: StartBatch, project: Project, acting_user: Actor) -> None:
    """Take a project out of a batch (it was listed by mistake); its stage stays."""
    batch = StartBatch.objects.select_for_update().get(pk=batch.pk)
    BATCH_POLICY.require(acting_user, batch)
    project = Project.objects.select_for_update().get(pk=project.pk)
    POLICY.require(acting_user, project)
    if project.start_batch_id != batch.pk:
        raise ValidationError(_("The project is not in this batch."))
    with rows_changing(Project, [project.pk]):
        project.start_batch = None
        project.save(update_fields=["start_batch", "updated_at"])
    audit_record(
        actor=acting_user,
        action="project.batch_leave",
        obj=project,
        changes={"start_batch": [batch.pk, None]},
    )
    audit_record(
        actor=acting_user,
        action="start_batch.remove_project",
        obj=batch,
        changes={"projects": [[project.pk], []]},
    )
