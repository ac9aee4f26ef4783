"""Who may see and act on pairing records: the scope policies and the action rules.

Scope (ADR 0043): a pair is seen with ``pairing.view`` on its village *or* its helping
organization; a village figure (``IndicatorValue``) with ``pairing.view`` on the village,
and, across the tree, by the helping organization of a pair for the pair's years (one
named rule); a partnership with ``pairing.view`` on its organization.

Duties kept apart: recording a figure needs ``pairing.manage`` on the village (clerks,
secretaries, grid workers); confirming and correcting need ``pairing.confirm`` there
(clerks only, never grid workers). Whoever recorded a figure does not confirm it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.actors import Actor, is_system
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.pairing.models import AssistanceProject, IndicatorValue, Pair, Partnership

VIEW = "pairing.view"
MANAGE = "pairing.manage"
CONFIRM = "pairing.confirm"
ACTIONS = {"record", "confirm", "correct", "manage"}

NOTHING = Q(pk__in=[])

PAIR: ScopePolicy[Pair] = ScopePolicy(
    name="pairing.pair",
    model=Pair,
    view=VIEW,
    manage=MANAGE,
    org_fields=("village", "helper"),
)


def _helped_q(viewer: Actor, permission: str) -> Q:
    if permission != VIEW:
        return NOTHING
    pairs = PAIR.queryset(viewer, VIEW).filter(
        village=OuterRef("village"),
        starts_on__year__lte=OuterRef("year"),
        ends_on__year__gte=OuterRef("year"),
    )
    return Q(Exists(pairs))


def _helped_covers(viewer: Actor, obj: Any, permission: str) -> bool:
    if permission != VIEW:
        return False
    return (
        PAIR.queryset(viewer, VIEW)
        .filter(
            village_id=obj.village_id, starts_on__year__lte=obj.year, ends_on__year__gte=obj.year
        )
        .exists()
    )


HELPER_SEES_VILLAGE_FIGURES = CrossTreeRule(
    name="pairing.helper_sees_village_figures",
    description=gettext_lazy("Your organization helps this village in that year."),
    q=_helped_q,
    covers=_helped_covers,
)

VALUE: ScopePolicy[IndicatorValue] = ScopePolicy(
    name="pairing.indicator_value",
    model=IndicatorValue,
    view=VIEW,
    manage=MANAGE,
    org_fields=("village",),
    extra=(HELPER_SEES_VILLAGE_FIGURES,),
)
PARTNERSHIP: ScopePolicy[Partnership] = ScopePolicy(
    name="pairing.partnership",
    model=Partnership,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
# A pair's assistance projects are seen and kept where the pair is: on its village or
# its helping organization.
PROJECT: ScopePolicy[AssistanceProject] = ScopePolicy(
    name="pairing.assistance_project",
    model=AssistanceProject,
    view=VIEW,
    manage=MANAGE,
    org_fields=("pair__village", "pair__helper"),
)
POLICIES = (PAIR, VALUE, PARTNERSHIP, PROJECT)


def holds_on(viewer: Actor | None, permission: str, org: Organization | None) -> bool:
    """Whether ``viewer`` holds ``permission`` on ``org`` itself (a village about to get a
    figure, a pair, a partnership)."""
    return org is not None and ORGANIZATION.covers(viewer, org, permission)


def recorded_it(viewer: Actor | None, value: IndicatorValue) -> bool:
    """Whether ``viewer`` recorded the current draft of ``value`` (so may not confirm it)."""
    if viewer is None or is_system(viewer) or viewer.pk is None:
        return False
    return value.recorded_by_id is not None and value.recorded_by_id == viewer.pk


def self_confirm_message() -> str:
    return _("You recorded this value; another person must confirm it.")


def can(viewer: Actor | None, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj``.

    ``record`` (a value for a pair's village), ``confirm`` and ``correct`` (a value, or a
    pair: any of its village's values) act on the village; ``manage`` (a partnership) on
    its organization. Recording needs ``pairing.manage``, confirming and correcting
    ``pairing.confirm``, on that organization. A locked (confirmed) value is never
    recorded over, only corrected; a draft is never confirmed by whoever recorded it.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not viewer.is_authenticated:
        return False
    if action == "manage":
        return PARTNERSHIP.can_manage(viewer, obj)
    if isinstance(obj, IndicatorValue):
        if action == "record":
            return not obj.is_locked and VALUE.can_manage(viewer, obj)
        if action == "confirm":
            return (
                not obj.is_locked
                and not recorded_it(viewer, obj)
                and VALUE.covers(viewer, obj, CONFIRM)
            )
        return obj.is_locked and VALUE.covers(viewer, obj, CONFIRM)
    village = getattr(obj, "village", obj)
    return holds_on(viewer, MANAGE if action == "record" else CONFIRM, village)
