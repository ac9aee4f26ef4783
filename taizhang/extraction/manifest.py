"""What the extraction module registers: its functions, scope policies, the job that
runs a report's extraction and the navigation entry of the review pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

import taizhang.extraction.services  # noqa: F401  (registers the extraction job handler)
from taizhang.core.registry import (
    grant_to_roles,
    register_audit_action,
    register_audit_fields,
    register_nav,
    register_permission,
    register_policy,
    register_reported_items,
)
from taizhang.extraction.permissions import POLICIES
from taizhang.extraction.selectors import reported_figures

register_permission("extraction.view", _("View reports brought in and their drafts"))
register_permission("extraction.manage", _("Bring in reports and confirm or drop their drafts"))
grant_to_roles("extraction.view", "clerk", "secretary")
grant_to_roles("extraction.manage", "clerk", "secretary")

for _policy in POLICIES:
    register_policy(_policy)

# Figures confirmed from reports: the briefing lists them as reported (据报告…).
register_reported_items(reported_figures)

register_nav(_("Report intake"), "extraction:list", "extraction.view", order=90)

# The audit trail's words for this module's events and their change keys.
register_audit_action("extraction.intake_create", _("Report intake: report brought in"))
register_audit_action("extraction.draft_confirm", _("Report intake: draft confirmed"))
register_audit_action("extraction.draft_drop", _("Report intake: draft dropped"))
register_audit_fields({"characters": _("Characters")}, object_type="extraction.reportintake")
register_audit_fields(
    {
        "kind": pgettext_lazy("report extraction", "Kind"),
        "intake": _("Report intake"),
        "object": _("The record written"),
        "late_entry": _("Late entry (补录)"),
        "linked": _("Linked to a record already kept"),
        "figure": _("Figure as confirmed"),
        "outside_body": _("Outside body named by the report"),
    },
    object_type="extraction.draft",
)
