"""Who may see and move a problem: the scope policy and the action rules.

``POLICY`` is the data scope of the ledger (ADR 0043): a problem is seen with
``problems.view`` on its owning organization **or** on its lead unit, so a district
bureau a subdistrict names as lead unit sees (and works) that item and nothing else of
the subdistrict's; an own-records grant adds the problems the user put on the ledger
(``created_by``). Every layer reads and writes through it.

Actions:

* ``edit``, ``start``, ``submit``: ``problems.manage`` on the owning organization or on
  the lead unit (the unit doing the work records its progress);
* ``verify``, ``send_back``: ``problems.verify`` on the lead unit, by a user linked to a
  person who is not the responsible person (no one signs off their own work);
* ``verify`` (销号) besides: not by the user who put the problem on the ledger nor by the
  one who submitted its evidence, unless the problem's kind allows it
  (``ProblemKind.self_close_allowed``; duties kept apart);
* ``reopen``: ``problems.verify`` on the lead unit.

State rules (e.g. only a problem awaiting sign-off can be verified) are the services'
business; ``can`` answers only "is this user allowed to", so the UI can hide buttons.
"""

from __future__ import annotations

from taizhang.core.actors import Actor, is_system
from taizhang.organizations.policy import ScopePolicy
from taizhang.problems.models import (
    Instruction,
    Problem,
    ProblemState,
    ResearchTopic,
    StepAction,
)

VIEW = "problems.view"
MANAGE = "problems.manage"
VERIFY = "problems.verify"

POLICY: ScopePolicy[Problem] = ScopePolicy(
    name="problems.problem",
    model=Problem,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org", "lead_unit"),
    owner_field="created_by",
)

# 领导交办: an instruction is seen and handled by its handling unit (and above, as the
# tree gives); recording one there needs ``problems.manage`` on it too.
INSTRUCTION_POLICY: ScopePolicy[Instruction] = ScopePolicy(
    name="problems.instruction",
    model=Instruction,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)

# 调研课题: a research topic is seen and worked by the unit doing it (and above).
RESEARCH_POLICY: ScopePolicy[ResearchTopic] = ScopePolicy(
    name="problems.research_topic",
    model=ResearchTopic,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)


def submitter_id(problem: Problem) -> int | None:
    """The user who submitted the evidence now awaiting sign-off (the last submit step)."""
    return (
        problem.steps.filter(action=StepAction.SUBMIT)
        .order_by("-occurred_at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )


def own_work(viewer: Actor, problem: Problem) -> str:
    """Why closing out would be the viewer's own work: ``"raised"`` (she put it on the
    ledger), ``"submitted"`` (she submitted its evidence), or ``""``. The kind may allow
    it; the system actor is nobody's own work."""
    if is_system(viewer) or viewer.pk is None or problem.kind.self_close_allowed:
        return ""
    if problem.created_by_id == viewer.pk:
        return "raised"
    if submitter_id(problem) == viewer.pk:
        return "submitted"
    return ""


def verifies_lead_unit(viewer: Actor, problem: Problem) -> bool:
    return POLICY.scope(viewer, VERIFY).covers(problem.lead_unit)


def can(viewer: Actor | None, action: str, problem: Problem) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if action in {"edit", "start", "submit"}:
        return POLICY.covers(viewer, problem, MANAGE)
    if action in {"verify", "send_back"}:
        if not verifies_lead_unit(viewer, problem):
            return False
        person_id = getattr(viewer, "person_id", None)
        if person_id is None or person_id == problem.responsible_id:
            return False
        return action != "verify" or not own_work(viewer, problem)
    if action == "reopen":
        return verifies_lead_unit(viewer, problem)
    return False


def available_actions(viewer: Actor, problem: Problem) -> set[str]:
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
