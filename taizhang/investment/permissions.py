"""The scope policies of investment attraction and the rules for actions on its records.

Leads, events, competitions and subsidy payments are each booked on one organization
(``org``): seen there with ``investment.view``, recorded or changed with
``investment.manage``. A competition's teams, a lead's stage moves and an event's
signings are read through their competition, lead or event; they have no policy of
their own. None of the models keeps who recorded a row, so an own-records grant shows
nothing here. Turning a lead into a key project also needs the project ledger's manage
on the lead's organization (``taizhang.projects.permissions.POLICY``).
"""

from __future__ import annotations

from typing import Any

from taizhang.core.actors import Actor
from taizhang.investment.models import Competition, Event, Lead, Subsidy
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import ScopePolicy
from taizhang.projects.permissions import POLICY as PROJECTS

VIEW = "investment.view"
MANAGE = "investment.manage"
# The subsidy-policy dictionary is district-wide, not booked on an organization.
CONFIGURE = "investment.configure"
ACTIONS = {"edit", "advance", "lose", "convert", "follow_up", "add_subsidy", "add_event"}

LEAD: ScopePolicy[Lead] = ScopePolicy(
    name="investment.lead", model=Lead, view=VIEW, manage=MANAGE, org_fields=("org",)
)
EVENT: ScopePolicy[Event] = ScopePolicy(
    name="investment.event", model=Event, view=VIEW, manage=MANAGE, org_fields=("org",)
)
COMPETITION: ScopePolicy[Competition] = ScopePolicy(
    name="investment.competition",
    model=Competition,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
SUBSIDY: ScopePolicy[Subsidy] = ScopePolicy(
    name="investment.subsidy", model=Subsidy, view=VIEW, manage=MANAGE, org_fields=("org",)
)
POLICY = LEAD
POLICIES: tuple[ScopePolicy[Any], ...] = (LEAD, EVENT, COMPETITION, SUBSIDY)
_BY_MODEL: dict[type[Any], ScopePolicy[Any]] = {policy.model: policy for policy in POLICIES}


def policy_for(obj: Any) -> ScopePolicy[Any]:
    return _BY_MODEL[type(obj)]


def can(viewer: Actor | None, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj``: a lead, event, competition or
    subsidy (manage on its organization), or an organization to add a row on."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if isinstance(obj, Organization):
        policy = SUBSIDY if action == "add_subsidy" else EVENT if action == "add_event" else LEAD
        return policy.scope(viewer, MANAGE).covers(obj)
    allowed = policy_for(obj).can_manage(viewer, obj)
    if action == "convert":
        return allowed and PROJECTS.scope(viewer, PROJECTS.manage).covers(obj.org)
    return allowed
