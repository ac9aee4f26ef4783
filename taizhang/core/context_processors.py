from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from taizhang.core.registry import NAV_ITEMS


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for item in NAV_ITEMS:
        if not user.has_function(item.permission):  # type: ignore[union-attr]
            continue
        url = reverse(item.url_name)
        items.append({"label": item.label, "url": url, "active": request.path.startswith(url)})
    return {"nav_items": items}
