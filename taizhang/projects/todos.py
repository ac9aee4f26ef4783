"""Reads behind the projects module's to-dos and home panel (the workbench shows them)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.projects.models import ProgressReport, Project, Stage
from taizhang.projects.permissions import MANAGE, POLICY
from taizhang.projects.selectors import linked_projects

# How many days before the month's progress day a project comes onto the list.
PROGRESS_WINDOW_DAYS = 7


def progress_day(month: dt.date) -> dt.date:
    """The day this month's progress report is due (``TAIZHANG_PROJECT_PROGRESS_DAY``,
    the 25th unless configured; the last day in a shorter month)."""
    wanted = int(getattr(settings, "TAIZHANG_PROJECT_PROGRESS_DAY", 25))
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=max(1, min(wanted, last)))


def todo_progress_due(*, viewer: Actor | None, today: dt.date | None = None) -> QuerySet[Project]:
    """Projects under way that the viewer manages with no progress report this month,
    from a week before the progress day to the month's end. Completed and operating
    projects report no monthly progress."""
    day = today or timezone.localdate()
    due = progress_day(day)
    if day < due - dt.timedelta(days=PROGRESS_WINDOW_DAYS):
        return Project.objects.none()
    reported = ProgressReport.objects.filter(
        project=OuterRef("pk"), reported_on__gte=day.replace(day=1), reported_on__lte=day
    )
    return (
        Project.objects.filter(POLICY.q(viewer, MANAGE), stage__lt=Stage.COMPLETED)
        .filter(~Exists(reported))
        .select_related("org")
        .order_by("-total_investment", "pk")
    )


def linked_summary(*, viewer: Actor | None, limit: int = 5) -> dict[str, Any] | None:
    """A linked leader's projects for the home page: totals, and the first few with
    those behind schedule first (two queries: the projects and their totals)."""
    if not getattr(viewer, "person_id", None):
        return None
    projects = list(linked_projects(viewer=viewer))
    if not projects:
        return None
    overdue = [p for p in projects if getattr(p, "is_overdue", False)]
    ordered = overdue + [p for p in projects if not getattr(p, "is_overdue", False)]
    return {
        "count": len(projects),
        "overdue": len(overdue),
        "total_investment": sum(p.total_investment for p in projects),
        "projects": ordered[:limit],
        "more": max(0, len(projects) - limit),
    }
