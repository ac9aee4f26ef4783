"""REST endpoints for demands under ``/api/v1/demands``.

Contact data is masked in every response except ``POST /{id}/reveal``, which is
audited and refused (403, also audited) without ``people.view_personal`` on the demand's
organization, unless the caller took the demand and follows it up (回访). Organizations
in a body are resolved in the same choice sets as the forms offer (``DEMAND`` policy):
missing and out of scope get the same 422 with the same message.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.schemas import ErrorOut
from taizhang.demands import services
from taizhang.demands.models import Demand, DemandCategory
from taizhang.demands.permissions import FOLLOW_UP, can
from taizhang.demands.selectors import (
    demand_list,
    enterprise_choices,
    get_demand_for_viewer,
    handling_org_choices,
    intake_org_choices,
    pick,
    place_choices,
)
from taizhang.organizations.models import Organization

router = Router(tags=["demands"])


class RequesterOut(Schema):
    kind: str
    name: str
    masked_mobile: str
    enterprise_id: int | None


class DemandOut(Schema):
    id: int
    number: str
    channel: str
    category: str
    title: str
    content: str
    state: str
    org_id: int
    location_id: int
    handling_org_id: int | None
    enterprise_id: int | None
    received_on: dt.date
    due_on: dt.date
    replied_at: dt.datetime | None
    closed_on: dt.date | None
    satisfaction: str
    is_overdue: bool
    requesters: list[RequesterOut]

    @staticmethod
    def resolve_category(obj: Demand) -> str:
        return obj.category.name

    @staticmethod
    def resolve_requesters(obj: Demand) -> list[Any]:
        return list(obj.requesters.all())


class RequesterIn(Schema):
    kind: str = "person"
    name: str
    mobile: str = ""
    address: str = ""
    enterprise_id: int | None = None


class DemandIn(Schema):
    org_id: int
    location_id: int | None = None
    channel: str
    category_code: str
    title: str
    content: str
    requesters: list[RequesterIn]


class AssignIn(Schema):
    handling_org_id: int | None = None
    reason: str = ""


class ReplyIn(Schema):
    reply_text: str


class FollowUpIn(Schema):
    satisfaction: str
    note: str = ""


class ContactOut(Schema):
    name: str
    mobile: str
    address: str


def _org(choices: Any, pk: int | None, field: str) -> Organization | None:
    return None if pk is None else pick(choices, pk, field=field)


@router.get("", response=list[DemandOut])
@paginate(LimitOffsetPagination)
@requires("demands.view")
def list_demands(
    request: HttpRequest, state: str = "", channel: str = "", overdue: bool = False, q: str = ""
) -> Any:
    """Demands in your scope, contact data masked; filters only narrow."""
    return demand_list(
        viewer=viewer_of(request), state=state, channel=channel, overdue=overdue, q=q[:60]
    )


@router.get("/{demand_id}", response=DemandOut)
@requires("demands.view")
def get_demand(request: HttpRequest, demand_id: int) -> Any:
    """One demand; 404 when it does not exist or is outside your scope."""
    return get_demand_for_viewer(viewer_of(request), demand_id)


@router.post("", response={201: DemandOut, 403: ErrorOut, 422: ErrorOut})
@requires("demands.manage")
def create_demand(request: HttpRequest, payload: DemandIn) -> Any:
    """受理: record a demand in an organization of your scope."""
    user = viewer_of(request)
    category = DemandCategory.objects.filter(code=payload.category_code, is_active=True).first()
    if category is None:
        raise ValidationError({"category_code": "Unknown category."})
    org = pick(intake_org_choices(viewer=user), payload.org_id, field="org_id")
    demand = services.demand_create(
        org=org,
        location=_org(place_choices(viewer=user), payload.location_id, "location_id"),
        channel=payload.channel,
        category=category,
        title=payload.title,
        content=payload.content,
        requesters=[
            services.RequesterIn(
                kind=r.kind,
                name=r.name,
                mobile=r.mobile,
                address=r.address,
                enterprise=_org(enterprise_choices(viewer=user), r.enterprise_id, "enterprise_id"),
            )
            for r in payload.requesters
        ],
        acting_user=user,
    )
    return Status(201, get_demand_for_viewer(user, demand.pk))


def _for_action(request: HttpRequest, demand_id: int, action: str) -> Demand:
    demand = get_demand_for_viewer(viewer_of(request), demand_id)
    if not can(viewer_of(request), action, demand):
        raise PermissionDenied
    return demand


@router.post("/{demand_id}/assign", response={200: DemandOut, 403: ErrorOut, 422: ErrorOut})
@requires("demands.manage")
def assign_demand(request: HttpRequest, demand_id: int, payload: AssignIn) -> Any:
    """分派 to the routed organization, or reassign (with a reason)."""
    demand = _for_action(request, demand_id, "assign")
    target = _org(
        handling_org_choices(viewer=viewer_of(request)), payload.handling_org_id, "handling_org_id"
    )
    services.demand_assign(
        demand=demand, handling_org=target, reason=payload.reason, acting_user=viewer_of(request)
    )
    return get_demand_for_viewer(viewer_of(request), demand_id)


@router.post("/{demand_id}/start", response={200: DemandOut, 403: ErrorOut, 422: ErrorOut})
@requires("demands.manage")
def start_demand(request: HttpRequest, demand_id: int) -> Any:
    """办理: the handling organization takes the demand on."""
    demand = _for_action(request, demand_id, "start")
    services.demand_start(demand=demand, acting_user=viewer_of(request))
    return get_demand_for_viewer(viewer_of(request), demand_id)


@router.post("/{demand_id}/reply", response={200: DemandOut, 403: ErrorOut, 422: ErrorOut})
@requires("demands.manage")
def reply_demand(request: HttpRequest, demand_id: int, payload: ReplyIn) -> Any:
    """答复 to the requester."""
    demand = _for_action(request, demand_id, "reply")
    services.demand_reply(
        demand=demand, reply_text=payload.reply_text, acting_user=viewer_of(request)
    )
    return get_demand_for_viewer(viewer_of(request), demand_id)


@router.post("/{demand_id}/follow-up", response={200: DemandOut, 403: ErrorOut, 422: ErrorOut})
@requires(FOLLOW_UP)
def follow_up_demand(request: HttpRequest, demand_id: int, payload: FollowUpIn) -> Any:
    """回访: satisfied concludes (办结), unsatisfied reopens."""
    demand = _for_action(request, demand_id, "follow_up")
    services.demand_follow_up(
        demand=demand,
        satisfaction=payload.satisfaction,
        note=payload.note,
        acting_user=viewer_of(request),
    )
    return get_demand_for_viewer(viewer_of(request), demand_id)


@router.post("/{demand_id}/reveal", response={200: list[ContactOut], 403: ErrorOut})
@requires("demands.view")
def reveal_demand(request: HttpRequest, demand_id: int) -> Any:
    """The requesters' unmasked contact data; audited, also when refused."""
    demand = get_demand_for_viewer(viewer_of(request), demand_id)
    rows = services.demand_reveal(demand=demand, acting_user=viewer_of(request))
    if rows is None:
        return Status(403, {"detail": "Permission denied"})
    return rows
