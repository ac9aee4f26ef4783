"""Rules for actions on pairing records the viewer can already see."""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for

MANAGE = "pairing.manage"
CONFIRM = "pairing.confirm"
ACTIONS = {"record", "confirm", "correct", "manage"}


def can(viewer: Any, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj``.

    ``record`` (a value for a pair's village), ``confirm`` and ``correct`` (a value) act on
    the village; ``manage`` (a partnership) on its organization. Recording needs
    ``pairing.manage``, confirming and correcting ``pairing.confirm``, on that organization.
    A locked (confirmed) value is never recorded over, only corrected.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not viewer.is_authenticated:
        return False
    if action == "manage":
        return scope_for(viewer, MANAGE).covers(obj.org)
    village = getattr(obj, "village", obj)
    if action == "record":
        return scope_for(viewer, MANAGE).covers(village)
    locked = getattr(obj, "is_locked", False)
    if action == "confirm" and locked:
        return False
    if action == "correct" and not locked:
        return False
    return scope_for(viewer, CONFIRM).covers(village)
