from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from taizhang.core.registry import NAV_ITEMS


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        {"label": item.label, "url": reverse(item.url_name), "active": False}
        for item in NAV_ITEMS
        if user.has_function(item.permission)
    ]
    # The longest matching prefix is the current item: /statistics/briefings/ is
    # 工作简报, not also 统计看板 at /statistics/.
    matching = [entry for entry in items if request.path.startswith(entry["url"])]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["active"] = True
    return {"nav_items": items}
