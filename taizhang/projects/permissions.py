"""The scope policy of the project ledger and the rules for actions on a project.

A project is seen with ``projects.view`` and changed with ``projects.manage`` on its
owning organization (``org``). Its lead unit and co-units are named, not granted: a
unit named on a project sees nothing through it. Stage moves, the schedule, progress
reports and their evidence belong to the project and are read through it.

A groundbreaking batch (集中开工, ``StartBatch``) belongs to its organizer: it is
managed with ``projects.manage`` there. It is also seen by whoever sees one of its
projects (a subdistrict clerk sees the district's batch her project broke ground in),
without any of the batch's other projects becoming visible. A project
has no ``created_by`` column, so an own-records grant shows no project.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.projects.models import Project, StartBatch

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


def _sees_a_project(viewer: Actor, permission: str) -> Q:
    if permission != VIEW:
        return Q(pk__in=[])
    batches = POLICY.queryset(viewer).filter(start_batch__isnull=False).values("start_batch")
    return Q(pk__in=batches)


BATCH_OF_A_VISIBLE_PROJECT = CrossTreeRule(
    name="projects.batch_of_a_visible_project",
    description=gettext_lazy("A project you see broke ground in this batch."),
    q=_sees_a_project,
    covers=lambda viewer, batch, permission: (
        permission == VIEW and POLICY.queryset(viewer).filter(start_batch=batch).exists()
    ),
)

BATCH_POLICY: ScopePolicy[StartBatch] = ScopePolicy(
    name="projects.start_batch",
    model=StartBatch,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
    extra=(BATCH_OF_A_VISIBLE_PROJECT,),
)
