"""Who may see what of the hotline adapter.

Endpoints, and the pushes of the work orders they received, are booked on the
endpoint's organization: ``hotline.configure`` there (the system administrator of that
part of the tree) sees and manages them. The demands themselves are the demands
ledger's, under its own policy. The platform itself is no user: it is authenticated by
the endpoint's shared key and acts through the endpoint's service account.
"""

from __future__ import annotations

from taizhang.hotline.models import HotlineEndpoint, Push
from taizhang.organizations.policy import ScopePolicy

CONFIGURE = "hotline.configure"

ENDPOINT: ScopePolicy[HotlineEndpoint] = ScopePolicy(
    name="hotline.endpoint",
    model=HotlineEndpoint,
    view=CONFIGURE,
    manage=CONFIGURE,
    org_fields=("org",),
)

PUSH: ScopePolicy[Push] = ScopePolicy(
    name="hotline.push",
    model=Push,
    view=CONFIGURE,
    manage=CONFIGURE,
    org_fields=("order__endpoint__org",),
)
