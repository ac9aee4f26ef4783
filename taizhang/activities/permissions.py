"""Who may act on activities, campaigns and volunteer records (reads: the selectors).

* record, edit, take attendance of an activity: ``activities.manage`` on its holding org;
* set up a campaign and its teams: ``activities.manage`` on the campaign's org;
* raise a problem from a 调研 visit: ``problems.manage`` on the holding org;
* extend the kind and venue dictionaries: ``activities.configure``.
"""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for

MANAGE = "activities.manage"


def can(viewer: Any, action: str, obj: Any) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if action in {"edit", "attendance", "manage"}:
        return scope_for(viewer, MANAGE).covers(obj.org)
    if action == "raise_problem":
        return bool(getattr(obj, "is_survey", False)) and scope_for(
            viewer, "problems.manage"
        ).covers(obj.org)
    if action == "configure":
        return bool(viewer.has_function("activities.configure"))
    return False
