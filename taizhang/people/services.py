"""Writes for persons, positions and 双报到 reports, and the audited reveal of personal
data. Every write is checked against the ``PERSON`` policy (or ``COMMUNITY_REPORT`` for
reports) in the service itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.organizations.models import Organization
from taizhang.people.models import (
    CommunityReport,
    PartyMembership,
    Person,
    PersonTransfer,
    Position,
)
from taizhang.people.permissions import (
    COMMUNITY_REPORT,
    PERSON,
    VIEW,
    can_view_personal,
)

PERSON_FIELDS = [
    "organization",
    "name",
    "gender",
    "mobile",
    "id_number",
    "birth_date",
    "is_external",
    "affiliation",
]
PERSONAL = {"mobile", "id_number"}


def _masked_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Personal data never enters the audit trail in clear: record that it changed."""
    changes = diff(before, after)
    for key in PERSONAL & changes.keys():
        changes[key] = ["***" if before.get(key) else "", "***" if after.get(key) else ""]
    return changes


@transaction.atomic
def person_create(
    *,
    organization: Organization,
    name: str,
    gender: str,
    mobile: str = "",
    id_number: str = "",
    birth_date: dt.date | None = None,
    is_external: bool = False,
    affiliation: str = "",
    acting_user: Actor,
) -> Person:
    """Record a person in ``organization``; an external one (from outside the district)
    is kept there too, with ``affiliation`` naming their own unit."""
    PERSON.require_org(acting_user, organization)
    person = Person(
        organization=organization,
        name=name,
        gender=gender,
        mobile=mobile,
        id_number=id_number,
        birth_date=birth_date,
        is_external=is_external,
        affiliation=affiliation.strip(),
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
def person_update(*, person: Person, acting_user: Actor, **fields: Any) -> Person:
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    person = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
    # Manage on the keeping organization: a community that sees a reported member
    # (双报到) cannot change the record.
    PERSON.require(acting_user, person)
    if "organization" in fields:
        PERSON.require_org(acting_user, fields["organization"])
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
    *, person: Person, branch: Organization, joined_on: dt.date, status: str, acting_user: Actor
) -> PartyMembership:
    PERSON.require(acting_user, person)
    PERSON.require_org(acting_user, branch)
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


POSITION_FIELDS = [
    "person",
    "organization",
    "title",
    "start_date",
    "end_date",
    "document_number",
    "end_reason",
]


def _overlapping(
    person: Person,
    organization: Organization,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None,
) -> bool:
    """Whether the person already holds ``title`` in ``organization`` on a day of the
    new term (end dates are the last day held)."""
    rows = Position.objects.filter(person=person, organization=organization, title=title).exclude(
        end_date__lt=start_date
    )
    if end_date is not None:
        rows = rows.filter(start_date__lte=end_date)
    return rows.exists()


@transaction.atomic
def position_assign(
    *,
    person: Person,
    organization: Organization,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    document_number: str = "",
    acting_user: Actor,
) -> Position:
    """任免: appoint ``person`` to ``title`` in ``organization`` from ``start_date``.

    One person may hold several positions at once, in several units; the same title
    twice in the same unit on overlapping dates is refused. The position's
    organization must be managed, and the person (kept elsewhere, maybe) seen."""
    PERSON.require_org(acting_user, organization)
    PERSON.require(acting_user, person, VIEW)
    # Serialise appointments of one person so two clerks cannot both pass the check.
    Person.objects.select_for_update().filter(pk=person.pk).first()
    position = Position(
        person=person,
        organization=organization,
        title=title,
        start_date=start_date,
        end_date=end_date,
        document_number=document_number.strip(),
    )
    position.full_clean()
    if _overlapping(person, organization, title, start_date, end_date):
        raise ValidationError(
            {"title": _("This person already holds this position in this organization then.")}
        )
    position.save()
    audit_record(
        actor=acting_user,
        action="position.assign",
        obj=position,
        object_repr=f"{person.name} {position.get_title_display()}",
        changes=diff({}, snapshot(position, POSITION_FIELDS)),
    )
    return position


def _end_position(position: Position, end_date: dt.date, reason: str) -> None:
    if position.end_date is not None:
        raise ValidationError({"end_date": _("This position has already ended.")})
    if end_date < position.start_date:
        raise ValidationError({"end_date": _("A position cannot end before it began.")})
    position.end_date = end_date
    position.end_reason = reason.strip()
    position.full_clean()
    position.save(update_fields=["end_date", "end_reason"])


@transaction.atomic
def position_end(
    *, position: Position, end_date: dt.date, reason: str = "", acting_user: Actor
) -> Position:
    """End a position on ``end_date`` (the last day held), with the reason."""
    position = (
        Position.objects.select_for_update()
        .select_related("organization", "person__organization")
        .get(pk=position.pk)
    )
    PERSON.require_org(acting_user, position.organization)
    PERSON.require(acting_user, position.person, VIEW)
    _end_position(position, end_date, reason)
    audit_record(
        actor=acting_user,
        action="position.end",
        obj=position,
        object_repr=f"{position.person.name} {position.get_title_display()}",
        changes={"end_date": [None, end_date], "end_reason": ["", position.end_reason]},
    )
    return position


@transaction.atomic
def person_transfer(
    *,
    person: Person,
    organization: Organization,
    transferred_on: dt.date,
    reason: str = "",
    end_positions: bool = False,
    acting_user: Actor,
) -> PersonTransfer:
    """调动: move ``person``'s record to ``organization`` (``people.manage`` on both the
    old and the new one). With ``end_positions``, the positions held in the old
    organization end the day before the transfer (when they began before it)."""
    person = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
    PERSON.require(acting_user, person)
    PERSON.require_org(acting_user, organization)
    old = person.organization
    if organization.pk == old.pk:
        raise ValidationError({"organization": _("The person already belongs here.")})
    ended: list[int] = []
    if end_positions:
        last_day = transferred_on - dt.timedelta(days=1)
        for position in Position.objects.select_for_update().filter(
            person=person, organization=old, end_date__isnull=True
        ):
            _end_position(position, max(last_day, position.start_date), _("Transferred"))
            ended.append(position.pk)
    transfer = PersonTransfer(
        person=person,
        from_org=old,
        to_org=organization,
        transferred_on=transferred_on,
        reason=reason.strip(),
        created_by=user_of(acting_user),
    )
    transfer.full_clean()
    transfer.save()
    person.organization = organization
    person.save(update_fields=["organization"])
    audit_record(
        actor=acting_user,
        action="person.transfer",
        obj=person,
        changes={
            "organization": [old.pk, organization.pk],
            "transferred_on": [None, transferred_on],
            "reason": ["", transfer.reason],
            "positions_ended": [None, ended],
        },
    )
    return transfer


@transaction.atomic
def person_reveal(*, person: Person, acting_user: Actor) -> dict[str, str] | None:
    """Return the unmasked personal data and audit it; ``None`` (also audited) if refused.

    A refusal returns rather than raises so that its audit event is committed.
    """
    require_actor(acting_user)
    if not can_view_personal(acting_user, person):
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
    acting_user: Actor,
) -> list[Person]:
    """Create many persons with their memberships and positions in one audited import.

    ``memberships`` and ``positions`` refer to persons by their index in ``persons``.
    Every row is validated before anything is written, so a bad row writes nothing.
    """
    built = [Person(**row) for row in persons]
    for org in {person.organization for person in built}:
        PERSON.require_org(acting_user, org)
    for person in built:
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


# --- 双报到: members of organs who report to a community ----------------------------


def _unknown_member() -> ValidationError:
    return ValidationError(
        {"mobile": _("No person with this name and mobile number in the register.")}
    )


def _reporting_person(acting_user: Actor, person: Person | None, name: str, mobile: str) -> Person:
    """The person who reports: one the recorder sees (the organ's or the district's
    clerk), or, for the community's clerk who sees none of the organ, the one person
    whose name and mobile number the member gives in person. Both lookups answer the
    same for a missing and a hidden person."""
    if person is not None:
        if not PERSON.covers(acting_user, person, VIEW):
            raise _unknown_member()
        return person
    name, mobile = name.strip(), mobile.strip()
    if not name or not mobile:
        raise _unknown_member()
    matches = list(Person.objects.filter(name=name, mobile=mobile)[:2])
    if len(matches) != 1:
        raise _unknown_member()
    return matches[0]


@transaction.atomic
def community_report_create(
    *,
    community: Organization,
    reported_on: dt.date,
    person: Person | None = None,
    name: str = "",
    mobile: str = "",
    acting_user: Actor,
) -> CommunityReport:
    """Record that a member reported to ``community`` (双报到), from ``reported_on``.

    Needs ``people.manage`` on the community. While the report is current, the
    community's people clerks see the member (masked), and nobody else of the organ.
    """
    COMMUNITY_REPORT.require_org(acting_user, community)
    member = _reporting_person(acting_user, person, name, mobile)
    if reported_on > timezone.localdate():
        raise ValidationError({"reported_on": _("A report is recorded once it has happened.")})
    if member.organization_id == community.pk:
        raise ValidationError({"mobile": _("This person already belongs to this community.")})
    report = CommunityReport(
        person=member,
        community=community,
        reported_on=reported_on,
        created_by=user_of(acting_user),
    )
    report.full_clean()
    report.save()
    audit_record(
        actor=acting_user,
        action="community_report.create",
        obj=report,
        object_repr=f"{member.name} → {community.short_name}",
        changes=diff({}, snapshot(report, ["person", "community", "reported_on"])),
    )
    return report


@transaction.atomic
def community_report_end(
    *, report: CommunityReport, ended_on: dt.date, acting_user: Actor
) -> CommunityReport:
    """End a report: from ``ended_on`` the community no longer sees the member."""
    report = (
        CommunityReport.objects.select_for_update()
        .select_related("community", "person")
        .get(pk=report.pk)
    )
    COMMUNITY_REPORT.require(acting_user, report)
    if report.ended_on is not None:
        raise ValidationError({"ended_on": _("This report has already ended.")})
    if ended_on < report.reported_on:
        raise ValidationError({"ended_on": _("A report cannot end before it began.")})
    report.ended_on = ended_on
    report.full_clean()
    report.save(update_fields=["ended_on"])
    audit_record(
        actor=acting_user,
        action="community_report.end",
        obj=report,
        object_repr=f"{report.person.name} → {report.community.short_name}",
        changes={"ended_on": [None, ended_on]},
    )
    return report
