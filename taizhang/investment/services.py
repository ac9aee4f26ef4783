"""Writes for investment attraction. Every write checks scope (the policies in
``permissions.py``), validates, audits once and reports the rows it wrote for the
roll-ups (``core.changes``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.formatting import MAX_YUAN, chinese_date
from taizhang.core.services import update_with_audit
from taizhang.core.versions import lock_at_version, require_version
from taizhang.investment.models import (
    Competition,
    Event,
    FollowUp,
    FollowUpKind,
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


def signing_date_problem(event: Event | None, signed_on: dt.date | None) -> str:
    """Why a signing dated ``signed_on`` cannot be recorded as signed at ``event``: a
    signing at a 推介会 or 签约仪式 happens on the day it is held. Empty when it may."""
    if event is None or signed_on is None or event.held_on == signed_on:
        return ""
    return _(
        "The signing date (%(signed)s) is not the day the event it was signed at was "
        "held (%(event)s, %(held)s): give the event's date, or choose the event it was "
        "really signed at."
    ) % {
        "signed": chinese_date(signed_on),
        "event": event.name,
        "held": chinese_date(event.held_on),
    }


def _check_signing_date(
    event: Event | None, signed_on: dt.date | None, *, field: str = "on"
) -> None:
    problem = signing_date_problem(event, signed_on)
    if problem:
        raise ValidationError({field: problem})


def _late(day: dt.date, late_reason: str) -> str:
    """The 补录 reason kept for a step dated before today; a step of today is not late."""
    return late_reason.strip()[:200] if day < _today() else ""


def _late_entry(day: dt.date, reason: str) -> dict[str, Any]:
    """What the audit event adds for a late entry: the real date beside the moment of entry
    (the event's own time)."""
    return {"late_entry": {"occurred_on": day.isoformat(), "reason": reason}} if reason else {}


@transaction.atomic
def lead_create(
    *,
    org: Organization,
    enterprise: str,
    project_name: str,
    sector: str,
    source: str,
    amount: int | None = None,
    team: Team | None = None,
    event: Event | None = None,
    note: str = "",
    contacted_on: dt.date | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Lead:
    """Record a lead at first contact (接洽); a contact dated before today may be marked
    as entered late (补录) with ``late_reason``."""
    LEAD.require_org(acting_user, org)
    day = contacted_on or _today()
    _check_not_future(day)
    late = _late(day, late_reason)
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
        late_reason=late,
        actor=user_of(acting_user),
    )
    rows_written(Lead, [lead])
    rows_written(LeadStageChange, [first])
    audit_record(
        actor=acting_user,
        action="lead.create",
        obj=lead,
        changes={
            **diff({}, snapshot(lead, [*LEAD_FIELDS, "stage", "stage_since"])),
            **_late_entry(day, late),
        },
    )
    return lead


@transaction.atomic
def lead_update(
    *, lead: Lead, acting_user: Actor, version: int | None = None, **fields: Any
) -> Lead:
    """Change a lead's columns. ``version``: the one the editor saw; a change since is
    refused (``StaleEdit``), not overwritten."""
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    require_version(lead, version)
    moving = "org" in fields and fields["org"] != lead.org
    if moving:
        LEAD.require_org(acting_user, fields["org"])
    before = snapshot(lead, LEAD_FIELDS)
    # A move to another organization takes the lead's stage moves (landings) with it.
    changes_moved = list(lead.changes.values_list("pk", flat=True)) if moving else []
    follow_ups_moved = list(lead.follow_ups.values_list("pk", flat=True)) if moving else []
    with (
        rows_changing(Lead, [lead.pk]),
        rows_changing(LeadStageChange, changes_moved),
        rows_changing(FollowUp, follow_ups_moved),
    ):
        for key, value in fields.items():
            setattr(lead, key, value)
        if "event" in fields:
            _check_signing_date(lead.event, lead.signed_on, field="event")
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
    late_reason: str = "",
    acting_user: Actor,
) -> Lead:
    """Move a lead between 接洽 → 洽谈 → 签约 → 落地 → 开工.

    Reaching 签约 records the signing date and amount (and the event it was signed at,
    held on the signing day: without ``on`` the signing takes the event's date);
    going back needs a reason, and going back below 签约 undoes the signing. A move dated
    before today may be marked as entered late (补录) with ``late_reason``.
    """
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    signing = lead.stage < LeadStage.SIGNED <= to_stage
    signed_at = event if event is not None else lead.event
    # A signing at an event is dated the day it was held unless a date is given.
    day = on or (signed_at.held_on if signing and signed_at is not None else _today())
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
    if signed_amount is not None and signed_amount > MAX_YUAN:
        raise ValidationError(_("The signed amount is beyond any real investment."))
    before = snapshot(lead, ["stage", "stage_since", "signed_on", "signed_amount", "event"])
    if signing:
        # The event it is signed at (named now, or the one the lead came with) was held
        # on the signing day.
        _check_signing_date(signed_at, day)
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
        late_reason=_late(day, late_reason),
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
    changes.update(_late_entry(day, move.late_reason))
    audit_record(actor=acting_user, action="lead.advance", obj=lead, changes=changes)
    return lead


@transaction.atomic
def lead_mark_lost(
    *,
    lead: Lead,
    reason: str,
    on: dt.date | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Lead:
    """Close a lead that will not come (流失), with the reason; a loss dated before today
    may be marked as entered late (补录) with ``late_reason``."""
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
    lead.lost_late_reason = _late(day, late_reason)
    lead.save()
    rows_written(Lead, [lead])
    audit_record(
        actor=acting_user,
        action="lead.lost",
        obj=lead,
        changes={
            "is_lost": [False, True],
            "lost_on": [None, day],
            "lost_reason": [None, reason],
            **_late_entry(day, lead.lost_late_reason),
        },
    )
    return lead


FOLLOW_UP_FIELDS = [
    "on",
    "kind",
    "our_side",
    "their_side",
    "content",
    "next_step",
    "next_step_on",
]


@transaction.atomic
def follow_up_add(
    *,
    lead: Lead,
    on: dt.date,
    kind: str,
    content: str,
    our_people: Iterable[Person] = (),
    our_side: str = "",
    their_side: str = "",
    next_step: str = "",
    next_step_on: dt.date | None = None,
    acting_user: Actor,
) -> FollowUp:
    """Log a visit, talks, a call or a promotion meeting on a lead (跟进记录): who of ours
    (persons of the registry the acting user may see, or text) met whom of theirs, what
    was said, and the next step with an optional date. A lost lead takes no more."""
    lead = Lead.objects.select_for_update().select_related("org").get(pk=lead.pk)
    LEAD.require(acting_user, lead)
    if lead.is_lost:
        raise ValidationError(_("A lost lead takes no more follow-ups."))
    if kind not in FollowUpKind.values:
        raise ValidationError({"kind": _("Unknown kind of follow-up.")})
    content = content.strip()
    if not content:
        raise ValidationError({"content": _("Say what was discussed.")})
    if on > _today():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    next_step = next_step.strip()
    if next_step_on is not None and not next_step:
        raise ValidationError({"next_step": _("Say what the next step is.")})
    if next_step_on is not None and next_step_on < on:
        raise ValidationError(
            {"next_step_on": _("The next step cannot be dated before the follow-up.")}
        )
    people = list(our_people)
    _check_people(acting_user, "our_people", people)
    follow_up = FollowUp(
        lead=lead,
        on=on,
        kind=kind,
        our_side=our_side.strip(),
        their_side=their_side.strip(),
        content=content,
        next_step=next_step,
        next_step_on=next_step_on,
        recorded_by=user_of(acting_user),
    )
    follow_up.full_clean()
    follow_up.save()
    follow_up.our_people.set(people)
    # The lead's page and list show it: the lead counts as touched.
    lead.save(update_fields=["updated_at"])
    rows_written(FollowUp, [follow_up])
    audit_record(
        actor=acting_user,
        action="lead.follow_up",
        obj=lead,
        changes={
            **diff({}, snapshot(follow_up, FOLLOW_UP_FIELDS)),
            "follow_up": [None, follow_up.pk],
            "our_people": [None, sorted(p.pk for p in people)],
        },
    )
    return follow_up


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
        total_investment=lead.signed_amount or lead.amount or 0,
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
    *,
    policy: SubsidyPolicy,
    changes: dict[str, Any],
    acting_user: Actor,
    version: int | None = None,
) -> SubsidyPolicy:
    """Correct a policy's name or details; payments under it follow the new name.
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    _require_configure(acting_user)
    lock_at_version(policy, version)
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


# --- Excel imports: many rows in one audited write, and their undo -------------------

# The columns that carry the date a lead reached each stage after first contact.
STEP_KEYS: dict[int, str] = {
    LeadStage.NEGOTIATING: "negotiating_on",
    LeadStage.SIGNED: "signed_on",
    LeadStage.LANDED: "landed_on",
    LeadStage.STARTED: "started_on",
}
EVENT_FIELDS = ["org", "kind", "name", "held_on", "place", "organizer"]
SUBSIDY_FIELDS = ["org", "policy", "enterprise", "amount", "paid_on"]


@dataclass
class LeadIn:
    """A lead as a ledger row brings it: its details and the dates of its history.

    ``stage_dates`` holds the stages reached after first contact with their dates; the
    lead stands in the highest. ``late_reason`` marks every step dated before today as
    entered late (补录).
    """

    org: Organization
    enterprise: str
    project_name: str
    sector: str
    source: str
    contacted_on: dt.date
    amount: int | None = None
    team: Team | None = None
    event: Event | None = None
    note: str = ""
    stage_dates: dict[int, dt.date] = field(default_factory=dict)
    signed_amount: int | None = None
    lost_on: dt.date | None = None
    lost_reason: str = ""
    late_reason: str = ""

    @property
    def stage(self) -> int:
        return max(self.stage_dates, default=LeadStage.CONTACT)


def lead_in_problems(row: LeadIn, *, today: dt.date) -> dict[str, str]:
    """What ``lead_import`` refuses in ``row``, by column key (the importer asks first)."""
    problems: dict[str, str] = {}
    future = _("The date cannot be in the future.")
    if row.contacted_on > today:
        problems["contacted_on"] = future
    previous = row.contacted_on
    for stage in sorted(row.stage_dates):
        day = row.stage_dates[stage]
        key = STEP_KEYS.get(stage, "stage")
        if day > today:
            problems[key] = future
        elif day < previous:
            problems[key] = _("This stage cannot be dated before the one before it (%(date)s).") % {
                "date": previous.isoformat()
            }
        previous = max(previous, day)
    if row.lost_on is not None or row.lost_reason.strip():
        if not row.lost_reason.strip():
            problems["lost_reason"] = _("Say why the lead was lost.")
        if row.lost_on is None:
            problems["lost_on"] = _("Give the date the lead was lost.")
        elif row.lost_on > today:
            problems["lost_on"] = future
    signed_at = next((s for s in sorted(row.stage_dates) if s >= LeadStage.SIGNED), None)
    if signed_at is not None:
        problem = signing_date_problem(row.event, row.stage_dates[signed_at])
        if problem:
            problems.setdefault(STEP_KEYS.get(signed_at, "stage"), problem)
    lead = Lead(
        enterprise=row.enterprise,
        project_name=row.project_name,
        sector=row.sector,
        source=row.source,
        amount=row.amount,
        note=row.note,
        stage=row.stage,
        stage_since=row.contacted_on,
        lost_reason=row.lost_reason.strip(),
    )
    try:
        lead.clean_fields(exclude=["org", "team", "event", "project"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            problems.setdefault(key, "；".join(messages))
    return problems


def _build_lead(row: LeadIn, acting_user: Actor) -> tuple[Lead, list[LeadStageChange]]:
    actor = user_of(acting_user)
    stages = sorted(row.stage_dates)
    signed_at = next((s for s in stages if s >= LeadStage.SIGNED), None)
    lead = Lead(
        org=row.org,
        enterprise=row.enterprise.strip(),
        project_name=row.project_name.strip(),
        sector=row.sector.strip(),
        source=row.source,
        amount=row.amount,
        team=row.team,
        event=row.event,
        note=row.note,
        stage=row.stage,
        stage_since=row.stage_dates[stages[-1]] if stages else row.contacted_on,
    )
    if signed_at is not None:
        lead.signed_on = row.stage_dates[signed_at]
        lead.signed_amount = row.signed_amount if row.signed_amount is not None else row.amount
    if row.lost_on is not None:
        lead.is_lost = True
        lead.lost_on = row.lost_on
        lead.lost_reason = row.lost_reason.strip()
        lead.lost_late_reason = _late(row.lost_on, row.late_reason)
    moves = [
        LeadStageChange(
            from_stage=None,
            to_stage=LeadStage.CONTACT,
            changed_on=row.contacted_on,
            late_reason=_late(row.contacted_on, row.late_reason),
            actor=actor,
        )
    ]
    previous: int = LeadStage.CONTACT
    for stage in stages:
        day = row.stage_dates[stage]
        moves.append(
            LeadStageChange(
                from_stage=previous,
                to_stage=stage,
                changed_on=day,
                late_reason=_late(day, row.late_reason),
                actor=actor,
            )
        )
        previous = stage
    return lead, moves


@transaction.atomic
def lead_import(*, rows: Sequence[LeadIn], source: str, acting_user: Actor) -> list[Lead]:
    """Record many leads with their past stage moves (last year's ledger): one audit event.

    Every row is validated before anything is written, so one bad row writes nothing.
    The event lists each step entered late (补录) with its real date.
    """
    require_actor(acting_user)
    for org in {row.org.pk: row.org for row in rows}.values():
        LEAD.require_org(acting_user, org)
    today = _today()
    for number, row in enumerate(rows, start=1):
        problems = lead_in_problems(row, today=today)
        if problems:
            raise ValidationError(
                _("Lead %(number)d: %(problems)s")
                % {"number": number, "problems": "；".join(problems.values())}
            )
    built = [_build_lead(row, acting_user) for row in rows]
    leads = [lead for lead, _moves in built]
    Lead.objects.bulk_create(leads, batch_size=500)
    if not all(lead.pk for lead in leads):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    moves: list[LeadStageChange] = []
    for lead, lead_moves in built:
        for move in lead_moves:
            move.lead = lead
        moves.extend(lead_moves)
    LeadStageChange.objects.bulk_create(moves, batch_size=2000)
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(Lead, leads)
    rows_written(LeadStageChange, moves)
    late = [
        [move.lead.pk, move.to_stage, move.changed_on.isoformat()]
        for move in moves
        if move.late_reason
    ] + [
        [lead.pk, "lost", lead.lost_on.isoformat()]
        for lead in leads
        if lead.lost_on is not None and lead.lost_late_reason
    ]
    changes: dict[str, Any] = {"count": len(leads), "source": source}
    if leads:
        changes["ids"] = [leads[0].pk, leads[-1].pk]
    if late:
        reason = next(r.late_reason.strip() for r in rows if r.late_reason.strip())
        changes["late_entry"] = {"reason": reason, "steps": late}
    audit_record(
        actor=acting_user,
        action="lead.import",
        object_type=Lead._meta.label_lower,
        object_repr=source[:200],
        changes=changes,
    )
    return leads


@transaction.atomic
def lead_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the leads an import created (its batch is being undone): one audit event.

    The ingest module calls this only while no later event touched those leads.
    """
    require_actor(acting_user)
    leads = list(Lead.objects.select_for_update().select_related("org").filter(pk__in=ids))
    for lead in leads:
        LEAD.require(acting_user, lead)
    if any(lead.project_id for lead in leads):
        raise ValidationError(_("A lead of this batch became a key project; it cannot be undone."))
    moves = list(LeadStageChange.objects.filter(lead__in=leads).values_list("pk", flat=True))
    follow_ups = list(FollowUp.objects.filter(lead__in=leads).values_list("pk", flat=True))
    with (
        rows_changing(LeadStageChange, moves),
        rows_changing(FollowUp, follow_ups),
        rows_changing(Lead, leads),
    ):
        FollowUp.objects.filter(pk__in=follow_ups).delete()
        LeadStageChange.objects.filter(pk__in=moves).delete()
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).delete()
    audit_record(
        actor=acting_user,
        action="lead.import_undo",
        object_type=Lead._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(leads), "source": source},
    )
    return len(leads)


@dataclass
class EventIn:
    org: Organization
    kind: str
    name: str
    held_on: dt.date
    place: str = ""
    organizer: str = ""


def event_in_problems(row: EventIn) -> dict[str, str]:
    """What ``event_import`` refuses in ``row``, by column key."""
    event = Event(
        kind=row.kind,
        name=row.name,
        held_on=row.held_on,
        place=row.place,
        organizer=row.organizer,
    )
    try:
        event.clean_fields(exclude=["org"])
    except ValidationError as error:
        return {key: "；".join(messages) for key, messages in error.message_dict.items()}
    return {}


@transaction.atomic
def event_update(*, event: Event, acting_user: Actor, **fields: Any) -> Event:
    """Correct an event's details; a move to another organization needs manage there."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    event = Event.objects.select_for_update().select_related("org").get(pk=event.pk)
    EVENT.require(acting_user, event)
    if "org" in fields and fields["org"] != event.org:
        EVENT.require_org(acting_user, fields["org"])
    held_on = fields.get("held_on", event.held_on)
    if held_on != event.held_on:
        other = event.leads.filter(signed_on__isnull=False).exclude(signed_on=held_on).first()
        if other is not None:
            raise ValidationError(
                {
                    "held_on": _(
                        "Leads were signed at this event on %(date)s (%(project)s): its "
                        "date cannot move away from their signing date."
                    )
                    % {"date": chinese_date(event.held_on), "project": other.project_name}
                }
            )
    update_with_audit(
        event,
        changes=fields,
        editable=EVENT_FIELDS,
        audited=EVENT_FIELDS,
        action="event.update",
        acting_user=acting_user,
    )
    return event


@transaction.atomic
def event_import(*, rows: Sequence[EventIn], source: str, acting_user: Actor) -> list[Event]:
    """Record many events at once: one audit event; one bad row writes nothing."""
    require_actor(acting_user)
    for org in {row.org.pk: row.org for row in rows}.values():
        EVENT.require_org(acting_user, org)
    for number, row in enumerate(rows, start=1):
        problems = event_in_problems(row)
        if problems:
            raise ValidationError(
                _("Event %(number)d: %(problems)s")
                % {"number": number, "problems": "；".join(problems.values())}
            )
    built = [
        Event(
            org=row.org,
            kind=row.kind,
            name=row.name.strip(),
            held_on=row.held_on,
            place=row.place.strip(),
            organizer=row.organizer.strip(),
        )
        for row in rows
    ]
    Event.objects.bulk_create(built, batch_size=500)
    rows_written(Event, built)
    audit_record(
        actor=acting_user,
        action="event.import",
        object_type=Event._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "ids": [e.pk for e in built][:1000]},
    )
    return built


@transaction.atomic
def event_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the events an import created, unless a lead has been signed at one since."""
    require_actor(acting_user)
    events = list(Event.objects.select_for_update().select_related("org").filter(pk__in=ids))
    for event in events:
        EVENT.require(acting_user, event)
    signed = Lead.objects.filter(event__in=events).count()
    if signed:
        raise ValidationError(
            _("%(count)d leads name these events; undo is no longer possible.") % {"count": signed}
        )
    with rows_changing(Event, events):
        Event.objects.filter(pk__in=[e.pk for e in events]).delete()
    audit_record(
        actor=acting_user,
        action="event.import_undo",
        object_type=Event._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(events), "source": source},
    )
    return len(events)


@dataclass
class SubsidyIn:
    org: Organization
    policy: SubsidyPolicy
    enterprise: str
    amount: int
    paid_on: dt.date


def subsidy_in_problems(row: SubsidyIn, *, today: dt.date) -> dict[str, str]:
    """What ``subsidy_import`` (and ``subsidy_create``) refuse in ``row``, by column key."""
    problems: dict[str, str] = {}
    if not row.policy.is_active:
        problems["policy"] = _("This policy has been deactivated.")
    if row.amount <= 0:
        problems["amount"] = _("The amount must be positive.")
    if row.paid_on > today:
        problems["paid_on"] = _("The date cannot be in the future.")
    subsidy = Subsidy(enterprise=row.enterprise, amount=row.amount, paid_on=row.paid_on)
    try:
        subsidy.clean_fields(exclude=["org", "policy"])
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            problems.setdefault(key, "；".join(messages))
    return problems


@transaction.atomic
def subsidy_update(*, subsidy: Subsidy, acting_user: Actor, **fields: Any) -> Subsidy:
    """Correct a payment; a new policy must be an active one, a new organization one
    where the acting user records payments."""
    unknown = set(fields) - set(SUBSIDY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown subsidy fields: {sorted(unknown)}")
    subsidy = Subsidy.objects.select_for_update().select_related("org", "policy").get(pk=subsidy.pk)
    SUBSIDY.require(acting_user, subsidy)
    if "org" in fields and fields["org"] != subsidy.org:
        SUBSIDY.require_org(acting_user, fields["org"])
    if "policy" in fields and fields["policy"] != subsidy.policy and not fields["policy"].is_active:
        raise ValidationError({"policy": _("This policy has been deactivated.")})
    if "amount" in fields and fields["amount"] <= 0:
        raise ValidationError({"amount": _("The amount must be positive.")})
    if "paid_on" in fields:
        _check_not_future(fields["paid_on"])
    # The day paid and the paying organization decide where the payment is counted.
    with rows_changing(Subsidy, [subsidy.pk]):
        update_with_audit(
            subsidy,
            changes=fields,
            editable=SUBSIDY_FIELDS,
            audited=SUBSIDY_FIELDS,
            action="subsidy.update",
            acting_user=acting_user,
        )
    return subsidy


@transaction.atomic
def subsidy_import(*, rows: Sequence[SubsidyIn], source: str, acting_user: Actor) -> list[Subsidy]:
    """Record many payments at once (a year's 兑现 ledger): one audit event; one bad row
    writes nothing."""
    require_actor(acting_user)
    for org in {row.org.pk: row.org for row in rows}.values():
        SUBSIDY.require_org(acting_user, org)
    today = _today()
    for number, row in enumerate(rows, start=1):
        problems = subsidy_in_problems(row, today=today)
        if problems:
            raise ValidationError(
                _("Payment %(number)d: %(problems)s")
                % {"number": number, "problems": "；".join(problems.values())}
            )
    built = [
        Subsidy(
            org=row.org,
            policy=row.policy,
            enterprise=row.enterprise.strip(),
            amount=row.amount,
            paid_on=row.paid_on,
        )
        for row in rows
    ]
    Subsidy.objects.bulk_create(built, batch_size=1000)
    if not all(s.pk for s in built):
        raise RuntimeError("The database did not return the new ids")
    rows_written(Subsidy, built)
    audit_record(
        actor=acting_user,
        action="subsidy.import",
        object_type=Subsidy._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "amount": sum(s.amount for s in built)},
    )
    return built


@transaction.atomic
def subsidy_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the payments an import created (its batch is being undone): one audit event."""
    require_actor(acting_user)
    subsidies = list(Subsidy.objects.select_for_update().select_related("org").filter(pk__in=ids))
    for subsidy in subsidies:
        SUBSIDY.require(acting_user, subsidy)
    with rows_changing(Subsidy, subsidies):
        Subsidy.objects.filter(pk__in=[s.pk for s in subsidies]).delete()
    audit_record(
        actor=acting_user,
        action="subsidy.import_undo",
        object_type=Subsidy._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(subsidies), "source": source},
    )
    return len(subsidies)
