"""Who may see and act on reporting tasks: the scope policies (ADR 0043).

* A task is seen with ``reporting.view`` on its issuing unit, or by a unit it was sent
  to (the ``sent_to_my_units`` rule: an assignment booked on a unit in the viewer's
  scope). Sending and reviewing need ``reporting.issue`` on the issuer itself.
* An assignment (and its answers) is seen by the receiving unit and by the issuer;
  never by a neighbour the same task went to. Filling needs ``reporting.fill`` on the
  receiving unit (``manage_fields``); reviewing is checked on the task.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.organizations.scope import scope_for
from taizhang.reporting.models import Answer, Assignment, ReportingTask, TaskField

VIEW = "reporting.view"
ISSUE = "reporting.issue"
FILL = "reporting.fill"


def _sent_to_q(prefix: str) -> Any:
    def q(viewer: Any, permission: str) -> Q:
        if permission != VIEW:
            return Q(pk__in=[])
        scope = scope_for(viewer, VIEW)
        if scope.is_empty:
            return Q(pk__in=[])
        receiving = Assignment.objects.filter(scope.records_q(org_field="org"))
        return Q(**{f"{prefix}pk__in": receiving.values("task_id")})

    return q


def _sent_to_covers(task_of: Any) -> Any:
    def covers(viewer: Any, obj: Any, permission: str) -> bool:
        if permission != VIEW:
            return False
        scope = scope_for(viewer, VIEW)
        if scope.is_empty:
            return False
        return Assignment.objects.filter(
            scope.records_q(org_field="org"), task_id=task_of(obj)
        ).exists()

    return covers


SENT_TO_TASK = CrossTreeRule(
    name="reporting.sent_to_my_units",
    description=_("the task was sent to a unit in your data scope"),
    q=_sent_to_q(""),
    covers=_sent_to_covers(lambda task: task.pk),
)
SENT_TO_FIELD = CrossTreeRule(
    name="reporting.field_sent_to_my_units",
    description=_("the task was sent to a unit in your data scope"),
    q=_sent_to_q("task__"),
    covers=_sent_to_covers(lambda field: field.task_id),
)

TASK: ScopePolicy[ReportingTask] = ScopePolicy(
    name="reporting.task",
    model=ReportingTask,
    view=VIEW,
    manage=ISSUE,
    org_fields=("issuer",),
    extra=(SENT_TO_TASK,),
)
FIELD: ScopePolicy[TaskField] = ScopePolicy(
    name="reporting.field",
    model=TaskField,
    view=VIEW,
    manage=ISSUE,
    org_fields=("task__issuer",),
    extra=(SENT_TO_FIELD,),
)
ASSIGNMENT: ScopePolicy[Assignment] = ScopePolicy(
    name="reporting.assignment",
    model=Assignment,
    view=VIEW,
    manage=FILL,
    org_fields=("org", "task__issuer"),
    manage_fields=("org",),
)
ANSWER: ScopePolicy[Answer] = ScopePolicy(
    name="reporting.answer",
    model=Answer,
    view=VIEW,
    manage=FILL,
    org_fields=("assignment__org", "assignment__task__issuer"),
    manage_fields=("assignment__org",),
)


def may_issue(viewer: Any, task: ReportingTask) -> bool:
    """Send, urge, review and close: ``reporting.issue`` on the issuing unit."""
    return TASK.covers(viewer, task, ISSUE)


def may_fill(viewer: Any, assignment: Assignment) -> bool:
    return ASSIGNMENT.covers(viewer, assignment, FILL)


def may_relay(viewer: Any, assignment: Assignment) -> bool:
    """Relaying sends a task from the receiving unit: fill and issue on that unit."""
    return may_fill(viewer, assignment) and scope_for(viewer, ISSUE).covers(assignment.org)
