"""Reads for Open311: services are active demand categories, requests are demands.

Who sees which request:

* with a key (a service account's token): the demands its ``demands.view`` scope
  covers, through ``demands.permissions.DEMAND`` like any other reader;
* without one (the spec's public reads): only the demands that came in through Open311
  itself (channel ``online``, recorded by a service account), since their submitters
  posted them to a public interface. Demands recorded by staff are never public.

Requesters are never read here: no name, phone or e-mail leaves through Open311.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from taizhang.accounts.models import AccountKind, User
from taizhang.demands.models import (
    OPEN_STATES,
    Channel,
    Demand,
    DemandCategory,
    DemandState,
    DemandStep,
)
from taizhang.demands.permissions import DEMAND, VIEW

MAX_RESULTS = 1000  # the spec's cap on one answer
CLOSED_STATES = (DemandState.CLOSED, DemandState.MERGED)
NUMBER = re.compile(r"^SQ(\d{4})-(\d{1,12})$")


def active_categories() -> QuerySet[DemandCategory]:
    return DemandCategory.objects.filter(is_active=True).select_related("default_org")


def category_for_code(code: str) -> DemandCategory | None:
    """An active category by its code (or, for clients that keep numbers, its id)."""
    rows = active_categories()
    found = rows.filter(code=code).first()
    if found is None and code.isdigit():
        found = rows.filter(pk=int(code)).first()
    return found


def _known_at() -> Coalesce:
    # When a step became known: a late entry (补录) is news when it is entered.
    return Coalesce("entered_at", "occurred_at", output_field=DateTimeField())


def visible_demands(caller: User | None) -> QuerySet[Demand]:
    """The demands ``caller`` (a service account, or None for the public) may read,
    with ``updated``: when the record last changed (its latest known step)."""
    if caller is None:
        rows = Demand.objects.filter(channel=Channel.ONLINE, created_by__kind=AccountKind.SERVICE)
    else:
        rows = DEMAND.queryset(caller, VIEW)
    latest = (
        DemandStep.objects.filter(demand=OuterRef("pk"))
        .annotate(known=_known_at())
        .order_by("-known", "-pk")
        .values("known")[:1]
    )
    return rows.annotate(updated=Subquery(latest, output_field=DateTimeField())).select_related(
        "category", "org", "handling_org", "merged_into"
    )


def _number_q(numbers: Sequence[str]) -> Q:
    q = Q(pk__in=[])
    for number in numbers:
        match = NUMBER.match(number.strip())
        if match:
            q |= Q(pk=int(match.group(2)), received_on__year=int(match.group(1)))
    return q


def request_for_number(caller: User | None, number: str) -> Demand | None:
    """One request by its service_request_id (the demand number), or None whether it is
    missing or not the caller's to read."""
    return visible_demands(caller).filter(_number_q([number])).first()


def request_list(
    caller: User | None,
    *,
    numbers: Sequence[str] = (),
    codes: Sequence[str] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: Sequence[str] = (),
    updated_after: dt.datetime | None = None,
    updated_before: dt.datetime | None = None,
) -> list[Demand]:
    """Requests newest first, at most ``MAX_RESULTS``. ``numbers`` overrides every other
    filter (the spec); the caller has settled the date window."""
    rows = visible_demands(caller)
    if numbers:
        rows = rows.filter(_number_q(numbers))
        return list(rows.order_by("-received_at", "-pk")[:MAX_RESULTS])
    if codes:
        rows = rows.filter(category__code__in=list(codes))
    if start is not None:
        rows = rows.filter(received_at__gte=start)
    if end is not None:
        rows = rows.filter(received_at__lte=end)
    wanted = set(statuses)
    if wanted == {"open"}:
        rows = rows.filter(state__in=OPEN_STATES)
    elif wanted == {"closed"}:
        rows = rows.filter(state__in=CLOSED_STATES)
    if updated_after is not None:
        rows = rows.filter(Q(updated__gt=updated_after))
    if updated_before is not None:
        rows = rows.filter(Q(updated__lte=updated_before))
    return list(rows.order_by("-received_at", "-pk")[:MAX_RESULTS])


def request_updates(
    caller: User | None,
    *,
    demand: Demand | None = None,
    after: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> list[DemandStep]:
    """Status changes (the demands' steps) in the order they became known, of one
    request or of every request the caller may read, at most ``MAX_RESULTS``."""
    steps = DemandStep.objects.annotate(known=_known_at()).select_related(
        "demand", "demand__handling_org", "demand__merged_into"
    )
    if demand is not None:
        steps = steps.filter(demand=demand)
    else:
        steps = steps.filter(demand__in=visible_demands(caller).values("pk"))
    if after is not None:
        steps = steps.filter(known__gt=after)
    if before is not None:
        steps = steps.filter(known__lte=before)
    return list(steps.order_by("known", "pk")[:MAX_RESULTS])
