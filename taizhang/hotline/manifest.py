"""What the hotline adapter registers: its function and policies, the change listener
that turns demand steps into pushes, the to-do of failed pushes, navigation, audit."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.changes import register_listener
from taizhang.core.registry import (
    TodoKind,
    grant_to_roles,
    register_audit_action,
    register_audit_review,
    register_nav,
    register_permission,
    register_policy,
    register_todo,
)
from taizhang.hotline.permissions import CONFIGURE, ENDPOINT, PUSH
from taizhang.hotline.selectors import todo_failed_pushes
from taizhang.hotline.services import on_rows_changing

register_permission(CONFIGURE, _("Connect the 12345 hotline platform"))
grant_to_roles(CONFIGURE, "system_admin")

register_policy(ENDPOINT)
register_policy(PUSH)

# Demands report the rows they change; a hotline demand's state change becomes a push.
register_listener(on_rows_changing)

register_nav(_("12345 hotline"), "hotline:endpoints", CONFIGURE, order=96)

register_todo(
    TodoKind(
        name="hotline.failed_pushes",
        label=_("State changes the 12345 platform did not take"),
        permission=CONFIGURE,
        items=todo_failed_pushes,
        title=lambda push: f"{push.order.order_no}：{push.get_event_display()}",
        url=lambda push: reverse("hotline:pushes") + "?status=failed",
        why=_(
            "The platform refused this state change after every attempt: check the "
            "endpoint's push-back URL and key, then send it again."
        ),
        order=97,
    )
)

# How the readable audit trail names the adapter's own acts.
register_audit_action("hotline_order.receive", _("12345 work order received"))
register_audit_action("hotline_push.retry", _("12345 push sent again"))
register_audit_review("hotline_endpoint.*", _("12345 hotline endpoints"))
register_audit_review("hotline_push.*", _("12345 hotline pushes"))
