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
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.calendar import add_workdays
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.lifecycle import record_step, step_fields
from taizhang.core.services import update_with_audit
from taizhang.core.versions import lock_at_version
from taizhang.demands import permissions
from taizhang.demands.models import (
    OPEN_STATES,
    Channel,
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
from taizhang.demands.permissions import (
    DELEGATED_SERVICE,
    DEMAND,
    FOLLOW_UP,
    ROUTING_RULE,
    VIEW,
)
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
    "followed_up_on",
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


# A clock a few minutes ahead of the server's is not a step in the future.
CLOCK_SLACK = dt.timedelta(minutes=5)


def _now(when: dt.datetime | None) -> dt.datetime:
    return when or timezone.now()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _shown(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _moment(
    when: dt.datetime | None, late_reason: str, *, after: dt.datetime | None = None
) -> dt.datetime:
    """The real moment of a step: now, or ``when`` (a 补录 names the moment and a reason).

    Whatever the reason, a step is never dated in the future nor before the step it
    follows: a truthful history reads in order.
    """
    now = timezone.now()
    if late_reason.strip() and when is None:
        raise ValidationError(
            {"occurred_at": _("Give the date and time the step really took place.")}
        )
    moment = when or now
    if moment > now + CLOCK_SLACK:
        raise ValidationError({"occurred_at": _("A step cannot be dated in the future.")})
    if after is not None and moment < after:
        raise ValidationError(
            {
                "occurred_at": _(
                    "The step cannot be dated before the demand's previous step (%(moment)s)."
                )
                % {"moment": _shown(after)}
            }
        )
    return moment


def _last_step(demand: Demand) -> dt.datetime | None:
    last: dt.datetime | None = demand.steps.aggregate(last=Max("occurred_at"))["last"]
    return last


def _late(moment: dt.datetime, late_reason: str) -> dict[str, Any]:
    """What a 补录 adds to the audit event: the real moment, the reason, the moment typed."""
    reason = late_reason.strip()
    if not reason:
        return {}
    return {
        "late_entry": {
            "occurred_at": timezone.localtime(moment).isoformat(),
            "occurred_on": _day(moment).isoformat(),
            "reason": reason[:200],
            "entered_at": timezone.localtime().isoformat(),
        }
    }


def _late_fields(late_reason: str) -> dict[str, Any]:
    reason = late_reason.strip()[:200]
    return {"late_reason": reason, "entered_at": timezone.now() if reason else None}


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
    late_reason: str = "",
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
        **_late_fields(late_reason),
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
    late_reason: str = "",
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
        demand,
        action=action,
        from_state=from_state,
        acting_user=acting_user,
        when=when,
        note=note,
        late_reason=late_reason,
    )
    changes = diff(before, snapshot(demand, AUDITED_FIELDS))
    if note:
        changes["note"] = [None, note]
    changes.update(audit_changes or {})
    changes.update(_late(when, late_reason))
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
    *,
    category: DemandCategory,
    changes: dict[str, Any],
    acting_user: Actor,
    version: int | None = None,
) -> DemandCategory:
    """Change a category's name, default handler, time limit or order. A new time limit
    applies to demands received from then on; due days already set stay. ``version``:
    the one the editor saw; a change since is refused (``StaleEdit``)."""
    _ensure_configure(acting_user)
    lock_at_version(category, version)
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
    *,
    service: DelegatedService,
    changes: dict[str, Any],
    acting_user: Actor,
    version: int | None = None,
) -> DelegatedService:
    """Correct a delegated service; moving it to another subdistrict needs the right
    on both. ``version``: the one the editor saw; a change since is refused."""
    DELEGATED_SERVICE.require(acting_user, service)
    lock_at_version(service, version)
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


def _place_fields(demand: Demand) -> list[str]:
    """The point and address of the matter, audited when given (most demands have none)."""
    return [
        name
        for name in ("lat", "long", "address_string")
        if getattr(demand, name) not in (None, "")
    ]


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
    lat: Decimal | None = None,
    long: Decimal | None = None,
    address_string: str = "",
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Demand:
    """受理: record a demand, on behalf of a resident or an enterprise when staff enter it.

    The due day is the category's time limit in working days after receipt: a demand
    received in the past (``when`` with a ``late_reason``, 补录) is due from its real day,
    and overdue at once when that limit has passed. ``lat``/``long`` (both or neither)
    and ``address_string`` say where the matter is, when the requester said (Open311).
    """
    place = location or org
    DEMAND.require_org(acting_user, org)
    if (lat is None) != (long is None):
        raise ValidationError({"lat": _("Give both the latitude and the longitude.")})
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
    moment = _moment(when, late_reason)
    received_on = _day(moment)
    enterprise = next((r.enterprise for r in requesters if r.enterprise is not None), None)
    demand = Demand(
        org=org,
        location=place,
        channel=channel,
        category=category,
        title=title.strip(),
        content=content.strip(),
        lat=lat,
        long=long,
        address_string=address_string.strip(),
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
    _step(
        demand,
        action=DemandAction.RECEIVE,
        from_state="",
        acting_user=acting_user,
        when=moment,
        late_reason=late_reason,
    )
    rows_written(Demand, [demand])
    audit_record(
        actor=acting_user,
        action="demand.create",
        obj=demand,
        changes={
            **diff({}, snapshot(demand, AUDITED_FIELDS)),
            # Personal data never goes into the trail in clear: names and kinds only.
            "requesters": [None, [f"{r.kind}:{r.name}" for r in requesters]],
            **diff({}, snapshot(demand, _place_fields(demand))),
            **_late(moment, late_reason),
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
    late_reason: str = "",
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
    moment = _moment(when, late_reason, after=_last_step(demand))
    moved = _move(
        demand,
        to=DemandState.ASSIGNED,
        action=DemandAction.REASSIGN if reassign else DemandAction.ASSIGN,
        acting_user=acting_user,
        when=moment,
        note=reason.strip() or target.short_name,
        extra={"handling_org": target, "assigned_at": moment},
        late_reason=late_reason,
    )
    if not late_reason:  # an assignment entered after the fact (补录) tells nobody
        _notify_assigned(moved, target)
    return moved


def _notify_assigned(demand: Demand, unit: Organization) -> None:
    """Tell the handling unit's own staff (reminders: ``demands.assigned``). The message
    names the demand, never the requester."""
    from django.urls import reverse

    from taizhang.accounts.selectors import users_at
    from taizhang.core.notify import notify

    notify(
        recipients=users_at(unit, "demands.manage"),
        rule="demands.assigned",
        title=_("Demand assigned to your unit: %(demand)s") % {"demand": demand.number},
        body=_("Answer by %(due)s.") % {"due": demand.due_on},
        url=reverse("demands:detail", args=[demand.pk]),
        source=demand,
        org=unit,
    )


@transaction.atomic
def demand_start(
    *,
    demand: Demand,
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Demand:
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
        when=_moment(when, late_reason, after=_last_step(demand)),
        late_reason=late_reason,
    )


@transaction.atomic
def demand_reply(
    *,
    demand: Demand,
    reply_text: str,
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Demand:
    """答复: the reply to the requester(s), recorded with the time it was given: now, or
    the real moment of an earlier reply entered late (``when`` and ``late_reason``)."""
    demand = _locked(demand)
    _require_action(acting_user, "reply", demand)
    if demand.state != DemandState.HANDLING:
        raise ValidationError(_("Only a demand being handled can be replied to."))
    text = reply_text.strip()
    if len(text) < 5:
        raise ValidationError({"reply_text": _("Write the reply given to the requester.")})
    moment = _moment(when, late_reason, after=_last_step(demand))
    names = "、".join(demand.requesters.values_list("name", flat=True))
    return _move(
        demand,
        to=DemandState.REPLIED,
        action=DemandAction.REPLY,
        acting_user=acting_user,
        when=moment,
        note=reply_note(names, text),
        extra={"reply_text": text, "replied_at": moment},
        late_reason=late_reason,
    )


def reply_note(names: str, text: str) -> str:
    return _("To %(names)s: %(text)s") % {"names": names, "text": text}


def follow_up_note(satisfaction: str, note: str = "") -> str:
    label = str(Satisfaction(satisfaction).label)
    return f"{label}{'：' + note.strip() if note.strip() else ''}"


@transaction.atomic
def demand_follow_up(
    *,
    demand: Demand,
    satisfaction: str,
    note: str = "",
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Demand:
    """回访: a satisfied or basically satisfied requester concludes the demand (办结);
    an unsatisfied one sends it back to the handling organization. A call made earlier
    is entered with its real moment (``when``) and a ``late_reason`` (补录)."""
    demand = _locked(demand)
    _require_action(acting_user, "follow_up", demand)
    if demand.state != DemandState.REPLIED:
        raise ValidationError(_("Only a replied demand can be followed up."))
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Record the requester's satisfaction.")})
    moment = _moment(when, late_reason, after=_last_step(demand))
    text = follow_up_note(satisfaction, note)
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
                "followed_up_on": _day(moment),
            },
            late_reason=late_reason,
        )
    return _move(
        demand,
        to=DemandState.CLOSED,
        action=DemandAction.FOLLOW_UP,
        acting_user=acting_user,
        when=moment,
        note=text,
        extra={
            "satisfaction": satisfaction,
            "closed_at": moment,
            "closed_on": _day(moment),
            "followed_up_on": _day(moment),
        },
        late_reason=late_reason,
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


# --- corrections and imports ------------------------------------------------------------

EDITABLE = ("title", "content", "channel")


@transaction.atomic
def demand_update(*, demand: Demand, acting_user: Actor, **fields: Any) -> Demand:
    """Correct a demand's summary, content or intake channel (not its lifecycle).

    The content is not copied into the audit trail: residents write names and numbers
    into it. The event says that it changed.
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    demand = _locked(demand)
    DEMAND.require(acting_user, demand)
    before = snapshot(demand, AUDITED_FIELDS)
    old_content = demand.content
    for key, value in fields.items():
        setattr(demand, key, value.strip() if isinstance(value, str) else value)
    if demand.channel not in Channel.values:
        raise ValidationError({"channel": _("Pick an intake channel.")})
    demand.full_clean()
    demand.save()
    rows_written(Demand, [demand])
    changes = diff(before, snapshot(demand, AUDITED_FIELDS))
    if demand.content != old_content:
        changes["content"] = [None, "changed"]
    audit_record(actor=acting_user, action="demand.update", obj=demand, changes=changes)
    return demand


@dataclass(frozen=True)
class DemandImportIn:
    """A demand received in the past, with the steps it has taken since, at their real
    moments: the reply (答复) and the follow-up call (回访) when there were any."""

    org: Organization
    channel: str
    category: DemandCategory
    title: str
    content: str
    requesters: list[RequesterIn]
    received_at: dt.datetime
    location: Organization | None = None
    handling_org: Organization | None = None
    replied_at: dt.datetime | None = None
    reply_text: str = ""
    followed_up_at: dt.datetime | None = None
    satisfaction: str = ""


FOREIGN_KEYS = ("org", "location", "category", "enterprise", "handling_org")


class DemandImportRules:
    """The checks ``demand_import`` makes, per row and without a query per row, so an
    importer can answer each row before anything is written.

    They are the services' own rules: recording needs ``demands.manage`` on the
    receiving organization, the handling and the reply ``demands.manage`` on the
    handling organization, and the follow-up ``demands.follow_up`` on the receiving
    organization (a grid worker records but does not conclude). An import does not
    bypass them.
    """

    def __init__(self, acting_user: Actor) -> None:
        require_actor(acting_user)
        self.system = is_system(acting_user)
        self.manage = DEMAND.scope(acting_user, MANAGE)
        self.view = DEMAND.scope(acting_user, VIEW)
        self.follow = DEMAND.scope(acting_user, FOLLOW_UP)
        self._routes: dict[tuple[int, int], Organization] = {}

    def route(self, category: DemandCategory, location: Organization) -> Organization:
        key = (category.pk, location.pk)
        if key not in self._routes:
            self._routes[key] = route(category, location)
        return self._routes[key]

    def handler(self, row: DemandImportIn) -> Organization | None:
        """Who handled it: the organization named, else the routed one once it was
        answered (an unanswered demand without one stays received)."""
        if row.handling_org is not None:
            return row.handling_org
        if row.replied_at is not None:
            return self.route(row.category, row.location or row.org)
        return None

    def check(self, row: DemandImportIn, now: dt.datetime | None = None) -> None:
        """Raise ``ValidationError`` (keyed by the row's field) if ``row`` would be refused."""
        now = now or timezone.now()
        place = row.location or row.org
        if not self.system and not self.manage.covers(row.org):
            raise ValidationError({"org": _("You may not record demands at this organization.")})
        if not self.system and not (place.is_active and self.view.covers(place)):
            raise ValidationError({"location": _("This place is outside your data scope.")})
        if row.channel not in Channel.values:
            raise ValidationError({"channel": _("Pick an intake channel.")})
        if not row.title.strip():
            raise ValidationError({"title": _("Write what the demand is about.")})
        if not row.requesters:
            raise ValidationError({"requesters": _("Name at least one requester.")})
        for requester in row.requesters:
            if requester.kind not in RequesterKind.values or not requester.name.strip():
                raise ValidationError({"requesters": _("Each requester needs a type and a name.")})
            enterprise = requester.enterprise
            if enterprise is not None and enterprise.kind != OrgKind.ENTERPRISE:
                raise ValidationError({"requesters": _("This organization is not an enterprise.")})
            if len(requester.name.strip()) > 100 or len(requester.address.strip()) > 200:
                raise ValidationError(
                    {"requesters": _("A requester's name or address is too long.")}
                )
            if len(requester.mobile.strip()) > 20:
                raise ValidationError({"mobile": _("Write a mobile or telephone number.")})
        received_on = _day(row.received_at)
        Demand(
            channel=row.channel,
            title=row.title.strip(),
            content=row.content.strip() or row.title.strip(),
            received_at=row.received_at,
            received_on=received_on,
            due_on=received_on,
        ).clean_fields(exclude=[*FOREIGN_KEYS, "created_by", "merged_into"])
        if row.received_at > now + CLOCK_SLACK:
            raise ValidationError({"received_at": _("A step cannot be dated in the future.")})
        handler = self.handler(row)
        outside = handler is not None and not self.system and not self.view.covers(handler)
        answered_outside = (
            handler is not None
            and row.replied_at is not None
            and not self.system
            and not self.manage.covers(handler)
        )
        if outside or answered_outside:
            assert handler is not None
            raise ValidationError(
                {
                    "handling_org": _(
                        "You may not record the handling of a demand by %(org)s: it is "
                        "outside your scope."
                    )
                    % {"org": handler.short_name}
                }
            )
        if row.replied_at is not None:
            if row.replied_at < row.received_at:
                raise ValidationError(
                    {"replied_at": _("The reply cannot be earlier than the day of receipt.")}
                )
            if row.replied_at > now + CLOCK_SLACK:
                raise ValidationError({"replied_at": _("A step cannot be dated in the future.")})
            if len(row.reply_text.strip()) < 5:
                raise ValidationError({"reply_text": _("Write the reply given to the requester.")})
        elif row.reply_text.strip():
            raise ValidationError({"replied_at": _("Give the day the reply was given.")})
        if row.followed_up_at is not None:
            if row.replied_at is None:
                raise ValidationError(
                    {"followed_up_at": _("A demand is followed up once it has been replied to.")}
                )
            if row.followed_up_at < row.replied_at:
                raise ValidationError(
                    {"followed_up_at": _("The follow-up cannot be earlier than the reply.")}
                )
            if row.followed_up_at > now + CLOCK_SLACK:
                raise ValidationError(
                    {"followed_up_at": _("A step cannot be dated in the future.")}
                )
            if row.satisfaction not in Satisfaction.values:
                raise ValidationError({"satisfaction": _("Record the requester's satisfaction.")})
            if not self.system and not self.follow.covers(row.org):
                raise ValidationError(
                    {
                        "satisfaction": _(
                            "Recording the follow-up (回访) needs the right to follow up "
                            "demands at the receiving organization."
                        )
                    }
                )
        elif row.satisfaction:
            raise ValidationError({"followed_up_at": _("Give the day of the follow-up call.")})


def _history(
    row: DemandImportIn, handler: Organization | None, acting_user: Actor
) -> tuple[Demand, list[dict[str, Any]]]:
    """The demand as its steps left it, and those steps (the same moves the lifecycle
    services make, at their real moments)."""
    received_on = _day(row.received_at)
    demand = Demand(
        org=row.org,
        location=row.location or row.org,
        channel=row.channel,
        category=row.category,
        title=row.title.strip(),
        content=row.content.strip() or row.title.strip(),
        enterprise=next((r.enterprise for r in row.requesters if r.enterprise), None),
        received_at=row.received_at,
        received_on=received_on,
        due_on=add_workdays(received_on, row.category.time_limit_days),
        created_by=user_of(acting_user),
    )
    steps: list[dict[str, Any]] = [
        {
            "action": DemandAction.RECEIVE,
            "from": "",
            "to": DemandState.RECEIVED,
            "when": row.received_at,
        }
    ]
    if handler is not None:
        demand.handling_org = handler
        demand.assigned_at = row.received_at
        steps.append(
            {
                "action": DemandAction.ASSIGN,
                "from": DemandState.RECEIVED,
                "to": DemandState.ASSIGNED,
                "when": row.received_at,
                "note": handler.short_name,
            }
        )
        demand.state = DemandState.ASSIGNED
    if row.replied_at is not None:
        names = "、".join(r.name.strip() for r in row.requesters)
        steps.append(
            {
                "action": DemandAction.START,
                "from": DemandState.ASSIGNED,
                "to": DemandState.HANDLING,
                "when": row.received_at,
            }
        )
        steps.append(
            {
                "action": DemandAction.REPLY,
                "from": DemandState.HANDLING,
                "to": DemandState.REPLIED,
                "when": row.replied_at,
                "note": reply_note(names, row.reply_text.strip()),
            }
        )
        demand.state = DemandState.REPLIED
        demand.replied_at = row.replied_at
        demand.reply_text = row.reply_text.strip()
    if row.followed_up_at is not None:
        demand.satisfaction = row.satisfaction
        demand.followed_up_on = _day(row.followed_up_at)
        note = follow_up_note(row.satisfaction)
        if row.satisfaction == Satisfaction.UNSATISFIED:
            demand.state = DemandState.HANDLING
            demand.reopen_count = 1
            demand.replied_at = None
            demand.reply_text = ""
            action, to = DemandAction.REOPEN, DemandState.HANDLING
        else:
            demand.state = DemandState.CLOSED
            demand.closed_at = row.followed_up_at
            demand.closed_on = _day(row.followed_up_at)
            action, to = DemandAction.FOLLOW_UP, DemandState.CLOSED
        steps.append(
            {
                "action": action,
                "from": DemandState.REPLIED,
                "to": to,
                "when": row.followed_up_at,
                "note": note,
            }
        )
    return demand, steps


@transaction.atomic
def demand_import(
    *,
    rows: Sequence[DemandImportIn],
    source: str,
    late_reason: str = "",
    acting_user: Actor,
) -> list[Demand]:
    """Record demands received in the past with their replies and follow-ups (补录):
    one audit event for the whole file.

    Each step keeps its real moment, the moment it was entered and ``late_reason``
    (default: the file it came from); due days count from the real day of receipt, so a
    demand whose limit has passed unanswered is overdue at once. Every row meets the
    rules of ``DemandImportRules`` before anything is written.
    """
    rules = DemandImportRules(acting_user)
    reason = (late_reason or _("Imported from %(file)s") % {"file": source}).strip()[:200]
    now = timezone.now()
    built: list[tuple[Demand, list[dict[str, Any]], DemandImportIn]] = []
    for row in rows:
        rules.check(row, now)
        demand, steps = _history(row, rules.handler(row), acting_user)
        built.append((demand, steps, row))
    demands = [demand for demand, _steps, _row in built]
    Demand.objects.bulk_create(demands, batch_size=500)
    if not all(d.pk for d in demands):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    DemandRequester.objects.bulk_create(
        [
            DemandRequester(
                demand=demand,
                kind=r.kind,
                name=r.name.strip(),
                enterprise=r.enterprise,
                mobile=r.mobile.strip(),
                address=r.address.strip(),
                is_primary=index == 0,
            )
            for demand, _steps, row in built
            for index, r in enumerate(row.requesters)
        ],
        batch_size=2000,
    )
    DemandStep.objects.bulk_create(
        [
            DemandStep(
                **step_fields(
                    subject_field="demand",
                    subject=demand,
                    action=step["action"],
                    from_state=step["from"],
                    to_state=step["to"],
                    acting_user=acting_user,
                    when=step["when"],
                    note=step.get("note", ""),
                    late_reason=reason,
                    entered_at=now,
                )
            )
            for demand, steps, _row in built
            for step in steps
        ],
        batch_size=2000,
    )
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(Demand, demands)
    days = [_day(step["when"]) for _d, steps, _r in built for step in steps]
    audit_record(
        actor=acting_user,
        action="demand.import",
        object_type=Demand._meta.label_lower,
        object_repr=source[:200],
        changes={
            "count": len(demands),
            "source": source,
            "ids": [demands[0].pk, demands[-1].pk] if demands else [],
            "late_entry": {
                "occurred_on": [min(days).isoformat(), max(days).isoformat()] if days else [],
                "reason": reason,
                "entered_at": timezone.localtime(now).isoformat(),
            },
        },
    )
    return demands


@transaction.atomic
def demand_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the demands an import created (its batch is being undone): one audit event.

    The ingest module calls this only while no later audit event touched them; a demand
    that raised a problem or took in a duplicate since has moved on and is kept.
    """
    demands = list(
        Demand.objects.select_for_update(of=("self",))
        .select_related("org", "handling_org")
        .filter(pk__in=ids)
    )
    for demand in demands:
        DEMAND.require(acting_user, demand)
    pks = [d.pk for d in demands]
    moved_on = (
        DemandStep.objects.filter(
            demand_id__in=pks, action__in=[DemandAction.RAISE_PROBLEM, DemandAction.ABSORB]
        ).exists()
        or Demand.objects.filter(merged_into_id__in=pks).exists()
    )
    if moved_on:
        raise ValidationError(
            _("Some imported demands have been worked on since; correct them one by one.")
        )
    with rows_changing(Demand, pks):
        DemandStep.objects.filter(demand_id__in=pks).delete()
        DemandRequester.objects.filter(demand_id__in=pks).delete()
        Demand.objects.filter(pk__in=pks).delete()
    audit_record(
        actor=acting_user,
        action="demand.import_undo",
        object_type=Demand._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(pks), "source": source},
    )
    return len(pks)
