from django.utils.translation import gettext_lazy as _

from taizhang.accounts.permissions import GRANT
from taizhang.core.registry import (
    grant_to_roles,
    register_nav,
    register_permission,
    register_policy,
)

register_permission("accounts.manage", _("Create and deactivate user accounts"))
register_permission("grants.manage", _("Grant roles and unlock accounts"))
grant_to_roles("accounts.manage", "system_admin")
grant_to_roles("grants.manage", "security_admin")

register_nav(_("Accounts and grants"), "accounts:user_list", "grants.manage", order=800)

register_policy(GRANT)
