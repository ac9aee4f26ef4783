"""Rules for actions on investment records the viewer can already see."""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for

MANAGE = "investment.manage"
ACTIONS = {"edit", "advance", "lose", "convert", "add_subsidy", "add_event"}


def can(viewer: Any, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj`` (a lead, event or organization)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not viewer.is_authenticated:
        return False
    org = getattr(obj, "org", obj)
    allowed = scope_for(viewer, MANAGE).covers(org)
    if action == "convert":
        return allowed and scope_for(viewer, "projects.manage").covers(org)
    return allowed
