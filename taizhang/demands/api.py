"""REST endpoints for demands under ``/api/v1/demands``.

Contact data is masked in every response except ``POST /{id}/reveal``, which is
audited and refused (403, also audited) without ``people.view_personal`` on the demand's
organization, unless the caller took the demand and follows it up (回访). Organizations
in a body are resolved in the same choice sets as the forms offer (``DEMAND`` policy):
missing and out of scope get the same 422 with the same message.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut, error_body
from taizhang.core.versions import if_match
from taizhang.demands import services
from taizhang.demands.forms import SUBDISTRICT_KINDS
from taizhang.demands.models import Demand, DemandCategory
from taizhang.demands.permissions import CONFIGURE, DELEGATED_SERVICE, FOLLOW_UP, ROUTING_RULE, can
from taizhang.demands.selectors import (
    categories_with_rules,
    configure_org_choices,
    demand_list,
    enterprise_choices,
    get_demand_for_viewer,
    handling_org_choices,
    intake_org_choices,
    pick,
    place_choices,
)
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization

router = Router(tags=["demands"])


class RequesterOut(Schema):
    kind: str
    name: str
    masked_mobile: str
    enterprise_id: int | None


class DemandOut(Stamped):
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
    lat: Decimal | None = Field(None, description="Latitude of the matter (WGS 84 degrees)")
    long: Decimal | None = Field(None, description="Longitude of the matter (WGS 84 degrees)")
    address_string: str = Field("", description="Where the matter is, as the requester said")
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
    lat: Decimal | None = Field(None, ge=-90, le=90, description="Latitude (both or neither)")
    long: Decimal | None = Field(None, ge=-180, le=180, description="Longitude (both or neither)")
    address_string: str = Field("", max_length=200, description="Where the matter is")


class AssignIn(Schema):
    handling_org_id: int | None = None
    reason: str = ""


class LateEntryIn(Schema):
    """补录: a step that took place earlier, with its real moment and the reason."""

    occurred_at: dt.datetime | None = None
    late_reason: str = ""


class ReplyIn(LateEntryIn):
    reply_text: str


class FollowUpIn(LateEntryIn):
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
    request: HttpRequest,
    filters: Query[LedgerQuery],
    state: str = "",
    channel: str = "",
    overdue: bool = False,
    q: str = "",
) -> Any:
    """Demands in your scope, contact data masked; filters only narrow. ``org``: that
    organization and its subtree, receiving or handling (one outside your scope: 422, as
    for an unknown id); ``date_from``/``date_to``: received, inclusive; ``mine``: you
    recorded it."""
    viewer = viewer_of(request)
    return stamped(
        demand_list(
            viewer=viewer,
            state=state,
            channel=channel,
            overdue=overdue,
            q=q[:60],
            ledger=ledger_filter_for_api(viewer, filters, permission="demands.view"),
        )
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
        raise ValidationError({"category_code": _("Unknown category.")})
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
        lat=payload.lat,
        long=payload.long,
        address_string=payload.address_string,
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
        demand=demand,
        reply_text=payload.reply_text,
        when=payload.occurred_at,
        late_reason=payload.late_reason,
        acting_user=viewer_of(request),
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
        when=payload.occurred_at,
        late_reason=payload.late_reason,
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
        return Status(403, error_body("forbidden", _("Permission denied.")))
    return rows


# --- Dictionaries (system administrator, ``demands.configure``) -------------------------


class RoutingRuleOut(Schema):
    id: int
    area_id: int
    handling_org_id: int


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    default_org_id: int
    time_limit_days: int
    for_enterprises: bool
    sort_order: int
    is_active: bool
    rules: list[RoutingRuleOut]

    @staticmethod
    def resolve_rules(obj: DemandCategory) -> list[Any]:
        return list(getattr(obj, "visible_rules", []))


class CategoryIn(Schema):
    code: str
    name: str
    default_org_id: int
    time_limit_days: int
    for_enterprises: bool = False
    sort_order: int = 0


class CategoryPatch(Schema):
    name: str | None = None
    default_org_id: int | None = None
    time_limit_days: int | None = None
    for_enterprises: bool | None = None
    sort_order: int | None = None


class RoutingRuleIn(Schema):
    area_id: int
    handling_org_id: int


class DelegatedServiceOut(Schema):
    id: int
    org_id: int
    name: str
    category_id: int | None
    delegated_by: str
    delegated_on: dt.date


class DelegatedServiceIn(Schema):
    org_id: int
    name: str
    category_id: int | None = None
    delegated_by: str = ""
    delegated_on: dt.date


def _category_out(viewer: Any, pk: int) -> DemandCategory:
    return next(
        c for c in categories_with_rules(viewer=viewer, include_inactive=True) if c.pk == pk
    )


def _active_category(pk: int | None, *, keep: int | None = None) -> DemandCategory | None:
    """A category named in a payload: active ones only (or the one the row already has)."""
    if pk is None:
        return None
    category = DemandCategory.objects.filter(pk=pk).first()
    if category is None or (not category.is_active and category.pk != keep):
        raise ValidationError({"category_id": _("Unknown category.")})
    return category


@router.get("/dictionaries/categories", response=list[CategoryOut])
@requires(CONFIGURE)
def list_categories(request: HttpRequest) -> Any:
    """Every demand category, deactivated ones too, with the routing rules in your scope."""
    return categories_with_rules(viewer=viewer_of(request), include_inactive=True)


@router.post("/dictionaries/categories", response={201: CategoryOut, 403: ErrorOut, 422: ErrorOut})
@requires(CONFIGURE)
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    viewer = viewer_of(request)
    data = payload.dict()
    data["default_org"] = pick(
        configure_org_choices(viewer=viewer), data.pop("default_org_id"), field="default_org_id"
    )
    category = services.demand_category_create(**data, acting_user=viewer)
    return Status(201, _category_out(viewer, category.pk))


@router.patch(
    "/dictionaries/categories/{category_id}",
    response={200: CategoryOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def update_category(request: HttpRequest, category_id: int, payload: CategoryPatch) -> Any:
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=category_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    if "default_org_id" in changes:
        changes["default_org"] = pick(
            configure_org_choices(viewer=viewer),
            changes.pop("default_org_id"),
            field="default_org_id",
        )
    services.demand_category_update(
        category=category, changes=changes, acting_user=viewer, version=if_match(request)
    )
    return _category_out(viewer, category.pk)


@router.post(
    "/dictionaries/categories/{category_id}/deactivate", response={200: CategoryOut, 403: ErrorOut}
)
@requires(CONFIGURE)
def deactivate_category(request: HttpRequest, category_id: int) -> Any:
    """No longer offered for new demands; demands filed under it keep it."""
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=category_id)
    services.demand_category_deactivate(category=category, acting_user=viewer)
    return _category_out(viewer, category.pk)


@router.post(
    "/dictionaries/categories/{category_id}/reactivate", response={200: CategoryOut, 403: ErrorOut}
)
@requires(CONFIGURE)
def reactivate_category(request: HttpRequest, category_id: int) -> Any:
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=category_id)
    services.demand_category_reactivate(category=category, acting_user=viewer)
    return _category_out(viewer, category.pk)


@router.put(
    "/dictionaries/categories/{category_id}/rules",
    response={200: RoutingRuleOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def set_routing_rule(request: HttpRequest, category_id: int, payload: RoutingRuleIn) -> Any:
    """Route the category's demands arising in ``area_id`` (and below) to ``handling_org_id``."""
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=category_id)
    choices = configure_org_choices(viewer=viewer)
    return services.routing_rule_set(
        category=category,
        area=pick(choices, payload.area_id, field="area_id"),
        handling_org=pick(choices, payload.handling_org_id, field="handling_org_id"),
        acting_user=viewer,
    )


@router.delete("/dictionaries/rules/{rule_id}", response={204: None, 403: ErrorOut})
@requires(CONFIGURE)
def delete_routing_rule(request: HttpRequest, rule_id: int) -> Any:
    viewer = viewer_of(request)
    rule = ROUTING_RULE.get(viewer, rule_id, permission=CONFIGURE)
    services.routing_rule_delete(rule=rule, acting_user=viewer)
    return Status(204, None)


@router.get("/dictionaries/delegated-services", response=list[DelegatedServiceOut])
@requires(CONFIGURE)
def list_delegated_services(request: HttpRequest) -> Any:
    """The delegated services booked on subdistricts in your ``demands.configure`` scope."""
    return list(DELEGATED_SERVICE.queryset(viewer_of(request), CONFIGURE))


def _delegated_fields(viewer: Any, payload: DelegatedServiceIn, keep: int | None) -> dict[str, Any]:
    data = payload.dict()
    data["org"] = pick(
        DELEGATED_SERVICE.org_choices(viewer).filter(kind__in=SUBDISTRICT_KINDS),
        data.pop("org_id"),
        field="org_id",
    )
    data["category"] = _active_category(data.pop("category_id"), keep=keep)
    return data


@router.post(
    "/dictionaries/delegated-services",
    response={201: DelegatedServiceOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def create_delegated_service(request: HttpRequest, payload: DelegatedServiceIn) -> Any:
    viewer = viewer_of(request)
    service = services.delegated_service_create(
        **_delegated_fields(viewer, payload, None), acting_user=viewer
    )
    return Status(201, service)


@router.put(
    "/dictionaries/delegated-services/{service_id}",
    response={200: DelegatedServiceOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def update_delegated_service(
    request: HttpRequest, service_id: int, payload: DelegatedServiceIn
) -> Any:
    viewer = viewer_of(request)
    service = DELEGATED_SERVICE.get(viewer, service_id, permission=CONFIGURE)
    return services.delegated_service_update(
        service=service,
        changes=_delegated_fields(viewer, payload, service.category_id),
        acting_user=viewer,
        version=if_match(request),
    )


@router.delete("/dictionaries/delegated-services/{service_id}", response={204: None, 403: ErrorOut})
@requires(CONFIGURE)
def delete_delegated_service(request: HttpRequest, service_id: int) -> Any:
    viewer = viewer_of(request)
    service = DELEGATED_SERVICE.get(viewer, service_id, permission=CONFIGURE)
    services.delegated_service_delete(service=service, acting_user=viewer)
    return Status(204, None)
