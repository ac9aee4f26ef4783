"""What the extraction module registers: its functions, scope policies, the job that
runs a report's extraction and the navigation entry of the review pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

import taizhang.extraction.services  # noqa: F401  (registers the extraction job handler)
from taizhang.core.registry import (
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
)
from taizhang.extraction.permissions import POLICIES

register_permission("extraction.view", _("View reports brought in and their drafts"))
register_permission("extraction.manage", _("Bring in reports and confirm or drop their drafts"))
grant_to_roles("extraction.view", "clerk", "secretary")
grant_to_roles("extraction.manage", "clerk", "secretary")

for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Report intake"), "extraction:list", "extraction.view", order=90)
