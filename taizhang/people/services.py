"""Writes for persons and positions, and the audited reveal of personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for
from taizhang.people.models import PartyMembership, Person, Position

PERSON_FIELDS = ["organization", "name", "gender", "mobile", "id_number", "birth_date"]
PERSONAL = {"mobile", "id_number"}


def _masked_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Personal data never enters the audit trail in clear: record that it changed."""
    changes = diff(before, after)
    for key in PERSONAL & changes.keys():
        changes[key] = ["***" if before.get(key) else "", "***" if after.get(key) else ""]
    return changes


def _ensure_can_manage(acting_user: Any, organization: Organization) -> None:
    if acting_user is None:
        return  # system jobs (demo loader, imports) act with no user
    if not scope_for(acting_user, "people.manage").covers(organization):
        raise PermissionDenied


@transaction.atomic
def person_create(
    *,
    organization: Organization,
    name: str,
    gender: str,
    mobile: str = "",
    id_number: str = "",
    birth_date: dt.date | None = None,
    acting_user: Any,
) -> Person:
    _ensure_can_manage(acting_user, organization)
    person = Person(
        organization=organization,
        name=name,
        gender=gender,
        mobile=mobile,
        id_number=id_number,
        birth_date=birth_date,
    )
    person.full_clean()
    person.save()
    audit_record(
        actor=acting_user,
        action="person.create",
        obj=person,
        changes=_masked_diff({}, snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def person_update(*, person: Person, acting_user: Any, **fields: Any) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    person = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
    _ensure_can_manage(acting_user, person.organization)
    if "organization" in fields:
        _ensure_can_manage(acting_user, fields["organization"])
    before = snapshot(person, PERSON_FIELDS)
    for key, value in fields.items():
        setattr(person, key, value)
    person.full_clean()
    person.save()
    audit_record(
        actor=acting_user,
        action="person.update",
        obj=person,
        changes=_masked_diff(before, snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def membership_set(
    *, person: Person, branch: Organization, joined_on: dt.date, status: str, acting_user: Any
) -> PartyMembership:
    _ensure_can_manage(acting_user, branch)
    existing = PartyMembership.objects.filter(person=person).first()
    fields = ["branch", "joined_on", "status"]
    before = snapshot(existing, fields) if existing else {}
    membership, _created = PartyMembership.objects.update_or_create(
        person=person, defaults={"branch": branch, "joined_on": joined_on, "status": status}
    )
    audit_record(
        actor=acting_user,
        action="membership.set",
        obj=membership,
        object_repr=person.name,
        changes=diff(before, snapshot(membership, fields)),
    )
    return membership


@transaction.atomic
def position_assign(
    *,
    person: Person,
    organization: Organization,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    acting_user: Any,
) -> Position:
    """Record a position; one person may hold several at once."""
    _ensure_can_manage(acting_user, organization)
    position = Position(
        person=person,
        organization=organization,
        title=title,
        start_date=start_date,
        end_date=end_date,
    )
    position.full_clean()
    position.save()
    audit_record(
        actor=acting_user,
        action="position.assign",
        obj=position,
        object_repr=f"{person.name} {position.get_title_display()}",
        changes=diff(
            {}, snapshot(position, ["person", "organization", "title", "start_date", "end_date"])
        ),
    )
    return position


@transaction.atomic
def position_end(*, position: Position, end_date: dt.date, acting_user: Any) -> Position:
    _ensure_can_manage(acting_user, position.organization)
    before = position.end_date
    position.end_date = end_date
    position.full_clean()
    position.save(update_fields=["end_date"])
    audit_record(
        actor=acting_user,
        action="position.end",
        obj=position,
        changes={"end_date": [before, end_date]},
    )
    return position


@transaction.atomic
def person_reveal(*, person: Person, acting_user: Any) -> dict[str, str] | None:
    """Return the unmasked personal data and audit it; ``None`` (also audited) if refused.

    A refusal returns rather than raises so that its audit event is committed.
    """
    if not scope_for(acting_user, "people.view_personal").covers(person.organization):
        audit_record(actor=acting_user, action="person.reveal", obj=person, outcome="denied")
        return None
    audit_record(
        actor=acting_user,
        action="person.reveal",
        obj=person,
        changes={"fields": ["mobile", "id_number"]},
    )
    return {"mobile": person.mobile, "id_number": person.id_number}


@transaction.atomic
def person_import(
    *,
    persons: list[dict[str, Any]],
    memberships: list[dict[str, Any]] | None = None,
    positions: list[dict[str, Any]] | None = None,
    source: str,
    acting_user: Any,
) -> list[Person]:
    """Create many persons with their memberships and positions in one audited import.

    ``memberships`` and ``positions`` refer to persons by their index in ``persons``.
    Every row is validated before anything is written, so a bad row writes nothing.
    """
    built = [Person(**row) for row in persons]
    for person in built:
        _ensure_can_manage(acting_user, person.organization)
        person.full_clean(exclude=["organization"])
    Person.objects.bulk_create(built, batch_size=500)
    if not all(p.pk for p in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    member_rows = [
        PartyMembership(
            person=built[row["person"]], **{k: v for k, v in row.items() if k != "person"}
        )
        for row in memberships or []
    ]
    position_rows = [
        Position(person=built[row["person"]], **{k: v for k, v in row.items() if k != "person"})
        for row in positions or []
    ]
    for position in position_rows:
        position.full_clean(exclude=["person", "organization"])
    PartyMembership.objects.bulk_create(member_rows, batch_size=500)
    Position.objects.bulk_create(position_rows, batch_size=500)
    audit_record(
        actor=acting_user,
        action="person.import",
        object_type="people.person",
        object_repr=source[:200],
        changes={
            "persons": [None, len(built)],
            "memberships": [None, len(member_rows)],
            "positions": [None, len(position_rows)],
            "person_ids": [None, [built[0].pk, built[-1].pk] if built else []],
        },
    )
    return built
