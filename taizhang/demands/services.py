"""Writes for demands: intake, routing, assignment, reply, follow-up, merge.

Every service is atomic, checks the acting user's right through the scope policies
(``permissions.DEMAND`` and the configuration's policies), records a dated
``DemandStep`` (``core.lifecycle``) and exactly one audit event with the field diff, and
reports the demand rows it wrote for the monthly roll-ups (``core.changes``).
Requesters' personal data never enters the audit trail in clear. ``acting_user=SYSTEM``
is for system jobs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.calendar import add_workdays
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.lifecycle import record_step
from taizhang.core.services import update_with_audit
from taizhang.demands import permissions
from taizhang.demands.models import (
    OPEN_STATES,
    DelegatedService,
    Demand,
    DemandAction,
    DemandCategory,
    DemandRequester,
    DemandState,
    DemandStep,
    RequesterKind,
    RoutingRule,
    Satisfaction,
)
from taizhang.demands.permissions import DELEGATED_SERVICE, DEMAND, ROUTING_RULE, VIEW
from taizhang.organizations.models import Organization, OrgKind
from taizhang.people.models import Person
from taizhang.problems.models import Problem
from taizhang.problems.services import problem_create

AUDITED_FIELDS = [
    "org",
    "location",
    "channel",
    "category",
    "title",
    "enterprise",
    "handling_org",
    "state",
    "received_on",
    "due_on",
    "replied_at",
    "closed_on",
    "reply_text",
    "satisfaction",
    "reopen_count",
    "merged_into",
]
MANAGE = "demands.manage"


@dataclass(frozen=True)
class RequesterIn:
    """Who asked. ``mobile`` and ``address`` are personal data."""

    kind: str
    name: str
    mobile: str = ""
    address: str = ""
    enterprise: Organization | None = None


def _now(when: dt.datetime | None) -> dt.datetime:
    return when or timezone.now()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _ensure_configure(acting_user: Actor) -> None:
    """The category dictionary is not booked on an organization: the function will do."""
    require_actor(acting_user)
    require(acting_user.has_function(permissions.CONFIGURE))


def _require_action(acting_user: Actor, action: str, demand: Demand) -> None:
    require_actor(acting_user)
    if not is_system(acting_user):
        require(permissions.can(acting_user, action, demand))


def _locked(demand: Demand) -> Demand:
    return (
        Demand.objects.select_for_update(of=("self",))
        .select_related("org", "handling_org", "category", "location")
        .get(pk=demand.pk)
    )


def _step(
    demand: Demand,
    *,
    action: str,
    from_state: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
    to_state: str = "",
) -> DemandStep:
    return record_step(
        DemandStep,
        subject_field="demand",
        subject=demand,
        action=action,
        from_state=from_state,
        to_state=to_state or demand.state,
        acting_user=acting_user,
        when=when,
        note=note,
    )


def _move(
    demand: Demand,
    *,
    to: str,
    action: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
    extra: dict[str, Any] | None = None,
    audit_changes: dict[str, Any] | None = None,
) -> Demand:
    before = snapshot(demand, AUDITED_FIELDS)
    from_state = demand.state
    demand.state = to
    for key, value in (extra or {}).items():
        setattr(demand, key, value)
    # Concluding, reopening and merging move the row in or out of the figures.
    with rows_changing(Demand, [demand.pk]):
        demand.save()
    _step(
        demand, action=action, from_state=from_state, acting_user=acting_user, when=when, note=note
    )
    changes = diff(before, snapshot(demand, AUDITED_FIELDS))
    if note:
        changes["note"] = [None, note]
    changes.update(audit_changes or {})
    audit_record(actor=acting_user, action=f"demand.{action}", obj=demand, changes=changes)
    return demand


def route(category: DemandCategory, location: Organization) -> Organization:
    """The handling organization for a demand: the deepest rule on the location's
    ancestors (or itself) for the category, else the category's default."""
    paths = [*location.ancestor_paths(), location.path]
    rule = (
        RoutingRule.objects.filter(category=category, area__path__in=paths)
        .select_related("handling_org")
        .order_by("-area__depth")
        .first()
    )
    return rule.handling_org if rule else category.default_org


@transaction.atomic
def demand_category_create(
    *,
    code: str,
    name: str,
    default_org: Organization,
    time_limit_days: int,
    for_enterprises: bool = False,
    sort_order: int = 0,
    acting_user: Actor,
) -> DemandCategory:
    """Extend the category dictionary with a default handler and a time limit."""
    _ensure_configure(acting_user)
    ROUTING_RULE.require_org(acting_user, default_org)
    category = DemandCategory(
        code=code,
        name=name,
        default_org=default_org,
        time_limit_days=time_limit_days,
        for_enterprises=for_enterprises,
        sort_order=sort_order,
    )
    category.full_clean()
    category.save()
    audit_record(
        actor=acting_user,
        action="demand_category.create",
        obj=category,
        changes=diff(
            {},
            snapshot(
                category, ["code", "name", "default_org", "time_limit_days", "for_enterprises"]
            ),
        ),
    )
    return category


@transaction.atomic
def routing_rule_set(
    *, category: DemandCategory, area: Organization, handling_org: Organization, acting_user: Actor
) -> RoutingRule:
    """Route a category's demands from an area to a handling organization."""
    ROUTING_RULE.require_org(acting_user, area)
    existing = RoutingRule.objects.filter(category=category, area=area).first()
    before = snapshot(existing, ["handling_org"]) if existing else {}
    rule, _created = RoutingRule.objects.update_or_create(
        category=category, area=area, defaults={"handling_org": handling_org}
    )
    audit_record(
        actor=acting_user,
        action="routing_rule.set",
        obj=rule,
        changes={
            "category": category.pk,
            "area": area.pk,
            **diff(before, snapshot(rule, ["handling_org"])),
        },
    )
    return rule


@transaction.atomic
def delegated_service_create(
    *,
    org: Organization,
    name: str,
    delegated_on: dt.date,
    category: DemandCategory | None = None,
    delegated_by: str = "",
    acting_user: Actor,
) -> DelegatedService:
    """Record a service now handled by a subdistrict (下放街道事项)."""
    DELEGATED_SERVICE.require_org(acting_user, org)
    service = DelegatedService(
        org=org, name=name, category=category, delegated_by=delegated_by, delegated_on=delegated_on
    )
    service.full_clean()
    service.save()
    audit_record(
        actor=acting_user,
        action="delegated_service.create",
        obj=service,
        changes=diff(
            {}, snapshot(service, ["org", "name", "category", "delegated_by", "delegated_on"])
        ),
    )
    return service


CATEGORY_FIELDS = [
    "code",
    "name",
    "default_org",
    "time_limit_days",
    "for_enterprises",
    "sort_order",
]
DELEGATED_FIELDS = ["org", "name", "category", "delegated_by", "delegated_on"]


@transaction.atomic
def demand_category_update(
    *, category: DemandCategory, changes: dict[str, Any], acting_user: Actor
) -> DemandCategory:
    """Change a category's name, default handler, time limit or order. A new time limit
    applies to demands received from then on; due days already set stay."""
    _ensure_configure(acting_user)
    if "default_org" in changes:
        ROUTING_RULE.require_org(acting_user, changes["default_org"])
    update_with_audit(
        category,
        changes=changes,
        editable=[f for f in CATEGORY_FIELDS if f != "code"],
        audited=CATEGORY_FIELDS,
        action="demand_category.update",
        acting_user=acting_user,
    )
    return category


def _set_category_active(category: DemandCategory, active: bool, acting_user: Actor) -> None:
    _ensure_configure(acting_user)
    update_with_audit(
        category,
        changes={"is_active": active},
        editable=["is_active"],
        audited=["is_active"],
        action="demand_category.reactivate" if active else "demand_category.deactivate",
        acting_user=acting_user,
    )


@transaction.atomic
def demand_category_deactivate(*, category: DemandCategory, acting_user: Actor) -> DemandCategory:
    """Stop offering a category for new demands; demands already filed under it keep it
    (categories are never deleted: demands point to them)."""
    _set_category_active(category, False, acting_user)
    return category


@transaction.atomic
def demand_category_reactivate(*, category: DemandCategory, acting_user: Actor) -> DemandCategory:
    _set_category_active(category, True, acting_user)
    return category


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, acting_user: Actor) -> None:
    """Drop a routing rule: the area's demands of that category go to the category's
    default again (demands already assigned stay where they are)."""
    ROUTING_RULE.require(acting_user, rule)
    audit_record(
        actor=acting_user,
        action="routing_rule.delete",
        obj=rule,
        changes={
            "category": rule.category_id,
            "area": rule.area_id,
            "handling_org": [rule.handling_org_id, None],
        },
    )
    rule.delete()


@transaction.atomic
def delegated_service_update(
    *, service: DelegatedService, changes: dict[str, Any], acting_user: Actor
) -> DelegatedService:
    """Correct a delegated service; moving it to another subdistrict needs the right
    on both."""
    DELEGATED_SERVICE.require(acting_user, service)
    if "org" in changes:
        DELEGATED_SERVICE.require_org(acting_user, changes["org"])
    update_with_audit(
        service,
        changes=changes,
        editable=DELEGATED_FIELDS,
        audited=DELEGATED_FIELDS,
        action="delegated_service.update",
        acting_user=acting_user,
    )
    return service


@transaction.atomic
def delegated_service_delete(*, service: DelegatedService, acting_user: Actor) -> None:
    """Take a service off the delegated list (no record points to the list's rows)."""
    DELEGATED_SERVICE.require(acting_user, service)
    audit_record(
        actor=acting_user,
        action="delegated_service.delete",
        obj=service,
        changes=diff(snapshot(service, DELEGATED_FIELDS), {}),
    )
    service.delete()


@transaction.atomic
def demand_create(
    *,
    org: Organization,
    channel: str,
    category: DemandCategory,
    title: str,
    content: str,
    requesters: list[RequesterIn],
    location: Organization | None = None,
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Demand:
    """受理: record a demand, on behalf of a resident or an enterprise when staff enter it.

    The due day is the category's time limit in working days after receipt.
    """
    place = location or org
    DEMAND.require_org(acting_user, org)
    if not requesters:
        raise ValidationError({"requesters": _("Name at least one requester.")})
    for requester in requesters:
        if requester.kind not in RequesterKind.values or not requester.name.strip():
            raise ValidationError({"requesters": _("Each requester needs a type and a name.")})
        enterprise = requester.enterprise
        if enterprise is not None and enterprise.kind != OrgKind.ENTERPRISE:
            raise ValidationError({"requesters": _("This organization is not an enterprise.")})
    if (
        not is_system(acting_user)
        and not DEMAND.org_choices(acting_user, VIEW).filter(pk=place.pk).exists()
    ):
        raise ValidationError({"location": _("This place is outside your data scope.")})
    moment = _now(when)
    received_on = _day(moment)
    enterprise = next((r.enterprise for r in requesters if r.enterprise is not None), None)
    demand = Demand(
        org=org,
        location=place,
        channel=channel,
        category=category,
        title=title.strip(),
        content=content.strip(),
        enterprise=enterprise,
        received_at=moment,
        received_on=received_on,
        due_on=add_workdays(received_on, category.time_limit_days),
        created_by=user_of(acting_user),
    )
    demand.full_clean()
    demand.save()
    DemandRequester.objects.bulk_create(
        DemandRequester(
            demand=demand,
            kind=r.kind,
            name=r.name.strip(),
            enterprise=r.enterprise,
            mobile=r.mobile.strip(),
            address=r.address.strip(),
            is_primary=index == 0,
        )
        for index, r in enumerate(requesters)
    )
    _step(demand, action=DemandAction.RECEIVE, from_state="", acting_user=acting_user, when=moment)
    rows_written(Demand, [demand])
    audit_record(
        actor=acting_user,
        action="demand.create",
        obj=demand,
        changes={
            **diff({}, snapshot(demand, AUDITED_FIELDS)),
            # Personal data never goes into the trail in clear: names and kinds only.
            "requesters": [None, [f"{r.kind}:{r.name}" for r in requesters]],
        },
    )
    return demand


@transaction.atomic
def demand_assign(
    *,
    demand: Demand,
    handling_org: Organization | None = None,
    reason: str = "",
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Demand:
    """分派 to the routed (or a chosen) organization; reassigning needs a reason."""
    demand = _locked(demand)
    _require_action(acting_user, "assign", demand)
    if demand.state not in (DemandState.RECEIVED, DemandState.ASSIGNED, DemandState.HANDLING):
        raise ValidationError(_("Only a demand not yet replied to can be assigned."))
    target = handling_org or route(demand.category, demand.location)
    reassign = demand.handling_org_id is not None
    if reassign and target.pk == demand.handling_org_id:
        raise ValidationError({"handling_org": _("The demand is already with this organization.")})
    if reassign and not reason.strip():
        raise ValidationError({"reason": _("Say why the demand is reassigned.")})
    moment = _now(when)
    return _move(
        demand,
        to=DemandState.ASSIGNED,
        action=DemandAction.REASSIGN if reassign else DemandAction.ASSIGN,
        acting_user=acting_user,
        when=moment,
        note=reason.strip() or target.short_name,
        extra={"handling_org": target, "assigned_at": moment},
    )


@transaction.atomic
def demand_start(*, demand: Demand, when: dt.datetime | None = None, acting_user: Actor) -> Demand:
    """办理: the handling organization takes the demand on."""
    demand = _locked(demand)
    _require_action(acting_user, "start", demand)
    if demand.state != DemandState.ASSIGNED:
        raise ValidationError(_("Only an assigned demand can be taken on."))
    return _move(
        demand,
        to=DemandState.HANDLING,
        action=DemandAction.START,
        acting_user=acting_user,
        when=_now(when),
    )


@transaction.atomic
def demand_reply(
    *, demand: Demand, reply_text: str, when: dt.datetime | None = None, acting_user: Actor
) -> Demand:
    """答复: the reply to the requester(s), recorded with the time it was given."""
    demand = _locked(demand)
    _require_action(acting_user, "reply", demand)
    if demand.state != DemandState.HANDLING:
        raise ValidationError(_("Only a demand being handled can be replied to."))
    text = reply_text.strip()
    if len(text) < 5:
        raise ValidationError({"reply_text": _("Write the reply given to the requester.")})
    names = "、".join(demand.requesters.values_list("name", flat=True))
    return _move(
        demand,
        to=DemandState.REPLIED,
        action=DemandAction.REPLY,
        acting_user=acting_user,
        when=_now(when),
        note=_("To %(names)s: %(text)s") % {"names": names, "text": text},
        extra={"reply_text": text, "replied_at": _now(when)},
    )


@transaction.atomic
def demand_follow_up(
    *,
    demand: Demand,
    satisfaction: str,
    note: str = "",
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Demand:
    """回访: a satisfied or basically satisfied requester concludes the demand (办结);
    an unsatisfied one sends it back to the handling organization."""
    demand = _locked(demand)
    _require_action(acting_user, "follow_up", demand)
    if demand.state != DemandState.REPLIED:
        raise ValidationError(_("Only a replied demand can be followed up."))
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Record the requester's satisfaction.")})
    moment = _now(when)
    label = str(Satisfaction(satisfaction).label)
    text = f"{label}{'：' + note.strip() if note.strip() else ''}"
    if satisfaction == Satisfaction.UNSATISFIED:
        return _move(
            demand,
            to=DemandState.HANDLING,
            action=DemandAction.REOPEN,
            acting_user=acting_user,
            when=moment,
            note=text,
            extra={
                "satisfaction": satisfaction,
                "reopen_count": demand.reopen_count + 1,
                "replied_at": None,
                "reply_text": "",
            },
        )
    return _move(
        demand,
        to=DemandState.CLOSED,
        action=DemandAction.FOLLOW_UP,
        acting_user=acting_user,
        when=moment,
        note=text,
        extra={"satisfaction": satisfaction, "closed_at": moment, "closed_on": _day(moment)},
    )


@transaction.atomic
def demand_merge(
    *, duplicate: Demand, into: Demand, when: dt.datetime | None = None, acting_user: Actor
) -> Demand:
    """Merge a duplicate into another open demand, keeping both requesters."""
    if duplicate.pk == into.pk:
        raise ValidationError(_("A demand cannot be merged into itself."))
    first, second = sorted([duplicate.pk, into.pk])
    locked = {
        d.pk: d
        for d in Demand.objects.select_for_update(of=("self",))
        .select_related("org", "handling_org", "category")
        .filter(pk__in=[first, second])
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    _require_action(acting_user, "merge", duplicate)
    _require_action(acting_user, "merge", into)
    if duplicate.state not in (DemandState.RECEIVED, DemandState.ASSIGNED):
        raise ValidationError(_("Only a demand not yet taken on can be merged away."))
    if into.state not in OPEN_STATES:
        raise ValidationError(_("A demand can only be merged into an open one."))
    moved = list(duplicate.requesters.values_list("pk", flat=True))
    DemandRequester.objects.filter(pk__in=moved).update(
        demand=into, is_primary=False, merged_from=duplicate
    )
    if into.enterprise_id is None and duplicate.enterprise_id is not None:
        # The enterprise now served by ``into`` changes the enterprises-served figure.
        with rows_changing(Demand, [into.pk]):
            Demand.objects.filter(pk=into.pk).update(enterprise_id=duplicate.enterprise_id)
    moment = _now(when)
    _step(
        into,
        action=DemandAction.ABSORB,
        from_state=into.state,
        acting_user=acting_user,
        when=moment,
        note=duplicate.number,
    )
    return _move(
        duplicate,
        to=DemandState.MERGED,
        action=DemandAction.MERGE,
        acting_user=acting_user,
        when=moment,
        note=into.number,
        extra={"merged_into": into},
        audit_changes={"requesters_moved": [None, moved], "into": [None, into.pk]},
    )


@transaction.atomic
def demand_raise_problem(
    *,
    demand: Demand,
    deadline: dt.date,
    title: str = "",
    linked_leader: Person | None = None,
    responsible: Person | None = None,
    acting_user: Actor,
) -> Problem:
    """Put the demand's underlying problem on the problem list in one step.

    The problem service records its own audit event (with the demand as origin); this
    adds a dated step to the demand so its history shows it.
    """
    demand = _locked(demand)
    _require_action(acting_user, "raise_problem", demand)
    if demand.state == DemandState.MERGED:
        raise ValidationError(_("A merged demand cannot raise a problem."))
    org = demand.handling_org or demand.org
    problem = problem_create(
        org=org,
        title=title.strip() or demand.title,
        description=demand.content,
        source="demand",
        category="livelihood" if not demand.enterprise_id else "business",
        deadline=deadline,
        linked_leader=linked_leader,
        responsible=responsible,
        origin=demand,
        acting_user=acting_user,
    )
    _step(
        demand,
        action=DemandAction.RAISE_PROBLEM,
        from_state=demand.state,
        acting_user=acting_user,
        when=timezone.now(),
        note=problem.number,
    )
    return problem


@transaction.atomic
def demand_reveal(*, demand: Demand, acting_user: Actor) -> list[dict[str, Any]] | None:
    """The requesters' unmasked contact data, audited; ``None`` (also audited) if refused.

    Allowed with ``people.view_personal`` on the receiving organization, or to the user
    who took the demand and follows it up (the 回访 call); the audit event names which.
    A refusal returns rather than raises so that its audit event is committed.
    """
    require_actor(acting_user)
    basis = "system" if is_system(acting_user) else permissions.reveal_basis(acting_user, demand)
    if not basis:
        audit_record(actor=acting_user, action="demand.reveal", obj=demand, outcome="denied")
        return None
    rows: list[dict[str, Any]] = [
        dict(row) for row in demand.requesters.values("pk", "name", "mobile", "address")
    ]
    audit_record(
        actor=acting_user,
        action="demand.reveal",
        obj=demand,
        changes={
            "fields": ["mobile", "address"],
            "requesters": [r["pk"] for r in rows],
            "basis": basis,
        },
    )
    return rows
