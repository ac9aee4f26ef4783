"""Who may see and move a demand: the scope policies and the action rules.

``DEMAND`` is the data scope of the ledger (ADR 0043): a demand is seen with
``demands.view`` on the receiving organization **or** on the handling organization (the
unit answering it sees what it must answer); an own-records grant adds the demands the
user took (``created_by``). ``DELEGATED_SERVICE`` and ``ROUTING_RULE`` are the scope of
the configuration booked on organizations (seen with ``demands.view`` there, set with
``demands.configure``). The category dictionary is not booked on an organization.

Actions:

* ``assign`` (and reassign): ``demands.manage`` on the receiving organization or on the
  current handling organization (it may pass a demand on, with a reason);
* ``start``, ``reply``: ``demands.manage`` on the handling organization;
* ``merge``: ``demands.manage`` on the receiving organization;
* ``follow_up`` (回访, which concludes the demand): ``demands.follow_up`` on the
  receiving organization, a function of its own so that a grid worker, who records
  demands, does not also sign them off;
* ``raise_problem``: ``problems.manage`` on the handling (or receiving) organization;
* ``reveal``: ``people.view_personal`` on the receiving organization, or, across that
  rule (``TAKER_REVEALS``), the user who took the demand and may follow it up: she
  calls the requester back. Every reveal is audited, a refused one too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from taizhang.core.actors import Actor
from taizhang.demands.models import DelegatedService, Demand, DemandState, RoutingRule
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy

VIEW = "demands.view"
MANAGE = "demands.manage"
FOLLOW_UP = "demands.follow_up"
CONFIGURE = "demands.configure"
VIEW_PERSONAL = "people.view_personal"

DEMAND: ScopePolicy[Demand] = ScopePolicy(
    name="demands.demand",
    model=Demand,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org", "handling_org"),
    owner_field="created_by",
)
DELEGATED_SERVICE: ScopePolicy[DelegatedService] = ScopePolicy(
    name="demands.delegated_service",
    model=DelegatedService,
    view=VIEW,
    manage=CONFIGURE,
    org_fields=("org",),
)
ROUTING_RULE: ScopePolicy[RoutingRule] = ScopePolicy(
    name="demands.routing_rule",
    model=RoutingRule,
    view=VIEW,
    manage=CONFIGURE,
    org_fields=("area",),
)


def _takes_follow_up(viewer: Any, demand: Demand) -> bool:
    return (
        demand.created_by_id is not None
        and demand.created_by_id == getattr(viewer, "pk", None)
        and DEMAND.scope(viewer, FOLLOW_UP).covers(demand.org)
    )


def _taker_q(viewer: Any, permission: str) -> Q:
    scope = DEMAND.scope(viewer, FOLLOW_UP)
    if getattr(viewer, "pk", None) is None or scope.is_empty:
        return Q(pk__in=[])
    return Q(created_by_id=viewer.pk) & scope.records_q(org_field="org")


TAKER_REVEALS = CrossTreeRule(
    name="demands.taker_reveals",
    description="You took this demand and follow it up: you may call the requester back.",
    q=_taker_q,
    covers=lambda viewer, demand, permission: _takes_follow_up(viewer, demand),
)
# Who may see requesters' unmasked contact data: not a ledger of its own (not
# registered), the rule ``reveal`` asks.
CONTACT: ScopePolicy[Demand] = ScopePolicy(
    name="demands.requester_contact",
    model=Demand,
    view=VIEW_PERSONAL,
    manage=VIEW_PERSONAL,
    org_fields=("org",),
    extra=(TAKER_REVEALS,),
)


def reveal_basis(viewer: Actor | None, demand: Demand) -> str:
    """Why ``viewer`` may see the requesters' contact data: ``"personal_data"`` (the
    general right), ``"taker"`` (she took the demand and follows it up) or ``""``."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return ""
    if DEMAND.scope(viewer, VIEW_PERSONAL).covers(demand.org):
        return "personal_data"
    if CONTACT.covers(viewer, demand) and DEMAND.covers(viewer, demand):
        return "taker"
    return ""


def can(viewer: Actor | None, action: str, demand: Demand) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    scope = DEMAND.scope(viewer, MANAGE)
    handling = demand.handling_org
    if action == "assign":
        return scope.covers(demand.org) or (handling is not None and scope.covers(handling))
    if action in {"start", "reply"}:
        return handling is not None and scope.covers(handling)
    if action == "merge":
        return scope.covers(demand.org)
    if action == "follow_up":
        return DEMAND.scope(viewer, FOLLOW_UP).covers(demand.org)
    if action == "raise_problem":
        return DEMAND.scope(viewer, "problems.manage").covers(handling or demand.org)
    if action == "reveal":
        return bool(reveal_basis(viewer, demand))
    return False


def available_actions(viewer: Actor, demand: Demand) -> set[str]:
    by_state = {
        DemandState.RECEIVED: {"assign", "merge", "raise_problem"},
        DemandState.ASSIGNED: {"assign", "start", "merge", "raise_problem"},
        DemandState.HANDLING: {"assign", "reply", "raise_problem"},
        DemandState.REPLIED: {"follow_up", "raise_problem"},
        DemandState.CLOSED: {"raise_problem"},
        DemandState.MERGED: set(),
    }
    return {a for a in by_state[DemandState(demand.state)] if can(viewer, a, demand)}
