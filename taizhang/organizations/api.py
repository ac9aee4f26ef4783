from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.schemas import ErrorOut
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.selectors import get_organization_for_viewer, organization_list

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    parent_id: int | None
    kind: str
    code: str
    name: str
    short_name: str
    depth: int


@router.get("", response=list[OrganizationOut])
@paginate(LimitOffsetPagination)
@requires("organizations.view")
def list_organizations(
    request: HttpRequest, parent_id: int | None = None, kind: str | None = None, q: str = ""
) -> Any:
    """Organizations in your scope; filters only narrow it. A ``parent_id`` that does not
    exist or is outside your scope is one 422."""
    if parent_id is not None:
        ORGANIZATION.resolve(viewer_of(request), parent_id, field="parent_id")
    return organization_list(viewer=viewer_of(request), parent_id=parent_id, kind=kind, q=q)


@router.get("/{org_id}", response={200: OrganizationOut, 404: ErrorOut})
@requires("organizations.view")
def get_organization(request: HttpRequest, org_id: int) -> Any:
    """One organization; 404 when it does not exist or is outside your scope."""
    return get_organization_for_viewer(viewer_of(request), org_id)
