from django.utils.translation import gettext_lazy as _

from taizhang.accounts.permissions import GRANT
from taizhang.core.registry import (
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
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
