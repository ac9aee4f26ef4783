"""Permissions, navigation, metrics and to-do kinds of the project ledger."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
    register_todo,
)
from taizhang.projects.models import MajorLevel, Stage
from taizhang.projects.permissions import BATCH_POLICY, MANAGE, POLICY, VIEW

register_permission(VIEW, _("View key projects"))
register_permission(MANAGE, _("Record key projects and their progress"))
# The grid worker (网格员) gets nothing here: projects are kept by unit clerks.
grant_to_roles(VIEW, "clerk", "secretary", "leader", "viewer")
grant_to_roles(MANAGE, "clerk", "secretary")
register_policy(POLICY)
register_policy(BATCH_POLICY)

register_nav(_("Key projects"), "projects:list", "projects.view", order=30)


# To-dos (workbench). A linked leader's projects with an open blocker problem are not
# a kind here: blockers are problems-module records and this module never imports it.
def _stage_overdue_items(viewer: Any) -> QuerySet[Any]:
    from taizhang.projects.selectors import todo_stage_overdue

    return todo_stage_overdue(viewer=viewer)


def _stage_overdue_title(project: Any) -> str:
    return gettext("%(project)s: %(stage)s not reached") % {
        "project": project.name,
        "stage": Stage(project.overdue_stage).label,
    }


register_todo(
    TodoKind(
        name="projects.stage_overdue",
        label=_("Key projects behind schedule"),
        permission=VIEW,
        items=_stage_overdue_items,
        title=_stage_overdue_title,
        url=lambda project: reverse("projects:detail", args=[project.pk]),
        why=_(
            "The planned date of a stage has passed and the stage is not reached: move "
            "the stage with its date, or report the progress and reschedule."
        ),
        due=lambda project: project.overdue_since,
        order=30,
    )
)


def _projects() -> QuerySet[Any]:
    from taizhang.projects.models import Project

    return Project.objects.all()


def _months() -> QuerySet[Any]:
    from taizhang.projects.models import ProjectMonth

    return ProjectMonth.objects.all()


def _in_stage(stage: int) -> Callable[[], QuerySet[Any]]:
    def rows() -> QuerySet[Any]:
        from taizhang.projects.models import Project

        return Project.objects.filter(stage=stage)

    return rows


def _started() -> QuerySet[Any]:
    from taizhang.projects.models import Stage, StagePlan

    # One row per project and stage: a project counts once, on the day it broke ground.
    return StagePlan.objects.filter(stage=Stage.STARTED, actual_on__isnull=False)


def _commissioned() -> QuerySet[Any]:
    from taizhang.projects.models import Stage, StagePlan

    return StagePlan.objects.filter(stage=Stage.OPERATING, actual_on__isnull=False)


register_metric(
    Metric(
        name="projects.count",
        sentence=_("recorded {value} key projects"),
        label=_("Key projects"),
        unit=_("projects"),
        queryset=_projects,
        org_field="org",
        date_field="created_at",
        permission="projects.view",
        definition=_("Projects on the ledger, counted on the day they were put on it."),
    )
)
register_metric(
    Metric(
        name="projects.total_investment",
        sentence=_("with a total investment of {value}"),
        label=_("Total investment of key projects"),
        unit=_("yuan"),
        money=True,
        queryset=_projects,
        org_field="org",
        date_field="created_at",
        permission="projects.view",
        value="total_investment",
        definition=_("Sum of the total investment of projects on the ledger (integer yuan)."),
    )
)
register_metric(
    Metric(
        name="projects.completed_investment",
        sentence=_("completed an investment of {value}"),
        label=_("Investment completed"),
        unit=_("yuan"),
        money=True,
        queryset=_months,
        org_field="project__org",
        date_field="period",
        permission="projects.view",
        value="completed",
        definition=_(
            "Investment completed per month (period = first day of the month), from "
            "progress reports."
        ),
    )
)
register_metric(
    Metric(
        name="projects.started",
        sentence=_("{value} projects started construction"),
        label=_("Projects started"),
        unit=_("projects"),
        queryset=_started,
        org_field="project__org",
        date_field="actual_on",
        permission="projects.view",
        definition=_("Projects that reached groundbreaking (开工), on the actual date."),
    )
)


# 集中开工 (issue 15): "组织集中开工2批次，集中开工项目12个，总投资56.3亿元". The batches
# count on their organizer; the projects in them on their own organizations, on the
# batch's date, so a subdistrict's briefing counts its projects in the district's batch.
def _batches() -> QuerySet[Any]:
    from taizhang.projects.models import StartBatch

    return StartBatch.objects.all()


def _in_batches() -> QuerySet[Any]:
    return _projects().filter(start_batch__isnull=False)


register_metric(
    Metric(
        name="projects.batches",
        sentence=_("held {value} concentrated groundbreakings"),
        label=_("Concentrated groundbreakings"),
        unit=_("batches"),
        queryset=_batches,
        org_field="org",
        date_field="held_on",
        permission="projects.view",
        definition=_("Groundbreaking batches (集中开工) held, counted on their organizer."),
    )
)
register_metric(
    Metric(
        name="projects.batch_projects",
        sentence=_("{value} projects broke ground together"),
        label=_("Projects in concentrated groundbreakings"),
        unit=_("projects"),
        queryset=_in_batches,
        org_field="org",
        date_field="start_batch__held_on",
        permission="projects.view",
        definition=_(
            "Projects that broke ground in a batch, counted on their own organization on "
            "the batch's date."
        ),
    )
)
register_metric(
    Metric(
        name="projects.batch_investment",
        sentence=_("with a total investment of {value}"),
        label=_("Total investment of projects in concentrated groundbreakings"),
        unit=_("yuan"),
        money=True,
        queryset=_in_batches,
        org_field="org",
        date_field="start_batch__held_on",
        permission="projects.view",
        value="total_investment",
        definition=_(
            "Sum of the total investment of the projects in the batches held in the period "
            "(integer yuan)."
        ),
    )
)
register_metric(
    Metric(
        name="projects.commissioned",
        sentence=_("{value} projects went into operation"),
        label=_("Projects in operation"),
        unit=_("projects"),
        queryset=_commissioned,
        org_field="project__org",
        date_field="actual_on",
        permission="projects.view",
        definition=_("Projects that went into operation (投产/运营), on the actual date."),
    )
)

# Stock beside the flow (issue 15): the projects on the ledger at the period's end and,
# of them, those under construction (开工 or 主体施工 now). Figures of what stands, so
# they are computed from the records, never summed by month.
register_metric(
    Metric(
        name="projects.on_ledger",
        sentence=_("{value} key projects on the ledger"),
        label=_("Key projects on the ledger"),
        unit=_("projects"),
        queryset=_projects,
        org_field="org",
        date_field="created_at",
        permission="projects.view",
        additive=False,
        definition=_(
            "Projects on the ledger at the end of the period (all put on it by then), "
            "whatever their stage."
        ),
    )
)
register_metric(
    Metric(
        name="projects.under_construction",
        sentence=_("{value} under construction"),
        label=_("Key projects under construction"),
        unit=_("projects"),
        queryset=lambda: _projects().filter(stage__in=(Stage.STARTED, Stage.CONSTRUCTION)),
        org_field="org",
        date_field="stage_since",
        permission="projects.view",
        additive=False,
        definition=_(
            "Projects now in groundbreaking or main construction, counted when they "
            "entered that stage by the end of the period; a part of the projects on the "
            "ledger."
        ),
        part_of="projects.on_ledger",
    )
)

# 重大项目 by level, parts of the stock: （其中在建40个、省重大项目3个、市重大项目10个）.
MAJOR_SENTENCES = {
    "province": _("{value} provincial major projects"),
    "city": _("{value} municipal major projects"),
    "district": _("{value} district major projects"),
}


def _major(level: str) -> Callable[[], QuerySet[Any]]:
    return lambda: _projects().filter(major_level=level)


for _level in MajorLevel:
    register_metric(
        Metric(
            name=f"projects.major_{_level.value}",
            sentence=MAJOR_SENTENCES[_level.value],
            label=_level.label,
            unit=_("projects"),
            queryset=_major(_level.value),
            org_field="org",
            date_field="created_at",
            permission="projects.view",
            additive=False,
            definition=format_lazy(
                _("Projects on the ledger at the end of the period listed as {level}."),
                level=_level.label,
            ),
            part_of="projects.on_ledger",
        )
    )

# Counts by stage: projects standing in each stage now, dated by when they entered it.
for _stage in Stage:
    register_metric(
        Metric(
            name=f"projects.stage.{_stage.name.lower()}",
            label=_stage.label,
            unit=_("projects"),
            queryset=_in_stage(_stage.value),
            org_field="org",
            date_field="stage_since",
            permission="projects.view",
            definition=format_lazy(
                _("Projects now in stage {stage}, dated by the day they entered it."),
                stage=_stage.label,
            ),
        )
    )


# The ledger in Excel: its export and the import that reads it back.
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.projects.exports import EXPORT  # noqa: E402
from taizhang.projects.imports import IMPORTER  # noqa: E402

register_export(EXPORT)
register_importer(IMPORTER)


def _progress_due_items(viewer: Any) -> QuerySet[Any]:
    from taizhang.projects.todos import todo_progress_due

    return todo_progress_due(viewer=viewer)


def _progress_due_date(_project: Any) -> Any:
    from taizhang.projects.todos import progress_day

    return progress_day(timezone.localdate())


register_todo(
    TodoKind(
        name="projects.progress_due",
        label=_("Monthly progress to report"),
        permission=MANAGE,
        items=_progress_due_items,
        title=lambda project: project.name,
        url=lambda project: reverse("projects:detail", args=[project.pk]),
        why=_(
            "No progress has been reported for this project this month: report what was "
            "done and the investment completed."
        ),
        due=_progress_due_date,
        order=35,
    )
)


def _linked_home(viewer: Any, _obj: Any) -> dict[str, Any] | None:
    """我挂钩的项目 on a linked leader's home page, with their open blockers."""
    from taizhang.projects.todos import linked_summary

    return linked_summary(viewer=viewer)


register_slot("core.home.first", "projects/_home_linked.html", _linked_home, order=15)


# The person pickers of the projects forms (issue 18): the candidates each field accepts.
from taizhang.core.registry import PersonSource, register_person_source  # noqa: E402
from taizhang.people.selectors import leader_candidates  # noqa: E402
from taizhang.projects.selectors import responsible_choices  # noqa: E402

register_person_source(
    PersonSource("projects.linked_leader", "projects.manage", lambda viewer: leader_candidates())
)
register_person_source(
    PersonSource(
        "projects.responsible", "projects.manage", lambda viewer: responsible_choices(viewer=viewer)
    )
)

# The co-units picker (issue 18): any unit the forms offer as lead or co-unit.
from taizhang.core.registry import OrgSource, register_org_source  # noqa: E402
from taizhang.projects.selectors import unit_choices  # noqa: E402

register_org_source(
    OrgSource("projects.co_units", "projects.manage", lambda viewer: unit_choices())
)


# Change keys of the audit trail that are not model fields (core/audit_display.py): a
# schedule's dates by stage, a progress report's date.
from taizhang.core.registry import register_audit_fields  # noqa: E402
from taizhang.projects.models import Stage  # noqa: E402

register_audit_fields(
    {str(stage.value): stage.label for stage in Stage} | {"reported_on": _("Date of the report")},
    object_type="projects.project",
)
