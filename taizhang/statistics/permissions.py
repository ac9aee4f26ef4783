"""Scope policies of statistics: indicators, their targets and actuals, briefings.

* ``INDICATOR``: booked on its owner, the organization that set it. Managed
  (created, reworded) with ``statistics.manage`` on the owner. Read with
  ``statistics.view`` on the owner, or, through the cross-tree rule ``set above``, by a
  viewer whose scope lies below the owner: a district's indicator concerns the
  subdistrict that is ranked on it. The rule widens reads only, never writes.
* ``INDICATOR_TARGET``: booked on the ranked unit (read where the unit is seen) but
  managed from the indicator's owner: a target is the owner's decision, so a ranked
  unit can never set its own (issue 19).
* ``INDICATOR_ENTRY``: a manual actual, booked on the ranked unit and entered there
  (its own figure, with evidence), so managed on the unit.
* ``COMPOSITE``: a composite score (综合考评, ADR 0059), booked on its owner like an
  indicator and read below it through the same ``set above`` rule; its weights are
  set only with ``statistics.manage`` on the owner, so a ranked unit cannot set its own.
* ``BRIEFING``: booked on its organization; generated with ``statistics.brief`` there.
* ``BRIEFING_STYLE``: an organization's briefing look, edited with ``statistics.brief``.

Stored monthly figures have no policy of their own: they are read through each
metric's function (``figures.metric_scope``), the module's one special read.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.http import HttpRequest

from taizhang.core.actors import Actor
from taizhang.organizations.models import SEGMENT_WIDTH, Organization
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.organizations.scope import Scope
from taizhang.statistics.models import (
    Briefing,
    BriefingStyle,
    Composite,
    Indicator,
    IndicatorEntry,
    IndicatorTarget,
)

VIEW = "statistics.view"
MANAGE = "statistics.manage"
BRIEF = "statistics.brief"

M = TypeVar("M", bound=models.Model)


def _above(scope: Scope) -> set[str]:
    """The paths strictly above the tops of the scope: a few paths, never one per
    organization in scope."""
    tops = list(scope.subtree_paths)
    if scope.org_ids:
        tops += Organization.objects.filter(pk__in=scope.org_ids).values_list("path", flat=True)
    return {
        path[:length] for path in tops for length in range(SEGMENT_WIDTH, len(path), SEGMENT_WIDTH)
    }


def _set_above_q(viewer: Actor, permission: str) -> Q:
    if permission != VIEW:
        return Q(pk__in=[])
    scope = INDICATOR.scope(viewer, VIEW)
    if scope.is_empty:
        return Q(pk__in=[])
    return Q(owner__path__in=_above(scope))


def _set_above_covers(viewer: Actor, obj: Any, permission: str) -> bool:
    if permission != VIEW:
        return False
    scope = INDICATOR.scope(viewer, VIEW)
    return not scope.is_empty and obj.owner.path in _above(scope)


SET_ABOVE = CrossTreeRule(
    name="statistics.indicator_set_above",
    description="an indicator set above your organization, on which it is ranked",
    q=_set_above_q,
    covers=_set_above_covers,
)


INDICATOR: ScopePolicy[Indicator] = ScopePolicy(
    name="statistics.indicator",
    model=Indicator,
    view=VIEW,
    manage=MANAGE,
    org_fields=("owner",),
    extra=(SET_ABOVE,),
)


COMPOSITE: ScopePolicy[Composite] = ScopePolicy(
    name="statistics.composite",
    model=Composite,
    view=VIEW,
    manage=MANAGE,
    org_fields=("owner",),
    extra=(SET_ABOVE,),
)


INDICATOR_TARGET: ScopePolicy[IndicatorTarget] = ScopePolicy(
    name="statistics.indicator_target",
    model=IndicatorTarget,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
    manage_fields=("indicator__owner",),
)

INDICATOR_ENTRY: ScopePolicy[IndicatorEntry] = ScopePolicy(
    name="statistics.indicator_entry",
    model=IndicatorEntry,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)

BRIEFING_STYLE: ScopePolicy[BriefingStyle] = ScopePolicy(
    name="statistics.briefing_style",
    model=BriefingStyle,
    view=BRIEF,
    manage=BRIEF,
    org_fields=("org",),
)

BRIEFING: ScopePolicy[Briefing] = ScopePolicy(
    name="statistics.briefing",
    model=Briefing,
    view=VIEW,
    manage=BRIEF,
    org_fields=("org",),
)


def viewer_of(request: HttpRequest) -> Actor:
    """Who acts in a request of the pages and the API (signed in: ``@requires`` ran)."""
    return request.user  # type: ignore[return-value]


def can_set_targets(viewer: Actor | None, indicator: Indicator) -> bool:
    """Targets are set by a manager of the organization that set the indicator."""
    return INDICATOR.can_manage(viewer, indicator)


def can_enter_actual(viewer: Actor | None, indicator: Indicator, unit: Organization) -> bool:
    """A manual actual is entered by a manager of the ranked unit (or above it)."""
    return (
        indicator.source == "manual"
        and unit.path.startswith(indicator.owner.path)
        and INDICATOR_ENTRY.covers(viewer, IndicatorEntry(indicator=indicator, org=unit), MANAGE)
    )


def can(viewer: Actor | None, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may ``action`` (view, manage, set_target) ``obj``."""
    if isinstance(obj, Indicator):
        if action == "set_target":
            return can_set_targets(viewer, obj)
        return INDICATOR.covers(viewer, obj, MANAGE if action == "manage" else VIEW)
    policies: dict[type[Any], ScopePolicy[Any]] = {
        IndicatorTarget: INDICATOR_TARGET,
        IndicatorEntry: INDICATOR_ENTRY,
        Briefing: BRIEFING,
        BriefingStyle: BRIEFING_STYLE,
    }
    policy = policies.get(type(obj))
    if policy is None:
        return False
    return policy.covers(viewer, obj, policy.manage if action == "manage" else policy.view)
