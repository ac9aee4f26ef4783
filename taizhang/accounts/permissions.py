"""The scope policy of grants: who may give and take back roles on which part of the tree.

A grant is booked on the organization it names. The security administrator
(``grants.manage``) sees and manages the grants on organizations her own grant's subtree
covers, and may give a new grant only there (``grant_create``) or revoke one there
(``grant_revoke``): a security administrator of one subdistrict cannot hand out roles on
the district. A grant with no organization (an own-records grant given by the system)
is on no part of the tree, so only the system actor touches it. The three
administrators stay apart (三员分立): that rule lives in ``services.grant_create``.
"""

from __future__ import annotations

from taizhang.accounts.models import Grant
from taizhang.organizations.policy import ScopePolicy

MANAGE_GRANTS = "grants.manage"
MANAGE_ACCOUNTS = "accounts.manage"

GRANT: ScopePolicy[Grant] = ScopePolicy(
    name="accounts.grant",
    model=Grant,
    view=MANAGE_GRANTS,
    manage=MANAGE_GRANTS,
    org_fields=("organization",),
)
