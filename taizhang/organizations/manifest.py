from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    grant_to_roles,
    register_audit_review,
    register_nav,
    register_permission,
    register_policy,
)
from taizhang.organizations.permissions import GROUPING, ORGANIZATION

register_permission("organizations.view", _("View organizations"))
register_permission(
    "organizations.manage", _("Create, rename, move, close and merge organizations; keep groupings")
)
grant_to_roles(
    "organizations.view",
    "clerk",
    "secretary",
    "leader",
    "personnel",
    "viewer",
    "grid_worker",
    "system_admin",
)
grant_to_roles("organizations.manage", "system_admin")

register_nav(_("Organizations"), "organizations:tree", "organizations.view", order=10)

register_policy(ORGANIZATION)
register_policy(GROUPING)

# Excel: the tree's export and its import read the same columns (organizations/imports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.organizations.exports import EXPORT  # noqa: E402
from taizhang.organizations.imports import IMPORTER  # noqa: E402

register_export(EXPORT)
register_importer(IMPORTER)

# What the audit administrator reads (core.audit_review).
register_audit_review("organization.*", _("The organization tree"))
register_audit_review("grouping.*", _("Groupings"))
