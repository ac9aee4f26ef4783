"""REST endpoints of pairing, under the same scope and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.sorting import checked_sort, sort_param
from taizhang.api.units import PAIRING_VALUE, YUAN, YUAN_LIMIT
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import YEAR_MAX, YEAR_MIN, ErrorOut
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.pairing import services
from taizhang.pairing.models import AmbassadorRole, Indicator, PartnershipKind
from taizhang.pairing.permissions import can
from taizhang.pairing.selectors import (
    PAIR_SORTS,
    get_pair_for_viewer,
    get_pair_value,
    get_partnership_for_viewer,
    helper_choices,
    pair_list,
    pair_projects,
    paired_villages,
    partnership_ambassadors,
    partnership_list,
    person_choices,
    resolve_choice,
    values_for_pair,
    villages_over,
)
from taizhang.people.permissions import PERSON

router = Router(tags=["pairing"])
VIEW = "pairing.view"
MANAGE = "pairing.manage"
CONFIRM = "pairing.confirm"


class PairOut(Stamped):
    id: int
    helper_id: int
    helper: str
    village_id: int
    village: str
    starts_on: dt.date
    ends_on: dt.date
    target_income: int = Field(..., description=YUAN)
    target_year: int
    note: str

    @staticmethod
    def resolve_helper(obj: Any) -> str:
        return str(obj.helper.name)

    @staticmethod
    def resolve_village(obj: Any) -> str:
        return str(obj.village.name)


class AssistanceProjectOut(Schema):
    id: int
    pair_id: int
    name: str
    helper_id: int
    helper: str
    funds: int = Field(..., description=YUAN)
    state: str
    state_label: str
    starts_on: dt.date
    completed_on: dt.date | None
    note: str

    @staticmethod
    def resolve_helper(obj: Any) -> str:
        return str(obj.helper.name)

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(obj.get_state_display())


class PairIn(Schema):
    helper_id: int
    village_id: int
    starts_on: dt.date
    ends_on: dt.date
    target_income: int = Field(500_000, ge=0, description=YUAN)
    target_year: int | None = None
    note: str = ""


class ValueCorrectionOut(Schema):
    old_value: int = Field(..., description=PAIRING_VALUE)
    new_value: int = Field(..., description=PAIRING_VALUE)
    reason: str
    corrected_on: dt.date


class ValueOut(Schema):
    id: int
    village_id: int
    indicator: str
    year: int
    value: int = Field(..., description=PAIRING_VALUE)
    status: str
    recorded_on: dt.date
    confirmed_on: dt.date | None
    corrections: list[ValueCorrectionOut]

    @staticmethod
    def resolve_corrections(obj: Any) -> list[Any]:
        return list(obj.corrections.all())


class ValueIn(Schema):
    indicator: Indicator
    year: int
    value: int = Field(..., ge=0, description=PAIRING_VALUE)


class CorrectIn(Schema):
    new_value: int = Field(..., ge=0, description=PAIRING_VALUE)
    reason: str


class OverOut(Schema):
    year: int
    threshold: int = Field(..., description=YUAN_LIMIT)
    villages_over: int
    villages_paired: int


class PartnershipOut(Stamped):
    id: int
    org_id: int
    kind: str
    partner: str
    title: str
    signed_on: dt.date
    ends_on: dt.date | None
    place: str


class PartnershipIn(Schema):
    org_id: int
    kind: PartnershipKind
    partner: str
    title: str
    signed_on: dt.date
    ends_on: dt.date | None = None
    place: str = ""
    note: str = ""


class AmbassadorOut(Schema):
    id: int
    partnership_id: int
    person_id: int
    person: str
    role: str
    appointed_on: dt.date
    ends_on: dt.date | None

    @staticmethod
    def resolve_person(obj: Any) -> str:
        return str(obj.person.name)


class AmbassadorIn(Schema):
    person_id: int
    role: AmbassadorRole
    appointed_on: dt.date
    ends_on: dt.date | None = None


def _managed_org(request: HttpRequest, org_id: int, field: str) -> Organization:
    """An organization where the caller holds ``pairing.manage``: a missing id and one
    outside that scope are the same 422, so ids cannot be probed."""
    return ORGANIZATION.resolve(viewer_of(request), org_id, field=field, permission=MANAGE)


@router.get("/pairs", response=list[PairOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_pairs(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    year: int | None = None,
    q: str = "",
    sort: str = sort_param(PAIR_SORTS, "village"),
) -> Any:
    """Pairs whose village or helping organization is in your scope. ``org``: that
    organization and its subtree, as village or helper (one outside your scope: 422, as
    for an unknown id); ``date_from``/``date_to``: the assistance starts, inclusive;
    ``mine``: you recorded or confirmed a figure of the pair's village."""
    viewer = viewer_of(request)
    return stamped(
        pair_list(
            viewer=viewer,
            year=year,
            q=q,
            sort=checked_sort(sort, PAIR_SORTS),
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/pairs/villages-over", response=OverOut)
@requires(VIEW)
def get_villages_over(
    request: HttpRequest,
    year: Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)],
    threshold: Annotated[int, Field(ge=0)] = 500_000,
) -> Any:
    """ "N个薄弱村集体经济收入超过50万元": computed from confirmed values in your scope."""
    return {
        "year": year,
        "threshold": threshold,
        "villages_over": villages_over(viewer=viewer_of(request), year=year, threshold=threshold),
        "villages_paired": paired_villages(viewer=viewer_of(request), year=year),
    }


@router.get("/pairs/{pair_id}", response=PairOut)
@requires(VIEW)
def get_pair(request: HttpRequest, pair_id: int) -> Any:
    """One pair; 404 when it does not exist or is outside your scope."""
    return get_pair_for_viewer(viewer_of(request), pair_id)


@router.post("/pairs", response={201: PairOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_pair(request: HttpRequest, payload: PairIn) -> Any:
    """Pair a helping organization with a village you manage."""
    data = payload.dict()
    # Any organization may help a village: the helper list names organizations, not
    # records, so it is not scoped; the village must be one the caller manages.
    helper = resolve_choice(helper_choices(), data.pop("helper_id"), field="helper_id")
    village = _managed_org(request, data.pop("village_id"), "village_id")
    pair = services.pair_create(
        helper=helper, village=village, **data, acting_user=viewer_of(request)
    )
    return Status(201, pair)


@router.get("/pairs/{pair_id}/projects", response=list[AssistanceProjectOut])
@requires(VIEW)
def list_projects(request: HttpRequest, pair_id: int) -> Any:
    """The pair's assistance projects (帮扶项目) in the order they started; 404 when the
    pair does not exist or is outside your scope."""
    pair = get_pair_for_viewer(viewer_of(request), pair_id)
    return pair_projects(viewer=viewer_of(request), pair=pair)


@router.get("/pairs/{pair_id}/values", response=list[ValueOut])
@requires(VIEW)
def list_values(request: HttpRequest, pair_id: int) -> Any:
    """The village's values for the pair's years, with their correction history."""
    pair = get_pair_for_viewer(viewer_of(request), pair_id)
    return values_for_pair(viewer=viewer_of(request), pair=pair)


@router.post("/pairs/{pair_id}/values", response={200: ValueOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def record_value(request: HttpRequest, pair_id: int, payload: ValueIn) -> Any:
    """Record or revise a value for a year of the pair; 422 once it is confirmed."""
    pair = get_pair_for_viewer(viewer_of(request), pair_id)
    if not can(viewer_of(request), "record", pair):
        raise PermissionDenied
    if payload.year not in pair.years:
        raise ValidationError({"year": _("Choose a year of the pair's period.")})
    return services.indicator_record(
        village=pair.village,
        indicator=payload.indicator,
        year=payload.year,
        value=payload.value,
        acting_user=viewer_of(request),
    )


def _value(request: HttpRequest, pair_id: int, value_id: int, action: str) -> Any:
    viewer = viewer_of(request)
    pair = get_pair_for_viewer(viewer, pair_id)
    value = get_pair_value(viewer, pair, value_id)
    if not can(viewer, action, value):
        raise PermissionDenied
    return value


@router.post(
    "/pairs/{pair_id}/values/{value_id}/confirm",
    response={200: ValueOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIRM)
def confirm_value(request: HttpRequest, pair_id: int, value_id: int) -> Any:
    """Confirm a value; it is locked from then on (403 when already confirmed, and for
    whoever recorded it: another person confirms)."""
    value = _value(request, pair_id, value_id, "confirm")
    return services.indicator_confirm(value=value, acting_user=viewer_of(request))


@router.post(
    "/pairs/{pair_id}/values/{value_id}/correct",
    response={200: ValueOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIRM)
def correct_value(request: HttpRequest, pair_id: int, value_id: int, payload: CorrectIn) -> Any:
    """Correct a confirmed value with a reason; the old value stays in the history."""
    value = _value(request, pair_id, value_id, "correct")
    services.indicator_correct(
        value=value,
        new_value=payload.new_value,
        reason=payload.reason,
        acting_user=viewer_of(request),
    )
    return _value(request, pair_id, value_id, "correct")


@router.get("/partnerships", response=list[PartnershipOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_partnerships(request: HttpRequest, filters: Query[LedgerQuery], kind: str = "") -> Any:
    """Partnerships in your scope. ``org``: that organization and its subtree (one
    outside your scope: 422, as for an unknown id); ``date_from``/``date_to``: the day
    signed, inclusive; ``mine``: your person is or was an ambassador under it."""
    viewer = viewer_of(request)
    return stamped(
        partnership_list(
            viewer=viewer,
            kind=kind if kind in PartnershipKind.values else "",
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/partnerships/{partnership_id}", response=PartnershipOut)
@requires(VIEW)
def get_partnership(request: HttpRequest, partnership_id: int) -> Any:
    return get_partnership_for_viewer(viewer_of(request), partnership_id)


@router.post("/partnerships", response={201: PartnershipOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_partnership(request: HttpRequest, payload: PartnershipIn) -> Any:
    """Record an agreement or workstation for an organization you manage."""
    data = payload.dict()
    org = _managed_org(request, data.pop("org_id"), "org_id")
    partnership = services.partnership_create(org=org, **data, acting_user=viewer_of(request))
    return Status(201, partnership)


@router.get("/partnerships/{partnership_id}/ambassadors", response=list[AmbassadorOut])
@requires(VIEW)
def list_ambassadors(request: HttpRequest, partnership_id: int) -> Any:
    partnership = get_partnership_for_viewer(viewer_of(request), partnership_id)
    return list(partnership_ambassadors(partnership))


@router.post(
    "/partnerships/{partnership_id}/ambassadors",
    response={201: AmbassadorOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def appoint_ambassador(request: HttpRequest, partnership_id: int, payload: AmbassadorIn) -> Any:
    """Appoint a person you may see as 招商大使 or 招才引智大使."""
    partnership = get_partnership_for_viewer(viewer_of(request), partnership_id)
    if not can(viewer_of(request), "manage", partnership):
        raise PermissionDenied
    viewer = viewer_of(request)
    person = PERSON.resolve(
        viewer, payload.person_id, field="person_id", base=person_choices(viewer=viewer)
    )
    ambassador = services.ambassador_appoint(
        partnership=partnership,
        person=person,
        role=payload.role,
        appointed_on=payload.appointed_on,
        ends_on=payload.ends_on,
        acting_user=viewer_of(request),
    )
    return Status(201, ambassador)
