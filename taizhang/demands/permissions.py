"""Who may move a demand (reads are the selectors' business).

* ``assign`` (and reassign): ``demands.manage`` on the receiving organization or on the
  current handling organization (it may pass a demand on, with a reason);
* ``start``, ``reply``: ``demands.manage`` on the handling organization;
* ``follow_up``, ``merge``: ``demands.manage`` on the receiving organization;
* ``raise_problem``: ``problems.manage`` on the handling (or receiving) organization;
* ``reveal``: ``people.view_personal`` on the receiving organization.
"""

from __future__ import annotations

from typing import Any

from taizhang.demands.models import Demand, DemandState
from taizhang.organizations.scope import scope_for

MANAGE = "demands.manage"


def can(viewer: Any, action: str, demand: Demand) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    scope = scope_for(viewer, MANAGE)
    handling = demand.handling_org
    if action == "assign":
        return scope.covers(demand.org) or (handling is not None and scope.covers(handling))
    if action in {"start", "reply"}:
        return handling is not None and scope.covers(handling)
    if action in {"follow_up", "merge"}:
        return scope.covers(demand.org)
    if action == "raise_problem":
        return scope_for(viewer, "problems.manage").covers(handling or demand.org)
    if action == "reveal":
        return scope_for(viewer, "people.view_personal").covers(demand.org)
    return False


def available_actions(viewer: Any, demand: Demand) -> set[str]:
    by_state = {
        DemandState.RECEIVED: {"assign", "merge", "raise_problem"},
        DemandState.ASSIGNED: {"assign", "start", "merge", "raise_problem"},
        DemandState.HANDLING: {"assign", "reply", "raise_problem"},
        DemandState.REPLIED: {"follow_up", "raise_problem"},
        DemandState.CLOSED: {"raise_problem"},
        DemandState.MERGED: set(),
    }
    return {a for a in by_state[DemandState(demand.state)] if can(viewer, a, demand)}
