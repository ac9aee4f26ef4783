from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from taizhang.core.access import requires
from taizhang.organizations.selectors import get_organization_for_viewer
from taizhang.people.models import Gender, Person
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


@router.get("", response=list[PersonOut])
@paginate(LimitOffsetPagination)
@requires("people.view")
def list_people(request: HttpRequest, organization_id: int | None = None, q: str = "") -> Any:
    """Persons in your scope; filters only narrow it."""
    return person_list(viewer=request.user, organization_id=organization_id, q=q).order_by("pk")


@router.get("/{person_id}", response=PersonOut)
@requires("people.view")
def get_person(request: HttpRequest, person_id: int) -> Any:
    """One person; 404 when missing or outside your scope."""
    return get_person_for_viewer(request.user, person_id)


@router.post("", response={201: PersonOut})
@requires("people.manage")
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    """Record a person in an organization of your scope (404 for any other)."""
    org = get_organization_for_viewer(request.user, payload.organization_id)
    data = payload.dict(exclude={"organization_id"})
    person = person_create(organization=org, acting_user=request.user, **data)
    return Status(201, person)
