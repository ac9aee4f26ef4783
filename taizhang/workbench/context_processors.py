"""The number of to-dos in the top bar: counted when a page shows it, kept a minute."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

CACHE_SECONDS = 60


def todo_count(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        from taizhang.workbench.selectors import todo_count as counted

        key = f"workbench:todo-count:{user.pk}"
        value = cache.get(key)
        if value is None:
            value = counted(viewer=user)
            cache.set(key, value, CACHE_SECONDS)
        return int(value)

    return {"todo_count": SimpleLazyObject(count)}
