from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.permissions import GRANT
from taizhang.core.registry import (
    TodoKind,
    grant_to_roles,
    register_audit_review,
    register_nav,
    register_permission,
    register_policy,
    register_todo,
)

register_permission(
    "accounts.manage",
    _("Create, disable and enable accounts, reset passwords, issue service tokens"),
)
register_permission("grants.manage", _("Grant roles and unlock accounts"))
# Accounts and their roles are the security administrator's duty (三员分立): the
# system administrator builds the tree and the dictionaries, and holds no account.
grant_to_roles("accounts.manage", "security_admin")
grant_to_roles("grants.manage", "security_admin")

register_nav(_("Accounts and grants"), "accounts:user_list", "grants.manage", order=800)

register_policy(GRANT)


# To-dos (workbench): accounts locked after repeated failed logins, for the security
# administrator who manages them (``permissions.accounts_managed``).
def _locked_items(viewer: Any) -> QuerySet[Any]:
    from taizhang.accounts.permissions import accounts_managed

    return (
        accounts_managed(viewer)
        .filter(locked_until__gt=timezone.now())
        .order_by("locked_until", "pk")
    )


register_todo(
    TodoKind(
        name="accounts.locked",
        label=_("Locked accounts"),
        permission="grants.manage",
        items=_locked_items,
        title=lambda user: f"{user.display_name}（{user.username}）",
        url=lambda user: reverse("accounts:user_detail", args=[user.pk]),
        why=_(
            "The account was locked after repeated failed logins: check with its owner "
            "that it was them, then unlock it, or leave it locked until the lock expires."
        ),
        due=None,
        order=90,
    )
)

# What the audit administrator reads (core.audit_review).
register_audit_review("grant.*", _("Grants"))
register_audit_review("user.*", _("User accounts"))
register_audit_review("token.*", _("API tokens"))


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "listed": _("Listed units"),
    },
    object_type="accounts.grant",
)
register_audit_fields(
    {
        "channel": _("Signed in through"),
        "max_age_days": _("Longest password age (days)"),
        "login_at": _("Signed in at"),
        "max_hours": _("Longest session (hours)"),
        "sessions_ended": _("Sessions ended"),
        "max_sessions": _("Sessions allowed at once"),
        "ended_signed_in_at": _("Ended sessions signed in at"),
    },
    object_type="accounts.user",
)
