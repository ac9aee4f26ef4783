"""Writes of the hotline adapter: endpoints (audited), work orders received through
``demands.services.demand_create``, and the pushes back of each state change.

The demands module does not know this one. Its services report the demand rows they
change (``core.changes``); :func:`on_rows_changing` is the listener: for a demand that
came from the hotline it compares the state before and after and records one
:class:`~taizhang.hotline.models.Push` per event in the writing transaction (an outbox:
the change and its push commit together), sent by the background task after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, require_actor
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.versions import lock_at_version
from taizhang.core.webhooks import WebhookError, mask_url, post_json
from taizhang.demands.models import (
    Channel,
    Demand,
    DemandCategory,
    DemandState,
    DemandStep,
    RequesterKind,
)
from taizhang.demands.permissions import DEMAND, MANAGE
from taizhang.demands.services import RequesterIn, demand_create
from taizhang.hotline.models import (
    CategoryMapping,
    HotlineEndpoint,
    Push,
    PushAttempt,
    PushEvent,
    PushStatus,
    WorkOrder,
)
from taizhang.hotline.permissions import ENDPOINT, PUSH
from taizhang.hotline.signing import EVENT_ID, signed_headers
from taizhang.organizations.models import Organization

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st … 4th failed attempt; the 5th failure is final and shows
# on the pushes page and as the administrator's to-do.
BACKOFF_MINUTES = (1, 5, 30, 120)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
KEY_MIN_LENGTH = 16
ANONYMOUS_NAME = "匿名"  # data: a requester the platform did not name
TITLE_LENGTH = 60
BATCH = 500


# --- endpoints ---------------------------------------------------------------------

ENDPOINT_FIELDS = (
    "org",
    "code",
    "name",
    "account",
    "shared_key",
    "push_url",
    "default_category",
    "active",
)


def _masked(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The trail records that the key changed, never its value; the URL masked."""
    if "shared_key" in changes:
        changes["shared_key"] = ["***" if v else v for v in changes["shared_key"]]
    if "push_url" in changes:
        changes["push_url"] = [mask_url(v) if v else v for v in changes["push_url"]]
    return changes


def _check(endpoint: HotlineEndpoint) -> None:
    account = endpoint.account
    if not account.is_service or not account.is_active:
        raise ValidationError({"account": _("Choose an active service account.")})
    if not DEMAND.scope(account, MANAGE).covers(endpoint.org):
        raise ValidationError(
            {"account": _("This service account may not record demands of this organization.")}
        )
    if len(endpoint.shared_key) < KEY_MIN_LENGTH:
        raise ValidationError({"shared_key": _("A shared key has at least 16 characters.")})
    endpoint.full_clean()


def _mapping_snapshot(endpoint: HotlineEndpoint) -> dict[str, str]:
    return dict(endpoint.mappings.values_list("platform_code", "category__code"))


def _set_mapping(endpoint: HotlineEndpoint, mapping: dict[str, DemandCategory]) -> None:
    endpoint.mappings.all().delete()
    CategoryMapping.objects.bulk_create(
        CategoryMapping(endpoint=endpoint, platform_code=code.strip(), category=category)
        for code, category in sorted(mapping.items())
    )


def generate_key() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def hotline_endpoint_create(
    *,
    org: Organization,
    code: str,
    name: str,
    account: Any,
    push_url: str,
    default_category: DemandCategory,
    shared_key: str = "",
    active: bool = True,
    mapping: dict[str, DemandCategory] | None = None,
    acting_user: Actor,
) -> HotlineEndpoint:
    """Connect an organization to the platform. Without a ``shared_key`` one is made
    (read it once from ``endpoint.shared_key`` to give it to the platform)."""
    require_actor(acting_user)
    ENDPOINT.require_org(acting_user, org)
    endpoint = HotlineEndpoint(
        org=org,
        code=code.strip(),
        name=name.strip(),
        account=account,
        shared_key=shared_key.strip() or generate_key(),
        push_url=push_url.strip(),
        default_category=default_category,
        active=active,
    )
    _check(endpoint)
    endpoint.save()
    _set_mapping(endpoint, mapping or {})
    changes = diff({}, snapshot(endpoint, ENDPOINT_FIELDS))
    changes["mapping"] = [None, _mapping_snapshot(endpoint)]
    audit_record(
        actor=acting_user, action="hotline_endpoint.create", obj=endpoint, changes=_masked(changes)
    )
    return endpoint


@transaction.atomic
def hotline_endpoint_update(
    *,
    endpoint: HotlineEndpoint,
    acting_user: Actor,
    new_key: bool = False,
    mapping: dict[str, DemandCategory] | None = None,
    version: int | None = None,
    **fields: Any,
) -> HotlineEndpoint:
    """Change an endpoint. An empty ``shared_key`` keeps the stored one (it is never shown
    again); ``new_key`` makes a fresh one; ``mapping`` replaces the mapping table.
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    require_actor(acting_user)
    ENDPOINT.require(acting_user, endpoint)
    lock_at_version(endpoint, version)
    if "org" in fields:
        ENDPOINT.require_org(acting_user, fields["org"])
    if not fields.get("shared_key"):
        fields.pop("shared_key", None)
    if new_key:
        fields["shared_key"] = generate_key()
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    mapping_before = _mapping_snapshot(endpoint)
    for name, value in fields.items():
        if name not in ENDPOINT_FIELDS:
            raise TypeError(f"Not editable here: {name}")
        setattr(endpoint, name, value.strip() if isinstance(value, str) else value)
    _check(endpoint)
    endpoint.save()
    changes = diff(before, snapshot(endpoint, ENDPOINT_FIELDS))
    if mapping is not None:
        _set_mapping(endpoint, mapping)
        mapping_after = _mapping_snapshot(endpoint)
        if mapping_after != mapping_before:
            changes["mapping"] = [mapping_before, mapping_after]
    audit_record(
        actor=acting_user, action="hotline_endpoint.update", obj=endpoint, changes=_masked(changes)
    )
    return endpoint


# --- work orders in -------------------------------------------------------------------


@dataclass(frozen=True)
class WorkOrderIn:
    """A work order as the platform sent it, validated (``views.WorkOrderForm``)."""

    order_no: str
    content: str
    title: str = ""
    category_code: str = ""
    requester_name: str = ""
    requester_phone: str = ""
    address: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    area_code: str = ""


def category_for(endpoint: HotlineEndpoint, code: str) -> DemandCategory:
    """The mapping table's category for the platform's code, else the demand category
    of that code, else the endpoint's default (inactive categories are skipped)."""
    code = (code or "").strip()
    if code:
        mapped = (
            CategoryMapping.objects.filter(
                endpoint=endpoint, platform_code=code, category__is_active=True
            )
            .select_related("category")
            .first()
        )
        if mapped is not None:
            return mapped.category
        same = DemandCategory.objects.filter(code=code, is_active=True).first()
        if same is not None:
            return same
    return endpoint.default_category


def _location(endpoint: HotlineEndpoint, area_code: str) -> Organization:
    """Where the matter arose: an organization of the endpoint's subtree, by its code."""
    if not area_code.strip():
        return endpoint.org
    low, high = endpoint.org.subtree_bounds
    place = Organization.objects.filter(
        code=area_code.strip(), path__gte=low, path__lt=high, is_active=True
    ).first()
    if place is None:
        raise ValidationError(
            {"area_code": _("This area is not part of the receiving organization.")}
        )
    return place


def order_for(endpoint: HotlineEndpoint, order_no: str) -> WorkOrder | None:
    return (
        WorkOrder.objects.filter(endpoint=endpoint, order_no=order_no)
        .select_related("demand")
        .first()
    )


def _title(order: WorkOrderIn) -> str:
    if order.title.strip():
        return order.title.strip()[:200]
    first = order.content.strip().splitlines()[0].strip() if order.content.strip() else ""
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


@transaction.atomic
def _receive(*, endpoint: HotlineEndpoint, order: WorkOrderIn, acting_user: Any) -> WorkOrder:
    category = category_for(endpoint, order.category_code)
    demand = demand_create(
        org=endpoint.org,
        channel=Channel.HOTLINE,
        category=category,
        title=_title(order),
        content=order.content,
        requesters=[
            RequesterIn(
                kind=RequesterKind.PERSON,
                name=order.requester_name.strip() or ANONYMOUS_NAME,
                mobile=order.requester_phone.strip(),
            )
        ],
        location=_location(endpoint, order.area_code),
        lat=order.lat,
        long=order.long,
        address_string=order.address,
        acting_user=acting_user,
    )
    received = WorkOrder.objects.create(
        endpoint=endpoint,
        order_no=order.order_no,
        platform_category=order.category_code.strip()[:40],
        demand=demand,
    )
    audit_record(
        actor=acting_user,
        action="hotline_order.receive",
        obj=received,
        changes={
            "endpoint": [None, endpoint.code],
            "order_no": [None, order.order_no],
            "platform_category": [None, received.platform_category],
            "category": [None, category.code],
            "demand": [None, demand.number],
        },
    )
    return received


def work_order_receive(
    *, endpoint: HotlineEndpoint, order: WorkOrderIn, acting_user: Actor
) -> tuple[WorkOrder, bool]:
    """Record a work order as a demand of the endpoint's organization, recorded by the
    endpoint's service account; answer it and whether it was new. The same order number
    again answers the order already received and writes nothing."""
    require_actor(acting_user)
    if not endpoint.active or getattr(acting_user, "pk", None) != endpoint.account_id:
        raise PermissionDenied
    known = order_for(endpoint, order.order_no)
    if known is not None:
        return known, False
    try:
        return _receive(endpoint=endpoint, order=order, acting_user=acting_user), True
    except IntegrityError:
        # The same order posted twice at once: the other request recorded it.
        known = order_for(endpoint, order.order_no)
        if known is None:
            raise
        return known, False


# --- state changes out: the change listener -----------------------------------------


def _nothing() -> None:
    return None


def _watched(pks: Iterable[Any]) -> dict[int, tuple[int, str, int | None]]:
    """Of the demands ``pks``, those from the hotline: order, state, handling unit."""
    found: dict[int, tuple[int, str, int | None]] = {}
    ordered = sorted(int(pk) for pk in pks)
    for start in range(0, len(ordered), BATCH):
        rows = WorkOrder.objects.filter(demand_id__in=ordered[start : start + BATCH]).values_list(
            "demand_id", "pk", "demand__state", "demand__handling_org_id"
        )
        for demand_id, order_id, state, handling_id in rows:
            found[demand_id] = (order_id, state, handling_id)
    return found


def _events(
    state: str, handling_id: int | None, demand: Demand
) -> list[tuple[str, dict[str, Any]]]:
    """The platform's events in a move from ``state`` to the demand's present state."""
    after = demand.state
    if after == DemandState.ASSIGNED:
        if state == after and handling_id == demand.handling_org_id:
            return []
        return [(PushEvent.ASSIGNED, {})]
    if after == state:
        return []
    if after == DemandState.HANDLING and state == DemandState.REPLIED:
        return [(PushEvent.SATISFACTION, {"satisfaction": demand.satisfaction, "reopened": True})]
    if after == DemandState.HANDLING:
        return [(PushEvent.HANDLING, {})]
    if after == DemandState.REPLIED:
        return [(PushEvent.REPLIED, {"reply": demand.reply_text})]
    if after == DemandState.CLOSED:
        return [
            (PushEvent.SATISFACTION, {"satisfaction": demand.satisfaction, "reopened": False}),
            (PushEvent.CLOSED, {}),
        ]
    if after == DemandState.MERGED and demand.merged_into is not None:
        return [(PushEvent.CLOSED, {"merged_into": demand.merged_into.number})]
    return []


def _record_pushes(before: dict[int, tuple[int, str, int | None]]) -> list[int]:
    made: list[int] = []
    demands = Demand.objects.filter(pk__in=list(before)).select_related(
        "handling_org", "merged_into", "hotline_order"
    )
    for demand in demands:
        order_id, state, handling_id = before[demand.pk]
        events = _events(state, handling_id, demand)
        if not events:
            continue
        order = demand.hotline_order
        last_step = DemandStep.objects.filter(demand=demand).aggregate(last=Max("pk"))["last"]
        for event, extra in events:
            seq = Push.objects.filter(order_id=order_id, event=event).count() + 1
            payload = {
                "event_id": f"{order.order_no}:{event}:{seq}",
                "event": str(event),
                "order_no": order.order_no,
                "demand_number": demand.number,
                "state": demand.state,
                "handling_unit": demand.handling_org.name if demand.handling_org else None,
                **extra,
            }
            push = Push.objects.create(
                order_id=order_id,
                event=event,
                seq=seq,
                payload=payload,
                after_step=last_step or 0,
                next_attempt_at=timezone.now(),
            )
            made.append(push.pk)
    return made


def on_rows_changing(model: type[models.Model], pks: frozenset[Any]) -> Callable[[], None]:
    """The change listener (``core.changes``): remember the state of the hotline's
    demands among ``pks``; once written, record a push per event and send them after
    the commit."""
    if model is not Demand or not pks:
        return _nothing
    before = _watched(pks)
    if not before:
        return _nothing

    def finish() -> None:
        ids = _record_pushes(before)
        if ids:
            transaction.on_commit(lambda: enqueue_pushes(ids))

    return finish


# --- state changes out: sending -------------------------------------------------------


def enqueue_pushes(ids: list[int], *, run_after: dt.datetime | None = None) -> None:
    """Hand pushes to the background worker; if that fails, the dispatch timer
    (``taizhang hotline dispatch``) sends them: the change is never undone."""
    from taizhang.hotline.tasks import send_pushes

    try:
        if run_after is None:
            send_pushes.enqueue(ids)
        elif send_pushes.get_backend().supports_defer:
            send_pushes.using(run_after=run_after).enqueue(ids)
        # A backend that cannot defer (tests run tasks at once): the timer retries.
    except Exception:  # the change is committed; the timer retries
        logger.exception("Could not queue hotline pushes %s", ids)


def _moment(push: Push) -> dt.datetime:
    """The real moment of the change: the demand step written right after the push."""
    step = (
        DemandStep.objects.filter(demand_id=push.order.demand_id, pk__gt=push.after_step)
        .order_by("pk")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return step or push.created_at


def body_of(push: Push) -> bytes:
    """The bytes sent, the same on every attempt (the receiver may compare them)."""
    return json.dumps(push.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


def push_attempt(push: Push, *, now: dt.datetime | None = None) -> Push:
    """Send one pending push once and record the attempt. Runs outside any transaction
    (a slow platform holds no lock); claiming by the attempt count keeps two workers
    from sending it twice at once."""
    now = now or timezone.now()
    claimed = Push.objects.filter(
        pk=push.pk, status=PushStatus.PENDING, attempts=push.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        push.refresh_from_db()
        return push
    attempts = push.attempts + 1
    endpoint = push.order.endpoint
    if push.occurred_at is None:
        push.occurred_at = _moment(push)
        push.payload = {
            **push.payload,
            "occurred_at": timezone.localtime(push.occurred_at).isoformat(timespec="seconds"),
        }
        Push.objects.filter(pk=push.pk).update(occurred_at=push.occurred_at, payload=push.payload)
    body = body_of(push)
    headers = {**signed_headers(endpoint.code, endpoint.shared_key, body), EVENT_ID: push.event_id}
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        answer = post_json(endpoint.push_url, body, headers=headers)
        status = answer.status
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except WebhookError as failure:
        status, error = failure.status, str(failure)[:500]
    PushAttempt.objects.create(
        push=push,
        number=push.attempt_log.count() + 1,
        at=now,
        status_code=status,
        ok=not error,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    fields: dict[str, Any]
    if not error:
        fields = {
            "status": PushStatus.SENT,
            "next_attempt_at": None,
            "sent_at": now,
            "last_error": "",
        }
    else:
        final = attempts >= MAX_ATTEMPTS
        retry_at = None if final else now + dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
        fields = {
            "status": PushStatus.FAILED if final else PushStatus.PENDING,
            "next_attempt_at": retry_at,
            "last_error": error,
        }
    Push.objects.filter(pk=push.pk).update(**fields)
    push.refresh_from_db()
    if push.status == PushStatus.PENDING and push.next_attempt_at is not None:
        enqueue_pushes([push.pk], run_after=push.next_attempt_at)
    return push


def pushes_send(ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Attempt the given pushes that are pending and due; answer how many went out."""
    now = now or timezone.now()
    sent = 0
    due = (
        Push.objects.filter(
            pk__in=list(ids),
            status=PushStatus.PENDING,
            next_attempt_at__lte=now,
            order__endpoint__active=True,
        )
        .select_related("order", "order__endpoint")
        .order_by("order_id", "pk")
    )
    for push in due:
        if push_attempt(push, now=now).status == PushStatus.SENT:
            sent += 1
    return sent


def pushes_dispatch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Attempt every pending push whose time has come (the timer, every minute or five).
    Pushes of an inactive endpoint wait until it is active again."""
    now = now or timezone.now()
    due = list(
        Push.objects.filter(
            status=PushStatus.PENDING, next_attempt_at__lte=now, order__endpoint__active=True
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = pushes_send(due, now=now)
    return {"attempted": len(due), "sent": sent}


@transaction.atomic
def push_retry(*, push: Push, acting_user: Actor) -> Push:
    """Give a failed push a fresh round of attempts, starting after the commit."""
    require_actor(acting_user)
    PUSH.require(acting_user, push)
    if push.status != PushStatus.FAILED:
        raise ValidationError(_("Only a failed push can be sent again."))
    before = snapshot(push, ("status", "attempts"))
    push.status = PushStatus.PENDING
    push.attempts = 0
    push.next_attempt_at = timezone.now()
    push.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(
        actor=acting_user,
        action="hotline_push.retry",
        obj=push,
        changes={
            **diff(before, snapshot(push, ("status", "attempts"))),
            "event": [None, push.event_id],
        },
    )
    pk = push.pk
    transaction.on_commit(lambda: enqueue_pushes([pk]))
    return push
