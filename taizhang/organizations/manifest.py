from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    AuditOrgHook,
    grant_to_roles,
    register_audit_org,
    register_audit_review,
    register_nav,
    register_permission,
    register_policy,
)
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import GROUPING, ORGANIZATION
from taizhang.organizations.policy import owner_org_id

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


def _audit_org_field() -> Any:
    from taizhang.organizations.widgets import OrganizationPickField

    return OrganizationPickField(
        purpose="audit.view", open_only=False, tree=True, required=False, label=_("Organization")
    )


def _subtree_ids(org: Organization) -> QuerySet[Any]:
    lower, upper = org.subtree_bounds
    return Organization.objects.filter(path__gte=lower, path__lt=upper).values("pk")


# The audit trail's organization: each event keeps its object's unit, and the trail is
# filtered by a unit and the units below it.
register_audit_org(AuditOrgHook(of=owner_org_id, field=_audit_org_field, subtree=_subtree_ids))


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "members": _("Member units"),
    },
    object_type="organizations.grouping",
)
