"""The project list as the Excel 台账 clerks keep: one row per project, core's writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from taizhang.core.exports import (
    DATE,
    DECIMAL,
    INTEGER,
    MONEY,
    YEAR,
    Column,
    Written,
    write_workbook,
)
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import scope_title
from taizhang.projects.models import Project, Stage

WAN = Decimal(10_000)
DATED_STAGES = [Stage.STARTED, Stage.COMPLETED, Stage.OPERATING]


def _wan(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / WAN


def columns() -> list[Column]:
    result = [
        Column(_("No."), INTEGER, width=6),
        Column(_("Project name"), width=30, wrap=True),
        Column(_("Category"), width=10),
        Column(_("Owning organization"), width=16),
        Column(_("Lead unit"), width=14),
        Column(_("Co-units"), width=16, wrap=True),
        Column(_("Linked leader"), width=10),
        Column(_("Responsible person"), width=10),
        Column(_("Location"), width=16, wrap=True),
        Column(_("Total investment (10k yuan)"), MONEY, width=14, summed=True),
        Column(_("Plan year"), YEAR, width=8),
        Column(_("Planned investment this year (10k yuan)"), MONEY, width=14, summed=True),
        Column(_("Completed investment (10k yuan)"), MONEY, width=14, summed=True),
        Column(_("Building area (m²)"), DECIMAL, width=12, summed=True),
        Column(_("Land (mu)"), DECIMAL, width=10, summed=True),
        Column(_("Capacity"), width=12),
        Column(_("Expected jobs"), INTEGER, width=10, summed=True),
        Column(_("Current stage"), width=10),
        Column(_("In this stage since"), DATE),
    ]
    for stage in DATED_STAGES:
        result.append(Column(_("%(stage)s planned") % {"stage": stage.label}, DATE))
        result.append(Column(_("%(stage)s actual") % {"stage": stage.label}, DATE))
    result += [Column(_("Overdue"), width=6), Column(_("Latest progress"), width=30, wrap=True)]
    return result


def headers() -> list[str]:
    return [column.title for column in columns()]


def scope_name(viewer: Any, permission: str, org: Organization | None = None) -> str:
    """The organization a file is about (``organizations.policy.scope_title``)."""
    return scope_title(viewer, permission, org)


def _row(number: int, project: Any) -> list[Any]:
    plans = {p.stage: p for p in project.plans.all()}
    capacity = ""
    if project.capacity is not None:
        capacity = f"{project.capacity.normalize():f}{project.capacity_unit}"
    row: list[Any] = [
        number,
        project.name,
        project.get_category_display(),
        project.org.name,
        project.lead_unit.short_name,
        "、".join(u.short_name for u in project.co_units.all()),
        project.linked_leader.name if project.linked_leader else "",
        project.responsible.name if project.responsible else "",
        project.location,
        _wan(project.total_investment),
        project.plan_year,
        _wan(project.annual_planned_investment),
        _wan(project.completed_investment),
        project.building_area,
        project.land_area,
        capacity,
        project.expected_jobs,
        project.get_stage_display(),
        project.stage_since,
    ]
    for stage in DATED_STAGES:
        plan = plans.get(stage.value)
        row.append(plan.planned_on if plan else None)
        row.append(plan.actual_on if plan else None)
    row += [
        _("Yes") if getattr(project, "is_overdue", False) else "",
        project.latest_progress or "",
    ]
    return row


def _rows(projects: Iterable[Project]) -> Iterator[list[Any]]:
    for number, project in enumerate(projects, start=1):
        yield _row(number, project)


def project_workbook(
    projects: Iterable[Project], *, title: str, organization_name: str, as_of: dt.date
) -> Written:
    """Stream the projects into the shared 台账 layout, with a 合计 row for the money."""
    return write_workbook(
        title=title,
        sheet_title=_("Key projects"),
        organization_name=organization_name,
        as_of=as_of,
        columns=columns(),
        rows=_rows(projects),
    )
