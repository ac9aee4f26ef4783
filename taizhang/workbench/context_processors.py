"""The to-do count in the top bar is fetched by the page after it loads (htmx), so a page
spends no query on it; this only tells the page where to ask."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def todo_count(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not getattr(settings, "TAIZHANG_TODO_COUNT_IN_TOP_BAR", True):
        return {}
    return {"todo_count_url": reverse("workbench:count")}
