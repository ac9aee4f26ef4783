"""The scope policy of the project ledger and the rules for actions on a project.

A project is seen with ``projects.view`` and changed with ``projects.manage`` on its
owning organization (``org``). Its lead unit and co-units are named, not granted: a
unit named on a project sees nothing through it. Stage moves, the schedule, progress
reports and their evidence belong to the project and are read through it. A project
has no ``created_by`` column, so an own-records grant shows no project.
"""

from __future__ import annotations

from taizhang.core.actors import Actor
from taizhang.organizations.policy import ScopePolicy
from taizhang.projects.models import Project

VIEW = "projects.view"
MANAGE = "projects.manage"
ACTIONS = {"edit", "move_stage", "report", "schedule"}

POLICY: ScopePolicy[Project] = ScopePolicy(
    name="projects.project",
    model=Project,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)


def can(viewer: Actor | None, action: str, project: Project) -> bool:
    """Whether ``viewer`` may do ``action`` on ``project`` (all need manage on its org)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    return POLICY.can_manage(viewer, project)
