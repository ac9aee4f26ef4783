"""Reads of the hotline adapter, each starting from the viewer's scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.hotline.models import HotlineEndpoint, Push, PushStatus
from taizhang.hotline.permissions import ENDPOINT, PUSH


def endpoint_list(*, viewer: Actor) -> QuerySet[HotlineEndpoint]:
    return (
        ENDPOINT.queryset(viewer)
        .select_related("org", "account", "default_category")
        .order_by("org__path", "name", "pk")
    )


def push_list(*, viewer: Actor, status: str = "") -> QuerySet[Push]:
    """Pushes of the endpoints the viewer manages: failed first, then newest."""
    rows = PUSH.queryset(viewer).select_related(
        "order", "order__endpoint", "order__endpoint__org", "order__demand"
    )
    if status in PushStatus.values:
        rows = rows.filter(status=status)
    return rows.annotate(
        failed_first=Case(
            When(status=PushStatus.FAILED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("failed_first", "-created_at", "-pk")


def push_failed_count(*, viewer: Actor) -> int:
    return PUSH.queryset(viewer).filter(status=PushStatus.FAILED).count()


def todo_failed_pushes(viewer: Actor) -> QuerySet[Push]:
    """State changes the platform did not take after every attempt, in the last 30 days,
    oldest first: the platform still waits for them."""
    since = timezone.now() - dt.timedelta(days=30)
    return (
        PUSH.queryset(viewer)
        .filter(status=PushStatus.FAILED, created_at__gte=since)
        .select_related("order")
        .order_by("created_at", "pk")
    )
