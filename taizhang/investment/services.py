"""Writes for investment attraction. Every write checks scope (the policies in
``permissions.py``), validates, audits once and reports the rows it wrote for the
roll-ups (``core.changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.services import update_with_audit
from taizhang.investment.models import (
    Competition,
    Event,
    Lead,
    LeadStage,
    LeadStageChange,
    Subsidy,
    SubsidyPolicy,
    Team,
)
from taizhang.investment.permissions import COMPETITION, CONFIGURE, EVENT, LEAD, SUBSIDY
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.projects.models import Project, Stage
from taizhang.projects.permissions import POLICY as PROJECTS
from taizhang.projects.services import project_create

LEAD_FIELDS = [
    "org",
    "enterprise",
    "project_name",
    "sector",
    "source",
    "amount",
    "team",
    "event",
    "note",
]
POINT_FIELDS = [
    "points_contact",
    "points_negotiating",
    "points_signed",
    "points_landed",
    "points_started",
]


def _today() -> dt.date:
    return timezone.localdate()


def _check_people(acting_user: Actor, field: str, persons: Iterable[Person]) -> None:
    """Persons named on a record must be ones the person rule shows the acting user
    (their own person record always passes; the system actor brings what it is given)."""
    if is_system(acting_user):
        return
    for person in persons:
        if person.pk != acting_user.person_id and not PERSON.covers(acting_user, person):
            raise ValidationError({field: unknown_message()})


def _check_not_future(day: dt.date) -> None:
    if day > _today():
        raise ValidationError(_("The date cannot be in the future."))


@transaction.atomic
def lead_create(
    *,
    org: Organization,
    enterprise: str,
    project_name: str,
    sector: str,
    source: str,
    amount: int = 0,
    team: Team | None = None,
    event: Event | None = None,
    note: str = "",
    contacted_on: dt.date | None = None,
    acting_user: Actor,
) -> Lead:
    """Record a lead at first contact (接洽)."""
    LEAD.require_org(acting_user, org)
    day = contacted_on or _today()
    _check_not_future(day)
    lead = Lead(
        org=org,
        enterprise=enterprise,
        project_name=project_name,
        sector=sector,
        source=source,
        amount=amount,
        team=team,
        event=event,
        note=note,
        stage=LeadStage.CONTACT,
        stage_since=day,
    )
    lead.full_clean()
    lead.save()
    first = LeadStageChange.objects.create(
        lead=lead,
        from_stage=None,
        to_stage=LeadStage.CONTACT,
        changed_on=day,
        actor=user_of(acting_user),
    )
    rows_written(Lead, [lead])
    rows_written(LeadStageChange, [first])
    audit_record(
        actor=acting_user,
        action="lead.create",
        obj=lead,
        changes=diff({}, snapshot(lead, [*LEAD_FIELDS, "stage", "stage_since"])),
    )
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, acting_user: Actor, **fields: Any) -> Lead:
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    moving = "org" in fields and fields["org"] != lead.org
    if moving:
        LEAD.require_org(acting_user, fields["org"])
    before = snapshot(lead, LEAD_FIELDS)
    # A move to another organization takes the lead's stage moves (landings) with it.
    changes_moved = list(lead.changes.values_list("pk", flat=True)) if moving else []
    with rows_changing(Lead, [lead.pk]), rows_changing(LeadStageChange, changes_moved):
        for key, value in fields.items():
            setattr(lead, key, value)
        lead.full_clean()
        lead.save()
    audit_record(
        actor=acting_user,
        action="lead.update",
        obj=lead,
        changes=diff(before, snapshot(lead, LEAD_FIELDS)),
    )
    return lead


@transaction.atomic
def lead_advance(
    *,
    lead: Lead,
    to_stage: int,
    on: dt.date | None = None,
    signed_amount: int | None = None,
    event: Event | None = None,
    reason: str = "",
    acting_user: Actor,
) -> Lead:
    """Move a lead between 接洽 → 洽谈 → 签约 → 落地 → 开工.

    Reaching 签约 records the signing date and amount (and the event it was signed at);
    going back needs a reason, and going back below 签约 undoes the signing.
    """
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    day = on or _today()
    if lead.is_lost:
        raise ValidationError(_("A lost lead cannot change stage."))
    if to_stage not in LeadStage.values:
        raise ValidationError(_("Unknown stage."))
    if to_stage == lead.stage:
        raise ValidationError(_("The lead is already in this stage."))
    _check_not_future(day)
    if day < lead.stage_since:
        raise ValidationError(
            _("The move cannot be dated before the current stage began (%(date)s).")
            % {"date": lead.stage_since.isoformat()}
        )
    reason = reason.strip()
    backward = to_stage < lead.stage
    if backward and not reason:
        raise ValidationError(_("Moving a lead back to an earlier stage needs a reason."))
    if signed_amount is not None and signed_amount < 0:
        raise ValidationError(_("The signed amount cannot be negative."))
    before = snapshot(lead, ["stage", "stage_since", "signed_on", "signed_amount", "event"])
    if lead.stage < LeadStage.SIGNED <= to_stage:
        lead.signed_on = day
        lead.signed_amount = signed_amount if signed_amount is not None else lead.amount
        if event is not None:
            lead.event = event
    elif to_stage < LeadStage.SIGNED <= lead.stage:
        lead.signed_on = None
        lead.signed_amount = None
    move = LeadStageChange.objects.create(
        lead=lead,
        from_stage=lead.stage,
        to_stage=to_stage,
        changed_on=day,
        reason=reason,
        actor=user_of(acting_user),
    )
    lead.stage = LeadStage(to_stage)
    lead.stage_since = day
    lead.save()
    rows_written(Lead, [lead])
    rows_written(LeadStageChange, [move])
    changes = diff(
        before, snapshot(lead, ["stage", "stage_since", "signed_on", "signed_amount", "event"])
    )
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=acting_user, action="lead.advance", obj=lead, changes=changes)
    return lead


@transaction.atomic
def lead_mark_lost(
    *, lead: Lead, reason: str, on: dt.date | None = None, acting_user: Actor
) -> Lead:
    """Close a lead that will not come (流失), with the reason."""
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead was lost.")})
    if lead.is_lost:
        raise ValidationError(_("The lead is already marked as lost."))
    if lead.project_id:
        raise ValidationError(_("A lead that became a key project cannot be lost."))
    day = on or _today()
    _check_not_future(day)
    lead.is_lost = True
    lead.lost_on = day
    lead.lost_reason = reason
    lead.save()
    rows_written(Lead, [lead])
    audit_record(
        actor=acting_user,
        action="lead.lost",
        obj=lead,
        changes={"is_lost": [False, True], "lost_on": [None, day], "lost_reason": [None, reason]},
    )
    return lead


@transaction.atomic
def lead_convert_to_project(
    *,
    lead: Lead,
    category: str,
    lead_unit: Organization,
    linked_leader: Person | None = None,
    responsible: Person | None = None,
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Project:
    """Turn a landed lead into a key project in one step, keeping the link.

    The project starts in 供地/落地 (or 开工 when the lead already broke ground), with the
    signed amount as its total investment; ``when`` back-dates its listing as in
    ``project_create``.
    """
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    PROJECTS.require_org(acting_user, lead.org)
    if lead.is_lost or lead.stage < LeadStage.LANDED:
        raise ValidationError(_("Only a landed lead can become a key project."))
    if lead.project_id:
        raise ValidationError(_("This lead is already a key project."))
    project = project_create(
        org=lead.org,
        name=lead.project_name,
        category=category,
        lead_unit=lead_unit,
        linked_leader=linked_leader,
        responsible=responsible,
        total_investment=lead.signed_amount or lead.amount,
        description=_("From investment lead: %(enterprise)s") % {"enterprise": lead.enterprise},
        stage=Stage.STARTED if lead.stage >= LeadStage.STARTED else Stage.LAND,
        stage_since=lead.stage_since,
        when=when,
        acting_user=acting_user,
    )
    lead.project = project
    lead.save(update_fields=["project", "updated_at"])
    rows_written(Lead, [lead])
    audit_record(
        actor=acting_user, action="lead.convert", obj=lead, changes={"project": [None, project.pk]}
    )
    return project


@transaction.atomic
def event_create(
    *,
    org: Organization,
    kind: str,
    name: str,
    held_on: dt.date,
    place: str = "",
    organizer: str = "",
    acting_user: Actor,
) -> Event:
    """Record a promotion event or fair held by ``org``."""
    EVENT.require_org(acting_user, org)
    event = Event(org=org, kind=kind, name=name, held_on=held_on, place=place, organizer=organizer)
    event.full_clean()
    event.save()
    audit_record(
        actor=acting_user,
        action="event.create",
        obj=event,
        changes=diff({}, snapshot(event, ["org", "kind", "name", "held_on", "place", "organizer"])),
    )
    return event


@transaction.atomic
def competition_create(
    *,
    org: Organization,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    min_cases: int = 3,
    points: dict[str, int] | None = None,
    acting_user: Actor,
) -> Competition:
    """Set up a competition; ``points`` overrides the points per stage reached."""
    COMPETITION.require_org(acting_user, org)
    points = points or {}
    unknown = set(points) - set(POINT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown point setting."))
    competition = Competition(
        org=org, name=name, starts_on=starts_on, ends_on=ends_on, min_cases=min_cases, **points
    )
    competition.full_clean()
    competition.save()
    audit_record(
        actor=acting_user,
        action="competition.create",
        obj=competition,
        changes=diff(
            {},
            snapshot(
                competition, ["org", "name", "starts_on", "ends_on", "min_cases", *POINT_FIELDS]
            ),
        ),
    )
    return competition


@transaction.atomic
def team_create(
    *,
    competition: Competition,
    name: str,
    base: str = "",
    leader: Person | None = None,
    members: Iterable[Person] = (),
    acting_user: Actor,
) -> Team:
    """Add a team to a competition; its leader and members are persons the acting user
    may see (the person rule)."""
    COMPETITION.require(acting_user, competition)
    members = list(members)
    _check_people(acting_user, "leader", [leader] if leader is not None else [])
    _check_people(acting_user, "members", members)
    team = Team(competition=competition, name=name, base=base, leader=leader)
    team.full_clean()
    team.save()
    team.members.set(members)
    audit_record(
        actor=acting_user,
        action="team.create",
        obj=team,
        changes={
            "competition": [None, competition.pk],
            "name": [None, name],
            "leader": [None, leader.pk if leader else None],
            "members": [None, sorted(m.pk for m in members)],
        },
    )
    return team


@transaction.atomic
def subsidy_create(
    *,
    org: Organization,
    policy: SubsidyPolicy,
    enterprise: str,
    amount: int,
    paid_on: dt.date,
    acting_user: Actor,
) -> Subsidy:
    """Record one payment made under an enterprise-support policy of the dictionary
    (an active one: a deactivated policy pays no more)."""
    SUBSIDY.require_org(acting_user, org)
    if not policy.is_active:
        raise ValidationError({"policy": _("This policy has been deactivated.")})
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    _check_not_future(paid_on)
    subsidy = Subsidy(org=org, policy=policy, enterprise=enterprise, amount=amount, paid_on=paid_on)
    subsidy.full_clean()
    subsidy.save()
    rows_written(Subsidy, [subsidy])
    audit_record(
        actor=acting_user,
        action="subsidy.create",
        obj=subsidy,
        changes=diff({}, snapshot(subsidy, ["org", "policy", "enterprise", "amount", "paid_on"])),
    )
    return subsidy


POLICY_FIELDS = ["name", "issued_by", "note", "sort_order"]


def _require_configure(acting_user: Actor) -> None:
    require_actor(acting_user)
    if not is_system(acting_user):
        require(acting_user.has_function(CONFIGURE))


@transaction.atomic
def subsidy_policy_create(
    *,
    name: str,
    issued_by: str = "",
    note: str = "",
    sort_order: int = 100,
    acting_user: Actor,
) -> SubsidyPolicy:
    """Add an enterprise-support policy payments may be recorded under (系统管理员)."""
    _require_configure(acting_user)
    policy = SubsidyPolicy(name=name, issued_by=issued_by, note=note, sort_order=sort_order)
    policy.full_clean()
    policy.save()
    audit_record(
        actor=acting_user,
        action="subsidy_policy.create",
        obj=policy,
        changes=diff({}, snapshot(policy, POLICY_FIELDS)),
    )
    return policy


@transaction.atomic
def subsidy_policy_update(
    *, policy: SubsidyPolicy, changes: dict[str, Any], acting_user: Actor
) -> SubsidyPolicy:
    """Correct a policy's name or details; payments under it follow the new name."""
    _require_configure(acting_user)
    update_with_audit(
        policy,
        changes=changes,
        editable=POLICY_FIELDS,
        audited=POLICY_FIELDS,
        action="subsidy_policy.update",
        acting_user=acting_user,
    )
    return policy


@transaction.atomic
def subsidy_policy_set_active(
    *, policy: SubsidyPolicy, active: bool, acting_user: Actor
) -> SubsidyPolicy:
    """Deactivate (no new payments under it; those made keep it) or reactivate."""
    _require_configure(acting_user)
    update_with_audit(
        policy,
        changes={"is_active": active},
        editable=["is_active"],
        audited=["is_active"],
        action="subsidy_policy.reactivate" if active else "subsidy_policy.deactivate",
        acting_user=acting_user,
    )
    return policy
