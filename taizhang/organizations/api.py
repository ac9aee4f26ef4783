from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut
from taizhang.core.versions import etag
from taizhang.organizations.models import GroupingMembership
from taizhang.organizations.permissions import GROUPING, MANAGE, ORGANIZATION, VIEW
from taizhang.organizations.selectors import (
    get_grouping_for_viewer,
    get_organization_for_viewer,
    grouping_list,
    grouping_memberships,
    organization_list,
)
from taizhang.organizations.services import (
    grouping_create,
    grouping_member_add,
    grouping_member_end,
)

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    parent_id: int | None
    kind: str
    code: str
    name: str
    short_name: str
    depth: int
    closed_on: dt.date | None


class GroupingOut(Schema):
    id: int
    name: str
    kind: str
    owner_id: int
    description: str


class GroupingIn(Schema):
    name: str
    kind: str = ""
    owner_id: int
    description: str = ""


class MemberOut(Schema):
    id: int
    organization_id: int
    joined_on: dt.date | None
    left_on: dt.date | None


class MemberIn(Schema):
    organization_id: int
    joined_on: dt.date


class MemberEndIn(Schema):
    left_on: dt.date


@router.get("/groupings", response=list[GroupingOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_groupings(request: HttpRequest) -> Any:
    """Groupings whose owner is in your scope."""
    return grouping_list(viewer=viewer_of(request))


@router.post("/groupings", response={201: GroupingOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_grouping(request: HttpRequest, payload: GroupingIn) -> Any:
    """Create a grouping owned by an organization you manage (any other id: one 422)."""
    viewer = viewer_of(request)
    owner = ORGANIZATION.resolve(
        viewer, payload.owner_id, field="owner_id", base=GROUPING.org_choices(viewer)
    )
    grouping = grouping_create(
        name=payload.name,
        kind=payload.kind,
        owner=owner,
        members=[],
        description=payload.description,
        acting_user=viewer,
    )
    return Status(201, grouping)


@router.get("/groupings/{grouping_id}", response={200: GroupingOut, 404: ErrorOut})
@requires(VIEW)
def get_grouping(request: HttpRequest, grouping_id: int) -> Any:
    """One grouping; 404 when it does not exist or its owner is outside your scope."""
    return get_grouping_for_viewer(viewer_of(request), grouping_id)


@router.get("/groupings/{grouping_id}/members", response={200: list[MemberOut], 404: ErrorOut})
@requires(VIEW)
def list_members(request: HttpRequest, grouping_id: int) -> Any:
    """Current and past members that you may see."""
    viewer = viewer_of(request)
    grouping = get_grouping_for_viewer(viewer, grouping_id)
    return grouping_memberships(viewer=viewer, grouping=grouping)


@router.post(
    "/groupings/{grouping_id}/members",
    response={201: MemberOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def add_member(request: HttpRequest, grouping_id: int, payload: MemberIn) -> Any:
    """Add a unit you can see to a grouping you manage, from ``joined_on``."""
    viewer = viewer_of(request)
    grouping = get_grouping_for_viewer(viewer, grouping_id)
    org = ORGANIZATION.resolve(viewer, payload.organization_id, field="organization_id")
    membership = grouping_member_add(
        grouping=grouping, organization=org, joined_on=payload.joined_on, acting_user=viewer
    )
    return Status(201, membership)


@router.post(
    "/groupings/{grouping_id}/members/{member_id}/end",
    response={200: MemberOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def end_member(request: HttpRequest, grouping_id: int, member_id: int, payload: MemberEndIn) -> Any:
    """End a membership on ``left_on`` (exclusive): the unit is no member from then."""
    viewer = viewer_of(request)
    grouping = get_grouping_for_viewer(viewer, grouping_id)
    membership = GroupingMembership.objects.filter(grouping=grouping, pk=member_id).first()
    if membership is None:
        raise Http404
    return grouping_member_end(membership=membership, left_on=payload.left_on, acting_user=viewer)


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
def get_organization(request: HttpRequest, org_id: int, response: HttpResponse) -> Any:
    """One organization; 404 when it does not exist or is outside your scope. The
    ``ETag`` header is its version (``core.versions``)."""
    org = get_organization_for_viewer(viewer_of(request), org_id)
    response["ETag"] = etag(org)
    return org
