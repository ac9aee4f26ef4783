from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.params import functions

from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut, checked_moment
from taizhang.core.versions import written_since
from taizhang.organizations.filters import LedgerQuery
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.people.models import Gender, Person, Position, PositionTitle
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import get_person_for_viewer, person_list, person_positions
from taizhang.people.services import (
    person_create,
    person_transfer,
    position_assign,
    position_end,
)

router = Router(tags=["people"])


class PersonOut(Stamped):
    """Personal data is always masked here; the audited reveal is a separate action."""

    id: int
    organization_id: int
    name: str
    gender: str
    mobile: str
    id_number: str
    is_external: bool
    affiliation: str

    @staticmethod
    def resolve_mobile(obj: Person) -> str:
        return obj.masked_mobile

    @staticmethod
    def resolve_id_number(obj: Person) -> str:
        return obj.masked_id_number


class PersonIn(Schema):
    organization_id: int
    name: str
    gender: Gender
    mobile: str = ""
    id_number: str = ""
    birth_date: dt.date | None = None
    is_external: bool = False
    affiliation: str = ""


@router.get("", response=list[PersonOut])
@paginate(LimitOffsetPagination)
@requires("people.view")
def list_people(
    request: HttpRequest,
    organization_id: int | None = None,
    within_id: int | None = None,
    q: str = "",
    external: bool | None = None,
    updated_since: dt.datetime | None = functions.Query(  # noqa: B008 - ninja's way
        None, description=LedgerQuery.model_fields["updated_since"].description
    ),
) -> Any:
    """Persons in your scope; filters only narrow it: ``organization_id`` (that one
    organization), ``within_id`` (its whole subtree), ``external``, ``updated_since``
    (written at or after that moment). An organization id that does not exist or is
    outside your scope is one 422."""
    viewer = viewer_of(request)
    since = None if updated_since is None else checked_moment(updated_since, "updated_since")
    if organization_id is not None:
        ORGANIZATION.resolve(viewer, organization_id, field="organization_id")
    within = (
        ORGANIZATION.resolve(viewer, within_id, field="within_id")
        if within_id is not None
        else None
    )
    people = person_list(
        viewer=viewer,
        organization_id=organization_id,
        subtree_of=within,
        q=q,
        external=external,
    )
    if since is not None:
        people = people.filter(written_since(Person, since))
    return stamped(people.order_by("pk"))


@router.get("/{person_id}", response={200: PersonOut, 404: ErrorOut})
@requires("people.view")
def get_person(request: HttpRequest, person_id: int) -> Any:
    """One person; 404 when missing or outside your scope."""
    return get_person_for_viewer(viewer_of(request), person_id)


@router.post("", response={201: PersonOut, 403: ErrorOut, 422: ErrorOut})
@requires("people.manage")
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    """Record a person (``is_external`` and ``affiliation`` for someone from outside the
    district) in an organization where you keep the register: any other id, existing or
    not, is the same 422."""
    org = ORGANIZATION.resolve(
        viewer_of(request),
        payload.organization_id,
        field="organization_id",
        base=PERSON.org_choices(viewer_of(request)),
    )
    data = payload.dict(exclude={"organization_id"})
    person = person_create(organization=org, acting_user=viewer_of(request), **data)
    return Status(201, person)


# --- 任免 and 调动 -------------------------------------------------------------------


class PositionOut(Schema):
    id: int
    person_id: int
    organization_id: int
    title: str
    start_date: dt.date
    end_date: dt.date | None
    document_number: str
    end_reason: str


class PositionIn(Schema):
    organization_id: int
    title: PositionTitle
    start_date: dt.date
    end_date: dt.date | None = None
    document_number: str = ""


class PositionEndIn(Schema):
    end_date: dt.date
    reason: str = ""


class TransferIn(Schema):
    organization_id: int
    transferred_on: dt.date
    reason: str = ""
    end_positions: bool = False


def _managed_org(request: HttpRequest, pk: int) -> Organization:
    """An organization where you keep the register; any other id, existing or not, is
    the same 422."""
    viewer = viewer_of(request)
    return ORGANIZATION.resolve(
        viewer, pk, field="organization_id", base=PERSON.org_choices(viewer)
    )


@router.get("/{person_id}/positions", response={200: list[PositionOut], 404: ErrorOut})
@requires("people.view")
def list_positions(request: HttpRequest, person_id: int) -> Any:
    """A person's positions past and present, newest first; 404 for a hidden person."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, person_id)
    return list(person_positions(viewer=viewer, person=person))


@router.post(
    "/{person_id}/positions",
    response={201: PositionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@requires("people.manage")
def appoint(request: HttpRequest, person_id: int, payload: PositionIn) -> Any:
    """任免: appoint the person in an organization where you keep the register."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, person_id)
    position = position_assign(
        person=person,
        organization=_managed_org(request, payload.organization_id),
        title=payload.title,
        start_date=payload.start_date,
        end_date=payload.end_date,
        document_number=payload.document_number,
        acting_user=viewer,
    )
    return Status(201, position)


@router.post(
    "/{person_id}/positions/{position_id}/end",
    response={200: PositionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@requires("people.manage")
def end_position(
    request: HttpRequest, person_id: int, position_id: int, payload: PositionEndIn
) -> Any:
    """End one of the person's positions; 404 for a hidden person or a position that is
    not theirs."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, person_id)
    position = get_object_or_404(Position, pk=position_id, person=person)
    return position_end(
        position=position, end_date=payload.end_date, reason=payload.reason, acting_user=viewer
    )


@router.post(
    "/{person_id}/transfer", response={200: PersonOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
@requires("people.manage")
def transfer(request: HttpRequest, person_id: int, payload: TransferIn) -> Any:
    """调动: move the record to another organization where you keep the register."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, person_id)
    person_transfer(
        person=person,
        organization=_managed_org(request, payload.organization_id),
        transferred_on=payload.transferred_on,
        reason=payload.reason,
        end_positions=payload.end_positions,
        acting_user=viewer,
    )
    person.refresh_from_db()
    return person
