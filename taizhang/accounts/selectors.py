"""Reads of accounts that other modules need: who at a unit should hear of something."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from taizhang.accounts.models import AccountKind, User
from taizhang.core.registry import ROLES


def roles_carrying(permission: str) -> list[str]:
    return sorted(code for code, role in ROLES.items() if permission in role.permissions)


def users_at(org: Any, permission: str) -> QuerySet[User]:
    """The active person accounts whose active grant on ``org`` itself (not on a unit
    above it) carries ``permission``: the unit's own staff for that function.

    A district clerk with a subtree grant on the district is not "at" each street: a
    task sent to a street reaches the street's people, not everyone who can see it.
    Listed grants that name ``org`` count.
    """
    roles = roles_carrying(permission)
    org_pk = getattr(org, "pk", org)
    if not roles or org_pk is None:
        return User.objects.none()
    at_unit = Q(grants__organization_id=org_pk) | Q(grants__listed_organizations=org_pk)
    return (
        User.objects.filter(is_active=True, kind=AccountKind.PERSON)
        .filter(Q(grants__is_active=True, grants__role__in=roles) & at_unit)
        .distinct()
        .order_by("pk")
    )


def users_of_person(person: Any) -> QuerySet[User]:
    """The active account of a person (a linked leader, a responsible person), if any."""
    person_pk = getattr(person, "pk", person)
    if person_pk is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, person_id=person_pk)
