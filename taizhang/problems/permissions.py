"""Who may move a problem: rules for actions only (reads are the selectors' business).

* ``edit``, ``start``, ``submit``: ``problems.manage`` on the owning organization or on
  the lead unit (the unit doing the work records its progress);
* ``verify``, ``send_back``: ``problems.verify`` on the lead unit, by a user linked to a
  person who is not the responsible person (no one signs off their own work);
* ``reopen``: ``problems.verify`` on the lead unit.

State rules (e.g. only a problem awaiting sign-off can be verified) are the services'
business; ``can`` answers only "is this user allowed to", so the UI can hide buttons.
"""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for
from taizhang.problems.models import Problem, ProblemState

MANAGE = "problems.manage"
VERIFY = "problems.verify"


def can_manage_org(viewer: Any, org: Any) -> bool:
    return viewer is not None and scope_for(viewer, MANAGE).covers(org)


def can(viewer: Any, action: str, problem: Problem) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if action in {"edit", "start", "submit"}:
        scope = scope_for(viewer, MANAGE)
        return scope.covers(problem.org) or scope.covers(problem.lead_unit)
    if action in {"verify", "send_back"}:
        if not scope_for(viewer, VERIFY).covers(problem.lead_unit):
            return False
        person_id = getattr(viewer, "person_id", None)
        return person_id is not None and person_id != problem.responsible_id
    if action == "reopen":
        return scope_for(viewer, VERIFY).covers(problem.lead_unit)
    return False


def available_actions(viewer: Any, problem: Problem) -> set[str]:
    """The lifecycle actions this viewer may take on the problem in its current state."""
    by_state = {
        ProblemState.OPEN: {"edit", "start"},
        ProblemState.IN_PROGRESS: {"edit", "submit"},
        ProblemState.PENDING: {"verify", "send_back"},
        ProblemState.CLOSED: {"reopen"},
    }
    return {
        action for action in by_state[ProblemState(problem.state)] if can(viewer, action, problem)
    }
