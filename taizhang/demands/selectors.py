"""Reads of demands, always through the scope policies (``permissions.DEMAND`` and the
configuration's ``DELEGATED_SERVICE`` / ``ROUTING_RULE``).

A viewer sees a demand when ``demands.view`` covers the receiving organization or the
handling organization (or, with an own-records grant, when she took it). Filters only
narrow; sort keys come from a fixed mapping.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone

from taizhang.core.actors import SYSTEM, Actor
from taizhang.core.calendar import WorkCalendar
from taizhang.demands.models import (
    OPEN_STATES,
    DelegatedService,
    Demand,
    DemandCategory,
    DemandRequester,
    DemandState,
    DemandStep,
    RoutingRule,
    Satisfaction,
)
from taizhang.demands.permissions import (
    CONFIGURE,
    DELEGATED_SERVICE,
    DEMAND,
    FOLLOW_UP,
    MANAGE,
    ROUTING_RULE,
    VIEW,
    reveal_basis,
)
from taizhang.organizations.filters import NO_FILTER, LedgerFilter, subtree_q
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.permissions import ORGANIZATION

SORTS: dict[str, tuple[str, ...]] = {
    "received": ("received_at", "pk"),
    "-received": ("-received_at", "-pk"),
    "due": ("due_on", "pk"),
    "org": ("org__path", "-received_at", "pk"),
}
DEFAULT_SORT = "-received"


def overdue_q(today: dt.date | None = None) -> Q:
    """Open and not replied by the due day."""
    return Q(
        state__in=OPEN_STATES, replied_at__isnull=True, due_on__lt=today or timezone.localdate()
    )


def mine_q(viewer: Actor) -> Q:
    """What "mine" (与我相关) means for demands: the viewer recorded it."""
    return Q(created_by_id=viewer.pk) if viewer.pk is not None else Q(pk__in=[])


def demand_list(
    *,
    viewer: Actor,
    state: str = "",
    channel: str = "",
    category: int | str | None = None,
    subtree_of: Organization | None = None,
    overdue: bool = False,
    to_handle: bool = False,
    enterprise_only: bool = False,
    q: str = "",
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Demand]:
    """Demands in scope, narrowed by the filters, in a fixed sort order.

    ``ledger`` (the shared list filters): organization on the receiving or the handling
    organization, dates on the day received, "mine" as ``mine_q``."""
    qs = ledger.narrow(
        DEMAND.queryset(viewer),
        org_fields=DEMAND.org_fields,
        date_field="received_on",
        mine_q=mine_q(viewer),
    )
    if state in DemandState.values:
        qs = qs.filter(state=state)
    elif state == "active":
        qs = qs.filter(state__in=OPEN_STATES)
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        try:
            qs = qs.filter(category_id=int(category))
        except (TypeError, ValueError):
            qs = qs.none()
    if subtree_of is not None:
        qs = qs.filter(subtree_q(subtree_of, DEMAND.org_fields))
    if overdue:
        qs = qs.filter(overdue_q())
    if to_handle:
        qs = qs.filter(
            DEMAND.scope(viewer, MANAGE).records_q(org_field="handling_org"),
            state__in=(DemandState.ASSIGNED, DemandState.HANDLING),
        )
    if enterprise_only:
        qs = qs.filter(enterprise__isnull=False)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(content__icontains=q))
    return _with_relations(qs).order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def _with_relations(qs: QuerySet[Demand]) -> QuerySet[Demand]:
    return qs.select_related("org", "handling_org", "category", "location").prefetch_related(
        Prefetch("requesters", queryset=DemandRequester.objects.order_by("-is_primary", "pk"))
    )


def get_demand_for_viewer(viewer: Actor, pk: Any) -> Demand:
    """The demand, or the same 404 whether it is missing or out of scope."""
    base = _with_relations(Demand.objects.select_related("merged_into"))
    return DEMAND.get(viewer, pk, base=base)


def demand_steps(demand: Demand) -> QuerySet[DemandStep]:
    return demand.steps.order_by("occurred_at", "pk")


def can_view_personal(viewer: Actor, demand: Demand) -> bool:
    """Whether the viewer may reveal the requesters' contact data (``reveal_basis``)."""
    return bool(reveal_basis(viewer, demand))


def demand_counts(*, viewer: Actor, **filters: Any) -> dict[str, int]:
    """Per state, plus ``overdue`` and ``total``, in one query."""
    rows = (
        demand_list(viewer=viewer, **filters)
        .order_by()
        .aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=overdue_q()),
            **{state: Count("pk", filter=Q(state=state)) for state in DemandState.values},
        )
    )
    return {key: value or 0 for key, value in rows.items()}


def _average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def demand_timings(
    *, viewer: Actor, by: str = "category", year: int | None = None
) -> list[dict[str, Any]]:
    """Time to reply and to close, in working days, per category or handling organization.

    One query for the rows (and one per year for the calendar's overrides); working days
    are counted in Python by ``core.calendar``, not in SQL.
    """
    qs = DEMAND.queryset(viewer).exclude(state=DemandState.MERGED)
    if year:
        qs = qs.filter(received_on__year=year)
    key_field = "category__name" if by == "category" else "handling_org__short_name"
    rows = qs.values_list(
        key_field, "received_on", "replied_at", "closed_on", "due_on", "state", "satisfaction"
    )
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "count": 0,
            "reply": [],
            "close": [],
            "late": 0,
            "open": 0,
            "satisfied": 0,
            "followed": 0,
        }
    )
    today = timezone.localdate()
    calendar = WorkCalendar()
    for key, received, replied_at, closed_on, due_on, state, satisfaction in rows:
        group = groups[key or "—"]
        group["count"] += 1
        if replied_at is not None:
            replied = timezone.localtime(replied_at).date()
            group["reply"].append(calendar.workdays_between(received, replied))
            if replied > due_on:
                group["late"] += 1
        elif due_on < today:
            group["late"] += 1
        if closed_on is not None:
            group["close"].append(calendar.workdays_between(received, closed_on))
        if state in OPEN_STATES:
            group["open"] += 1
        if satisfaction and state == DemandState.CLOSED:
            group["followed"] += 1
            if satisfaction == Satisfaction.SATISFIED:
                group["satisfied"] += 1
    return [
        {
            "key": key,
            "count": g["count"],
            "open": g["open"],
            "late": g["late"],
            "avg_reply": _average(g["reply"]),
            "avg_close": _average(g["close"]),
            "satisfaction_rate": round(100 * g["satisfied"] / g["followed"])
            if g["followed"]
            else None,
        }
        for key, g in sorted(groups.items(), key=lambda item: -item[1]["count"])
    ]


def service_figures(*, viewer: Actor, year: int) -> dict[str, int]:
    """ "服务企业N家、协助解决诉求M个" for a year, in the viewer's scope."""
    qs = DEMAND.queryset(viewer).filter(received_on__year=year).exclude(state=DemandState.MERGED)
    figures = qs.aggregate(
        enterprises=Count("enterprise", distinct=True),
        enterprise_demands=Count("pk", filter=Q(enterprise__isnull=False)),
        resolved_for_enterprises=Count(
            "pk", filter=Q(enterprise__isnull=False, state=DemandState.CLOSED)
        ),
        received=Count("pk"),
        resolved=Count("pk", filter=Q(state=DemandState.CLOSED)),
    )
    return {key: value or 0 for key, value in figures.items()}


def first_demand_per_enterprise_and_year() -> QuerySet[Demand]:
    """One row per (enterprise, year): that enterprise's first demand of the year.

    Counting these rows over a period within a year counts distinct enterprises served.
    """
    firsts = (
        Demand.objects.filter(enterprise__isnull=False)
        .exclude(state=DemandState.MERGED)
        .annotate(year=ExtractYear("received_on"))
        .values("enterprise", "year")
        .annotate(first=Min("pk"))
        .values("first")
    )
    return Demand.objects.filter(pk__in=firsts)


def delegated_service_rows(*, viewer: Actor) -> QuerySet[DelegatedService]:
    """Delegated services seen with ``demands.view`` or set with ``demands.configure``:
    the list is public knowledge inside the district, and its keeper reads what he keeps."""
    return DelegatedService.objects.filter(
        DELEGATED_SERVICE.q(viewer) | DELEGATED_SERVICE.q(viewer, CONFIGURE)
    )


def configure_org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Where the administrator may route demands or book delegated services."""
    return ROUTING_RULE.org_choices(viewer).exclude(kind__in=(OrgKind.BRANCH, OrgKind.BUILDING))


def delegated_services(*, viewer: Actor) -> dict[Organization, list[DelegatedService]]:
    """Services each subdistrict in scope now handles, grouped by subdistrict."""
    grouped: dict[Organization, list[DelegatedService]] = defaultdict(list)
    rows = delegated_service_rows(viewer=viewer).select_related("org", "category")
    for service in rows.order_by("org__path", "delegated_on", "name"):
        grouped[service.org].append(service)
    return dict(grouped)


def categories_with_rules(*, viewer: Actor, include_inactive: bool = False) -> list[DemandCategory]:
    """The category dictionary, each with the routing rules on areas the viewer sees
    (with ``demands.view``, or ``demands.configure`` for the administrator)."""
    rules = RoutingRule.objects.filter(ROUTING_RULE.q(viewer) | ROUTING_RULE.q(viewer, CONFIGURE))
    categories = DemandCategory.objects.all()
    if not include_inactive:
        categories = categories.filter(is_active=True)
    return list(
        categories.select_related("default_org").prefetch_related(
            Prefetch(
                "rules",
                queryset=rules.select_related("area", "handling_org").order_by("area__path"),
                to_attr="visible_rules",
            )
        )
    )


def intake_org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Where a user may record demands: units in the manage scope, grids included."""
    return DEMAND.org_choices(viewer, MANAGE).exclude(kind__in=(OrgKind.BRANCH, OrgKind.BUILDING))


def place_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Where a demand may have arisen: places the viewer sees demands of."""
    return DEMAND.org_choices(viewer, VIEW).exclude(kind__in=(OrgKind.BRANCH, OrgKind.BUILDING))


def handling_org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Organizations a demand may be assigned to: units the viewer can see, not branches."""
    return DEMAND.org_choices(viewer, VIEW).exclude(
        kind__in=(OrgKind.BRANCH, OrgKind.BUILDING, OrgKind.GENERAL_BRANCH)
    )


def enterprise_choices(*, viewer: Actor) -> QuerySet[Organization]:
    return DEMAND.org_choices(viewer, VIEW).filter(kind=OrgKind.ENTERPRISE)


def pick(choices: QuerySet[Organization], pk: Any, *, field: str) -> Organization:
    """An organization named by id in a payload, from a choice set: the same
    ``ValidationError`` (API: 422) whether it does not exist or is not offered."""
    return ORGANIZATION.resolve(SYSTEM, pk, field=field, base=choices)


# --- to-dos (the workbench reads these through ``manifest.py``) ----------------------

# How many working days ahead a time limit puts a demand passed on to another unit on
# the receiving unit's list (催办).
NEAR_LIMIT_WORKDAYS = 2
WITH_HANDLER = (DemandState.ASSIGNED, DemandState.HANDLING)


def todo_to_assign(*, viewer: Actor) -> QuerySet[Demand]:
    """分派: demands received (受理) by a unit the viewer manages (``demands.manage`` on
    the receiving organization) and not yet assigned to a handling unit. The nearest
    time limit first."""
    return (
        DEMAND.queryset(viewer, MANAGE)
        .filter(DEMAND.scope(viewer, MANAGE).records_q(org_field="org"))
        .filter(state=DemandState.RECEIVED)
        .order_by("due_on", "received_at", "pk")
    )


def todo_to_handle(*, viewer: Actor) -> QuerySet[Demand]:
    """办理、答复: demands assigned to a handling unit the viewer manages and not yet
    replied to (assigned, being handled, or reopened after an unsatisfied follow-up),
    the most urgent time limit first: overdue ones, then those due soonest. The demands
    near their limit that the viewer answers herself are these, at the top."""
    return (
        DEMAND.queryset(viewer, MANAGE)
        .filter(DEMAND.scope(viewer, MANAGE).records_q(org_field="handling_org"))
        .filter(state__in=WITH_HANDLER)
        .order_by("due_on", "received_at", "pk")
    )


def todo_to_follow_up(*, viewer: Actor) -> QuerySet[Demand]:
    """回访: replied demands received by a unit where the viewer holds
    ``demands.follow_up``, waiting for the call to the requester. Those replied longest
    ago first."""
    return (
        DEMAND.queryset(viewer, FOLLOW_UP)
        .filter(DEMAND.scope(viewer, FOLLOW_UP).records_q(org_field="org"))
        .filter(state=DemandState.REPLIED)
        .order_by("replied_at", "pk")
    )


def near_limit_day(today: dt.date | None = None) -> dt.date:
    """The last due day that counts as near: ``NEAR_LIMIT_WORKDAYS`` working days after
    today (holidays and 调休 through ``core.calendar``; one query for the overrides)."""
    return WorkCalendar().add_workdays(today or timezone.localdate(), NEAR_LIMIT_WORKDAYS)


def todo_near_limit(*, viewer: Actor, today: dt.date | None = None) -> QuerySet[Demand]:
    """催办: demands a unit the viewer manages received and passed on to a handling unit
    she does not manage, not yet replied to, whose time limit is within
    ``NEAR_LIMIT_WORKDAYS`` working days or has passed. The receiving unit answers for
    the demand: it chases the handler, or reassigns it. Demands the viewer assigns or
    answers herself are on ``todo_to_assign`` / ``todo_to_handle`` (most urgent first),
    not here a second time. Most overdue first, with the handling unit."""
    manage = DEMAND.scope(viewer, MANAGE)
    if manage.unrestricted:  # the system actor manages every handling unit
        return Demand.objects.none()
    return (
        DEMAND.queryset(viewer, MANAGE)
        .filter(manage.records_q(org_field="org"))
        .exclude(manage.records_q(org_field="handling_org"))
        .filter(
            state__in=WITH_HANDLER,
            replied_at__isnull=True,
            due_on__lte=near_limit_day(today),
        )
        .select_related("handling_org")
        .order_by("due_on", "received_at", "pk")
    )
