"""What the reminders module registers: its function, policies, rules, the sender
behind ``core.notify``, the daily job and the administrator's navigation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.jobs import register_job_handler
from taizhang.core.notify import Rule, register_rule, register_sender
from taizhang.core.registry import (
    TodoKind,
    grant_to_roles,
    register_audit_review,
    register_nav,
    register_permission,
    register_policy,
    register_todo,
)
from taizhang.reminders.permissions import CONFIGURE, DELIVERY, ENDPOINT
from taizhang.reminders.selectors import todo_failed_deliveries
from taizhang.reminders.services import DIGEST, DUE_SOON, message_send, reminders_daily

register_permission(CONFIGURE, _("Set the reminder rules and the chat-tool robots"))
grant_to_roles(CONFIGURE, "system_admin")

register_policy(ENDPOINT)
register_policy(DELIVERY)

register_rule(
    Rule(
        code=DUE_SOON,
        label=_("A to-do's deadline is near"),
        description=_("Sent once per item, N working days before its deadline."),
        days_before=2,
    )
)
register_rule(
    Rule(
        code=DIGEST,
        label=_("Daily digest"),
        description=_("Each working morning: your to-dos by kind and your unread messages."),
    )
)

register_sender(message_send)

register_nav(_("Reminder rules"), "reminders:rules", CONFIGURE, order=95)

register_todo(
    TodoKind(
        name="reminders.failed_deliveries",
        label=_("Robot messages not delivered"),
        permission=CONFIGURE,
        items=todo_failed_deliveries,
        title=lambda delivery: f"{delivery.endpoint.name}：{delivery.title}",
        url=lambda delivery: reverse("reminders:deliveries") + "?status=failed",
        why=_(
            "The chat-tool robot refused this message after every retry: check the "
            "robot's address and key on its page, then send the message again."
        ),
        order=96,
    )
)


def _daily(job: Any, progress: Any) -> dict[str, Any]:
    day = dt.date.fromisoformat(job.params["date"]) if job.params.get("date") else None
    from taizhang.core.actors import SYSTEM

    return reminders_daily(today=day, acting_user=SYSTEM, progress=progress)


register_job_handler("reminders.daily", _daily)

# What the audit administrator reads (core.audit_review).
register_audit_review("reminder_rule.*", _("Reminder rules"))
register_audit_review("webhook_endpoint.*", _("Chat-tool robots"))
register_audit_review("delivery.*", _("Robot deliveries"))
