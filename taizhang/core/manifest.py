"""The core roles. Modules add their permissions to these roles in their manifests."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    grant_to_roles,
    register_audit_fields,
    register_nav,
    register_permission,
    register_role,
)

register_role("clerk", _("Clerk"))
register_role("secretary", _("Secretary"))
register_role("leader", _("Linked leader"))
register_role("personnel", _("Personnel officer"))
register_role("viewer", _("Viewer"))
# 网格员: records activities, demands and evidence on the ground; never verifies, closes
# out, sets targets or confirms figures (duties kept apart: issue 11).
register_role("grid_worker", _("Grid worker"))
register_role("system_admin", _("System administrator"), admin_kind="system")
register_role("security_admin", _("Security administrator"), admin_kind="security")
register_role("audit_admin", _("Audit administrator"), admin_kind="audit")

register_permission("audit.view", _("Read the audit trail"))
grant_to_roles("audit.view", "audit_admin")

register_nav(_("Audit trail"), "core:audit_list", "audit.view", order=900)

register_permission("core.configure_calendar", _("Keep the holiday calendar"))
grant_to_roles("core.configure_calendar", "system_admin")

# Large exports run as background jobs (core/exports.py).
from taizhang.core.exports import EXPORT_JOB, _export_job  # noqa: E402
from taizhang.core.jobs import register_job_handler  # noqa: E402

register_job_handler(EXPORT_JOB, _export_job)

# The audit trail's own export and the chain's verification from the page (issue 18).
from taizhang.core.audit_pages import EXPORT as AUDIT_EXPORT  # noqa: E402
from taizhang.core.audit_pages import VERIFY_JOB, verify_job  # noqa: E402
from taizhang.core.exports import register_export  # noqa: E402

register_export(AUDIT_EXPORT)
register_job_handler(VERIFY_JOB, verify_job)

# The audit administrator's review (三员分立): what the other administrators did, personal
# data revealed, data exported, and every refused action (``core/audit_review.py``).
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from taizhang.core.audit_review import events_to_review, kind_of  # noqa: E402
from taizhang.core.registry import TodoKind, register_audit_review, register_todo  # noqa: E402

register_audit_review("*.reveal", _("Personal data revealed"))
register_audit_review("*.export", _("Exports"))
register_audit_review("workday_override.*", _("Holiday calendar"))


def _event_title(event: Any) -> str:
    when = timezone.localtime(event.occurred_at)
    who = event.actor_name or _("System")
    return f"{when:%m-%d %H:%M} {who} {kind_of(event)} {event.object_repr}".strip()


register_todo(
    TodoKind(
        name="core.audit_to_review",
        label=_("Audit events to review"),
        permission="audit.view",
        items=events_to_review,
        title=_event_title,
        url=lambda event: reverse("core:audit_list") + "?review=1",
        why=_(
            "Administrators' actions, personal data revealed, exports and refused actions "
            "since your last review: read them, then mark them as read."
        ),
        order=95,
    )
)


# Change keys many modules write that are not model fields (core/audit_display.py).
register_audit_fields(
    {
        "count": _("Number of records"),
        "ids": _("Record numbers"),
        "source": _("Source"),
        "note": _("Note"),
        "reason": _("Reason"),
        "fields": _("Fields"),
        "user": _("User"),
        "events": _("Events"),
        "review": _("To review only"),
        "filters": _("Filters"),
        "attachments": _("Attachments"),
        "evidence": _("Evidence"),
        "category": _("Category"),
        "competition": _("Competition"),
        "rows": _("Rows"),
        "correction": _("Correction"),
    },
)
