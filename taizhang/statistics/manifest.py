"""Functions, navigation and scope policies of statistics: dashboards, indicators and
briefings.

Grid workers (``grid_worker``) get nothing here: they record activities, demands and
evidence in their modules, and never set indicators or targets.
"""

from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
)
from taizhang.statistics.permissions import (
    BRIEFING,
    BRIEFING_STYLE,
    COMPOSITE,
    INDICATOR,
    INDICATOR_ENTRY,
    INDICATOR_TARGET,
)

register_permission("statistics.view", _("View dashboards, indicators and briefings"))
register_permission("statistics.manage", _("Set indicators and targets, enter actuals"))
register_permission("statistics.brief", _("Generate briefings"))
grant_to_roles("statistics.view", "clerk", "secretary", "leader", "viewer")
grant_to_roles("statistics.manage", "clerk")
grant_to_roles("statistics.brief", "clerk", "secretary")

register_nav(_("Dashboard"), "statistics:dashboard", "statistics.view", order=5)
register_nav(_("Briefings"), "statistics:briefings", "statistics.view", order=95)

for _policy in (
    INDICATOR,
    INDICATOR_TARGET,
    INDICATOR_ENTRY,
    COMPOSITE,
    BRIEFING,
    BRIEFING_STYLE,
):
    register_policy(_policy)

# Excel: the indicators with their targets and actuals (statistics/exports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.statistics.exports import EXPORT  # noqa: E402

register_export(EXPORT)

# The briefing actions in the readable audit trail (core/audit_display.py).
from taizhang.core.registry import register_audit_action  # noqa: E402

register_audit_action("statistics.briefing_generate", _("Briefing draft generated"))
register_audit_action("statistics.briefing_edit", _("Briefing draft written"))
register_audit_action("statistics.briefing_issue", _("Briefing issued"))
register_audit_action("statistics.briefing_correct", _("Briefing correction logged"))
register_audit_action("statistics.composite_create", _("Composite score set up"))
register_audit_action("statistics.composite_weights_set", _("Composite score weights set"))
