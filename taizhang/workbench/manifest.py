"""The workbench shows the to-dos on the home page; the kinds come from each module."""

from __future__ import annotations

from typing import Any

from taizhang.core.registry import register_slot


def _home_panel(viewer: Any, _obj: Any) -> dict[str, Any] | None:
    from taizhang.workbench.selectors import kinds_for, todo_groups

    if not kinds_for(viewer):
        return None
    return {"groups": todo_groups(viewer=viewer, limit=5)}


# First on the home page, above what the viewer is responsible for: what to do today.
register_slot("core.home.first", "workbench/_home.html", _home_panel, order=10)
