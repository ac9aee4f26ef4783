"""Writes for persons, positions and 双报到 reports, and the audited reveal of personal
data. Every write is checked against the ``PERSON`` policy (or ``COMMUNITY_REPORT`` for
reports) in the service itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
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


def _overlaps(a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]) -> bool:
    """Whether two terms share a day (end dates are the last day held; None is open)."""
    return (b[1] is None or a[0] <= b[1]) and (a[1] is None or b[0] <= a[1])


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
    Every row is validated before anything is written, so a bad row writes nothing; the
    persons' organizations, the branches and the positions' organizations must all be
    managed by ``acting_user``, as ``person_create``, ``membership_set`` and
    ``position_assign`` require one by one.
    """
    built = [Person(**row) for row in persons]
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
    orgs = {person.organization for person in built}
    orgs |= {m.branch for m in member_rows} | {p.organization for p in position_rows}
    for org in orgs:
        PERSON.require_org(acting_user, org)
    for person in built:
        person.full_clean(exclude=["organization"])
    for membership in member_rows:
        membership.full_clean(exclude=["person", "branch"])
    terms: dict[tuple[int, int, str], list[tuple[dt.date, dt.date | None]]] = {}
    for row, position in zip(positions or [], position_rows, strict=True):
        # The end-after-start constraint is checked here, not by a query per row.
        position.full_clean(exclude=["person", "organization"], validate_constraints=False)
        if position.end_date is not None and position.end_date < position.start_date:
            raise ValidationError({"end_date": _("A position cannot end before it began.")})
        term = (position.start_date, position.end_date)
        held = terms.setdefault((row["person"], position.organization.pk, position.title), [])
        if any(_overlaps(term, other) for other in held):
            raise ValidationError(
                {"title": _("This person already holds this position in this organization then.")}
            )
        held.append(term)
    Person.objects.bulk_create(built, batch_size=500)
    if not all(p.pk for p in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    for membership in member_rows:
        membership.person_id = membership.person.pk
    for position in position_rows:
        position.person_id = position.person.pk
    PartyMembership.objects.bulk_create(member_rows, batch_size=500)
    Position.objects.bulk_create(position_rows, batch_size=500)
    rows_written(Person, built)
    rows_written(PartyMembership, [m for m in member_rows if m.pk])
    rows_written(Position, [p for p in position_rows if p.pk])
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


# What a person created by an import may have and still be removed with it: the
# positions and the membership the same import created.
_OWN_RELATIONS = {Position, PartyMembership}


def _references(persons: list[Person]) -> dict[int, list[str]]:
    """Per person, the kinds of other records that name them (attendance lists, linked
    leaders, rosters, transfers…), found through every relation to ``Person``."""
    found: dict[int, list[str]] = {}
    ids = [p.pk for p in persons]
    for relation in Person._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or not relation.is_relation:
            continue
        model: Any = relation.related_model
        if model in _OWN_RELATIONS or model is None:
            continue
        name = relation.field.name  # type: ignore[union-attr]
        rows = model._base_manager.filter(**{f"{name}__in": ids}).values_list(name, flat=True)
        label = str(model._meta.verbose_name_plural)
        for pk in set(rows):
            if label not in found.setdefault(pk, []):
                found[pk].append(label)
    return found


@transaction.atomic
def person_import_undo(
    *,
    ids: Sequence[int],
    position_ids: Sequence[int] = (),
    membership_ids: Sequence[int] = (),
    source: str,
    acting_user: Actor,
) -> int:
    """Remove what an import created: the persons ``ids`` with their positions and
    membership, and the positions and memberships it gave persons recorded before.

    Refused (ValidationError) while anything else names one of those persons: an
    attendance list, a roster, a linked leader, a position or membership recorded
    later. The ingest module calls this only while no later event touched the rows.
    """
    persons = list(
        Person.objects.select_for_update().select_related("organization").filter(pk__in=ids)
    )
    for person in persons:
        PERSON.require(acting_user, person)
    positions = list(
        Position.objects.select_for_update()
        .select_related("organization")
        .filter(Q(pk__in=position_ids) | Q(person__in=persons))
    )
    memberships = list(
        PartyMembership.objects.select_for_update()
        .select_related("branch")
        .filter(Q(pk__in=membership_ids) | Q(person__in=persons))
    )
    later = {p.person_id for p in positions if p.pk not in set(position_ids)}
    later |= {m.person_id for m in memberships if m.pk not in set(membership_ids)}
    references = _references(persons)
    for person in persons:
        kinds = references.get(person.pk, [])
        if person.pk in later:
            kinds = [str(Position._meta.verbose_name_plural), *kinds]
        if kinds:
            raise ValidationError(
                _(
                    "%(name)s is named in other records since the import (%(kinds)s); "
                    "the batch cannot be undone."
                )
                % {"name": person.name, "kinds": "、".join(kinds)}
            )
    for position in positions:
        PERSON.require_org(acting_user, position.organization)
    for membership in memberships:
        PERSON.require_org(acting_user, membership.branch)
    with (
        rows_changing(Position, positions),
        rows_changing(PartyMembership, memberships),
        rows_changing(Person, persons),
    ):
        Position.objects.filter(pk__in=[p.pk for p in positions]).delete()
        PartyMembership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
        Person.objects.filter(pk__in=[p.pk for p in persons]).delete()
    audit_record(
        actor=acting_user,
        action="person.import_undo",
        object_type="people.person",
        object_repr=source[:200],
        changes={
            "persons": len(persons),
            "positions": len(positions),
            "memberships": len(memberships),
            "source": source,
        },
    )
    return len(persons)


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
    matches = list(Person.objects.filter(name=name).with_mobile(mobile)[:2])
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
