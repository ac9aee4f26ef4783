"""The scope policy of the organization tree itself.

An organization is seen with ``organizations.view`` on it and changed (renamed,
moved, given a child) with ``organizations.manage`` on it: the system administrator's
function, limited to the part of the tree the grant covers. Moving also needs manage on
the new parent. The services enforce it (``organization_rename``, ``organization_move``).
"""

from __future__ import annotations

from taizhang.organizations.models import Grouping, Organization
from taizhang.organizations.policy import SELF, ScopePolicy

VIEW = "organizations.view"
MANAGE = "organizations.manage"

ORGANIZATION: ScopePolicy[Organization] = ScopePolicy(
    name="organizations.organization",
    model=Organization,
    view=VIEW,
    manage=MANAGE,
    org_fields=(SELF,),
)

# A grouping is booked on its owner: seen with organizations.view on the owner and
# changed (members added and ended) with organizations.manage on it.
GROUPING: ScopePolicy[Grouping] = ScopePolicy(
    name="organizations.grouping",
    model=Grouping,
    view=VIEW,
    manage=MANAGE,
    org_fields=("owner",),
)
