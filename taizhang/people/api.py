from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.schemas import ErrorOut
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.people.models import Gender, Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import get_person_for_viewer, person_list
from taizhang.people.services import person_create

router = Router(tags=["people"])


class PersonOut(Schema):
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
    q: str = "",
    external: bool | None = None,
) -> Any:
    """Persons in your scope; filters only narrow it. An ``organization_id`` that does
    not exist or is outside your scope is one 422."""
    if organization_id is not None:
        ORGANIZATION.resolve(viewer_of(request), organization_id, field="organization_id")
    return person_list(
        viewer=viewer_of(request), organization_id=organization_id, q=q, external=external
    ).order_by("pk")


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
