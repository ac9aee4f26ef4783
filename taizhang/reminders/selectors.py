"""Reads of the reminders module, each starting from the viewer."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.core.notify import RULES, Rule
from taizhang.reminders.models import (
    Delivery,
    DeliveryStatus,
    Message,
    ReminderRule,
    WebhookEndpoint,
)
from taizhang.reminders.permissions import DELIVERY, ENDPOINT
from taizhang.reminders.services import COUNT_SECONDS, rules_ensure, unread_cache_key


def message_list(*, viewer: Actor) -> QuerySet[Message]:
    """The viewer's own messages: unread first, newest first within each."""
    pk = getattr(viewer, "pk", None)
    if pk is None:
        return Message.objects.none()
    return (
        Message.objects.filter(recipient_id=pk)
        .annotate(
            read_order=Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("read_order", "-created_at", "-pk")
    )


def unread_count(*, viewer: Actor) -> int:
    """The number in the top bar, kept a minute per user (forgotten when the user reads
    or receives a message in this process)."""
    pk = getattr(viewer, "pk", None)
    if pk is None:
        return 0
    key = unread_cache_key(pk)
    count = cache.get(key)
    if count is None:
        count = Message.objects.filter(recipient_id=pk, read_at__isnull=True).count()
        cache.set(key, count, COUNT_SECONDS)
    return int(count)


def rule_rows() -> list[tuple[ReminderRule, Rule | None]]:
    """Every dictionary row with its declaration (None for a rule no module declares
    any more); rows of newly registered rules are created first."""
    rules_ensure()
    return [(row, RULES.get(row.code)) for row in ReminderRule.objects.order_by("code")]


def endpoint_list(*, viewer: Actor) -> QuerySet[WebhookEndpoint]:
    return ENDPOINT.queryset(viewer).select_related("org").order_by("org__path", "name", "pk")


def delivery_list(*, viewer: Actor, status: str = "") -> QuerySet[Delivery]:
    """Deliveries of the endpoints the viewer manages: failed first, then newest."""
    rows = DELIVERY.queryset(viewer).select_related("endpoint", "endpoint__org")
    if status in DeliveryStatus.values:
        rows = rows.filter(status=status)
    return rows.annotate(
        failed_first=Case(
            When(status=DeliveryStatus.FAILED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("failed_first", "-created_at", "-pk")


def delivery_failed_count(*, viewer: Actor) -> int:
    return DELIVERY.queryset(viewer).filter(status=DeliveryStatus.FAILED).count()


def todo_failed_deliveries(viewer: Actor) -> QuerySet[Delivery]:
    """Messages a chat-tool robot of the viewer's units refused after every retry, in the
    last fortnight (older ones are no longer worth sending), oldest first."""
    since = timezone.now() - dt.timedelta(days=14)
    return (
        DELIVERY.queryset(viewer)
        .filter(status=DeliveryStatus.FAILED, created_at__gte=since)
        .select_related("endpoint")
        .order_by("created_at", "pk")
    )
