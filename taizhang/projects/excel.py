"""The project list as the Excel 台账 clerks keep: one row per project."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from taizhang.projects.models import Project, Stage

WAN = Decimal(10_000)
DATED_STAGES = [Stage.STARTED, Stage.COMPLETED, Stage.OPERATING]


def _wan(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / WAN


def headers() -> list[str]:
    columns = [
        _("No."),
        _("Project name"),
        _("Category"),
        _("Owning organization"),
        _("Lead unit"),
        _("Co-units"),
        _("Linked leader"),
        _("Responsible person"),
        _("Location"),
        _("Total investment (10k yuan)"),
        _("Plan year"),
        _("Planned investment this year (10k yuan)"),
        _("Completed investment (10k yuan)"),
        _("Building area (m²)"),
        _("Land (mu)"),
        _("Capacity"),
        _("Expected jobs"),
        _("Current stage"),
        _("In this stage since"),
    ]
    for stage in DATED_STAGES:
        columns.append(_("%(stage)s planned") % {"stage": stage.label})
        columns.append(_("%(stage)s actual") % {"stage": stage.label})
    columns += [_("Overdue"), _("Latest progress")]
    return columns


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


def project_workbook(projects: Iterable[Project], *, title: str) -> bytes:
    """Build the workbook in memory and return its bytes."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Key projects")
    columns = headers()
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F0F2F5")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    count = 0
    for count, project in enumerate(projects, start=1):
        ws.append(_row(count, project))
    for index, header in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = (
            30 if index in (2, len(columns)) else max(10, min(len(header) * 2, 22))
        )
        for cell in ws[letter][1:]:
            if hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    wb.properties.title = title
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
