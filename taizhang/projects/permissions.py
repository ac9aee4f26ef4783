"""Rules for actions on a project the viewer can already see."""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for
from taizhang.projects.models import Project

MANAGE = "projects.manage"
ACTIONS = {"edit", "move_stage", "report", "schedule"}


def can(viewer: Any, action: str, project: Project) -> bool:
    """Whether ``viewer`` may do ``action`` on ``project`` (all need manage on its org)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not viewer.is_authenticated:
        return False
    return scope_for(viewer, MANAGE).covers(project.org)
