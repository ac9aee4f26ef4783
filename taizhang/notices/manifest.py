"""What notices register: functions, scope policies, navigation, reminder rules, the
to-do kind and the home-page panel."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.core.notify import Rule, register_rule
from taizhang.core.registry import (
    TodoKind,
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
    register_todo,
)
from taizhang.notices.models import Notice
from taizhang.notices.permissions import ATTACHMENT, POLICY, PUBLISH, RECEIPT, TARGET, VIEW
from taizhang.notices.selectors import latest_unread, todo_to_acknowledge

register_permission(VIEW, _("Read notices"))
register_permission(PUBLISH, _("Publish notices to units below"))
grant_to_roles(VIEW, "clerk", "secretary", "leader", "viewer", "grid_worker")
grant_to_roles(PUBLISH, "clerk", "secretary")

for _policy in (POLICY, ATTACHMENT, TARGET, RECEIPT):
    register_policy(_policy)

register_nav(_("Notices"), "notices:list", VIEW, order=15)

register_rule(
    Rule(
        "notices.published",
        _("A notice was sent to your unit"),
        _("Sent to the staff of each receiving unit when a notice is published."),
    )
)
register_rule(
    Rule(
        "notices.ack_due",
        _("A notice waits for your unit's acknowledgement"),
        _(
            "Sent to the staff of the units that have not acknowledged a notice, when its "
            "publisher reminds them (at most once a day)."
        ),
    )
)


def _title(notice: Notice) -> str:
    return f"{notice.org.short_name}：{notice.title}"


register_todo(
    TodoKind(
        name="notices.to_acknowledge",
        label=_("Notices to acknowledge"),
        permission=VIEW,
        items=lambda viewer: todo_to_acknowledge(viewer=viewer),
        title=_title,
        url=lambda notice: reverse("notices:detail", args=[notice.pk]),
        why=_("The notice was sent to your unit and asks for an acknowledgement of receipt."),
        due=lambda notice: notice.ack_deadline,
        order=30,
    )
)

HOME_LIMIT = 5


def _home_panel(viewer: Actor | None, _obj: Any) -> dict[str, Any] | None:
    """The newest notices the viewer has not opened (two queries: grants, notices)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    if not viewer.has_function(VIEW):
        return None
    notices = latest_unread(viewer=viewer, limit=HOME_LIMIT)
    if not notices:
        return None
    return {"notices": notices}


register_slot("core.home.first", "notices/_home.html", _home_panel, order=20)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "acked_at": _("Acknowledged at"),
        "acknowledged_units": _("Units that acknowledged"),
        "notified": _("People notified"),
        "targets": _("Units sent to"),
    },
    object_type="notices.notice",
)
