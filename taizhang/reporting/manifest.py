"""What the reporting module registers: permissions, scope policies, navigation,
reminder rules, to-do kinds, exports and the reported-figures source."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.notify import Rule, register_rule
from taizhang.core.registry import (
    TodoKind,
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
    register_reported_items,
    register_reported_source,
    register_todo,
)
from taizhang.reporting.permissions import ANSWER, ASSIGNMENT, FIELD, FILL, ISSUE, TASK, VIEW
from taizhang.reporting.selectors import (
    reported_items,
    reported_value,
    todo_to_fill,
    todo_to_review,
)

register_permission(VIEW, _("View reporting tasks"))
register_permission(ISSUE, _("Send reporting tasks down the tree and review the answers"))
register_permission(FILL, _("Fill in and submit reporting tasks for one's unit"))
grant_to_roles(VIEW, "clerk", "secretary", "leader", "viewer")
grant_to_roles(ISSUE, "clerk")
grant_to_roles(FILL, "clerk", "secretary")

for _policy in (TASK, FIELD, ASSIGNMENT, ANSWER):
    register_policy(_policy)

register_reported_source(reported_value)
register_reported_items(reported_items)

register_nav(_("Reporting tasks"), "reporting:list", VIEW, order=85)

register_rule(
    Rule(
        "reporting.assigned",
        _("A reporting task was sent to your unit"),
        _("Goes to the people who fill in reports at each receiving unit."),
    )
)
register_rule(
    Rule(
        "reporting.submitted",
        _("A unit submitted its report"),
        _("Goes to the people who review reports at the issuing unit."),
    )
)
register_rule(
    Rule(
        "reporting.sent_back",
        _("A report was sent back"),
        _("Goes to the receiving unit, with the reviewer's reason."),
    )
)
register_rule(
    Rule(
        "reporting.urge",
        _("Reminder to report (催报)"),
        _("Sent when the issuing unit urges a unit that has not reported yet."),
    )
)
# No "nearly due" rule of our own: the reminders module's daily run sends
# ``todo.due_soon`` for each open assignment from the to-do kind's ``due`` (the deadline).


def _assignment_title(assignment: Any) -> str:
    return f"{assignment.task.title} · {assignment.org.short_name}"


def _fill_title(assignment: Any) -> str:
    """The workbench's why is one per kind; a sent-back item says its reason itself."""
    title = _assignment_title(assignment)
    if assignment.state == "sent_back":
        reason = str(_("sent back: %(reason)s") % {"reason": assignment.review_reason[:80]})
        return f"{title} · {reason}"
    return title


register_todo(
    TodoKind(
        name="reporting.to_fill",
        label=_("Reporting tasks to fill in"),
        permission=FILL,
        items=lambda viewer: todo_to_fill(viewer=viewer),
        title=_fill_title,
        url=lambda a: reverse("reporting:fill", args=[a.pk]),
        why=_("Your unit has not reported yet, or its report was sent back."),
        due=lambda a: a.task.deadline,
        order=30,
    )
)
register_todo(
    TodoKind(
        name="reporting.to_review",
        label=_("Reports waiting for your review"),
        permission=ISSUE,
        items=lambda viewer: todo_to_review(viewer=viewer),
        title=_assignment_title,
        url=lambda a: reverse("reporting:review", args=[a.pk]),
        why=_("A unit submitted its report: accept it or send it back with a reason."),
        due=lambda a: a.task.deadline,
        order=31,
    )
)

# Excel: the progress board and the answers of one task.
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.reporting.exports import ANSWERS, BOARD  # noqa: E402

register_export(BOARD)
register_export(ANSWERS)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "answers": _("Answers"),
    },
    object_type="reporting.assignment",
)
register_audit_fields(
    {
        "assignments": _("Units asked"),
        "fields": _("Items to report"),
    },
    object_type="reporting.reportingtask",
)

register_audit_fields(
    {
        "times_sent_back": _("Times sent back"),
    },
    object_type="reporting.assignment",
)
