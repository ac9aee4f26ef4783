"""The one write of Open311: a POSTed request becomes a demand.

The key is a service account's token; the demand is received by the account's
organization (the organization of its grant carrying ``demands.manage``, the
shallowest if several), on channel ``online``, through ``demands.services.demand_create``
(scope check, routing data, due day, step and audit event are that service's).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied

from taizhang.accounts.models import User
from taizhang.demands.models import Channel, Demand, DemandCategory, RequesterKind
from taizhang.demands.permissions import DEMAND, MANAGE
from taizhang.demands.services import RequesterIn, demand_create
from taizhang.open311.shapes import MEDIA_PREFIX
from taizhang.organizations.models import Organization

ANONYMOUS_NAME = "匿名"  # data: a requester who gave no name
TITLE_LENGTH = 60


def receiving_org(service_user: User) -> Organization | None:
    """The organization whose channel the key is: where its account records demands."""
    facts = [f for f in DEMAND.scope(service_user, MANAGE).grants if f.org_id and f.org_path]
    if not facts:
        return None
    home = min(facts, key=lambda f: (len(f.org_path), f.org_path))
    return Organization.objects.filter(pk=home.org_id or 0).first()


def _title(description: str) -> str:
    first = description.strip().splitlines()[0].strip() if description.strip() else ""
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


def open311_request_create(
    *,
    service_user: User,
    category: DemandCategory,
    description: str,
    lat: Decimal | None = None,
    long: Decimal | None = None,
    address_string: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    media_url: str = "",
) -> Demand:
    """Record a POSTed service request as a demand of the key's organization.

    The requester's name and phone are kept as the demand's requester (personal data,
    masked like any other); an e-mail address is not kept (the ledger's contact is the
    mobile number).
    """
    if not service_user.is_service:
        raise PermissionDenied
    org = receiving_org(service_user)
    if org is None:
        raise PermissionDenied
    # Chinese names are written family name first.
    name = (
        f"{last_name.strip()}{first_name.strip()}"
        if any("\u4e00" <= ch <= "\u9fff" for ch in last_name + first_name)
        else " ".join(p for p in (first_name.strip(), last_name.strip()) if p)
    )
    content = description.strip()
    if media_url:
        content = f"{content}\n{MEDIA_PREFIX}{media_url}"
    return demand_create(
        org=org,
        channel=Channel.ONLINE,
        category=category,
        title=_title(description),
        content=content,
        requesters=[
            RequesterIn(kind=RequesterKind.PERSON, name=name or ANONYMOUS_NAME, mobile=phone)
        ],
        lat=lat,
        long=long,
        address_string=address_string,
        acting_user=service_user,
    )
