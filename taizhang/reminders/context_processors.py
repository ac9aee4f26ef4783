"""Tells ``base.html`` where to fetch the unread-message count: the page asks after it
loads (htmx), like the to-do count, so no page spends a query on it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def unread_count(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not getattr(settings, "TAIZHANG_UNREAD_COUNT_IN_TOP_BAR", True):
        return {}
    return {"unread_count_url": reverse("reminders:count")}
