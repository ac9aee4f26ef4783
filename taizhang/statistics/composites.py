"""Composite scores (综合考评, 争先晋位; ADR 0059): the writes and reads.

A ``Composite`` is set by an organization (its owner) for one year; its members are
indicators with weights in per cent that sum to 100. A unit's composite score is
Σ weight × its score on each member, where the member's score comes from the
indicator's own ranking (``selectors.ranking``: completion, or the actual against the
best unit) as ``indicators.indicator_scores`` states it.

Only a manager of the owner sets a composite up or changes its weights (the
``COMPOSITE`` policy), as only the owner sets an indicator's targets: a ranked unit
cannot raise its own score by weighting the indicator it does best on. Each write is
atomic and recorded as one audit event; nothing here is counted by a metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.core.audit import audit_record
from taizhang.core.versions import require_version
from taizhang.organizations.models import SEGMENT_WIDTH, Organization
from taizhang.statistics.indicators import CompositeStanding, composite_rank
from taizhang.statistics.models import Composite, CompositeMember, Indicator
from taizhang.statistics.periods import Period
from taizhang.statistics.permissions import COMPOSITE, INDICATOR

HUNDRED = Decimal(100)


# --- writes --------------------------------------------------------------------------


@transaction.atomic
def composite_create(
    *,
    acting_user: Actor,
    owner: Organization,
    name: str,
    year: int,
    description: str = "",
) -> Composite:
    """Set up a composite for ``owner``'s units (``statistics.manage`` on ``owner``)."""
    COMPOSITE.require_org(acting_user, owner)
    composite = Composite(owner=owner, name=name.strip(), year=year, description=description)
    if not composite.name:
        raise ValidationError({"name": _("Give the composite score a name.")})
    if Composite.objects.filter(owner=owner, name=composite.name, year=year).exists():
        raise ValidationError({"name": _("A composite score of this name is set for that year.")})
    composite.full_clean()
    composite.save()
    audit_record(
        actor=acting_user,
        action="statistics.composite_create",
        obj=composite,
        changes={
            "owner": [None, owner.pk],
            "name": [None, composite.name],
            "year": [None, year],
        },
    )
    return composite


def member_indicators(composite: Composite) -> QuerySet[Indicator]:
    """The indicators a composite may weigh: active ones set by its owner or above it
    (the units below the owner are ranked on them)."""
    return (
        Indicator.objects.filter(is_active=True, owner__path__in=_ancestor_paths(composite.owner))
        .select_related("owner")
        .order_by("owner__path", "name", "pk")
    )


def _ancestor_paths(org: Organization) -> list[str]:
    """The paths of ``org`` and of the organizations above it."""
    return [org.path[:n] for n in range(SEGMENT_WIDTH, len(org.path) + 1, SEGMENT_WIDTH)]


def _weight(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("A weight is a number.")) from None
    if not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("A weight is greater than zero, with two decimals at most."))
    return number


@transaction.atomic
def composite_weights_set(
    *,
    acting_user: Actor,
    composite: Composite,
    weights: Mapping[Indicator, Any],
    version: int | None = None,
) -> Composite:
    """Replace the members of ``composite``: indicator → weight in per cent. Two members
    at least, weights summing to exactly 100, each indicator set by the owner or above
    it. Only a manager of the owner does this (never a ranked unit alone)."""
    composite = (
        Composite.objects.select_for_update(of=("self",))
        .select_related("owner")
        .get(pk=composite.pk)
    )
    COMPOSITE.require(acting_user, composite)
    require_version(composite, version)
    clean = {indicator: _weight(value) for indicator, value in weights.items()}
    if len(clean) < 2:
        raise ValidationError(_("A composite score weighs two indicators at least."))
    allowed = set(member_indicators(composite).values_list("pk", flat=True))
    outside = [i.name for i in clean if i.pk not in allowed]
    if outside:
        raise ValidationError(
            _("%(names)s is not an indicator set by %(owner)s or above it.")
            % {"names": "、".join(outside), "owner": composite.owner.name}
        )
    total = sum(clean.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            _("The weights sum to %(total)s%%; they must sum to 100%%.")
            % {"total": f"{total.normalize():f}"}
        )
    before = {
        m.indicator.name: str(m.weight) for m in composite.members.select_related("indicator")
    }
    composite.members.all().delete()
    CompositeMember.objects.bulk_create(
        CompositeMember(composite=composite, indicator=indicator, weight=weight, order=order)
        for order, (indicator, weight) in enumerate(clean.items(), start=1)
    )
    after = {indicator.name: str(weight) for indicator, weight in clean.items()}
    audit_record(
        actor=acting_user,
        action="statistics.composite_weights_set",
        obj=composite,
        changes={"weights": [before or None, after]},
    )
    return composite


# --- reads ---------------------------------------------------------------------------


def composites_for(viewer: Actor) -> QuerySet[Composite]:
    """Composites set by an organization the viewer sees, or above one they see."""
    return COMPOSITE.queryset(viewer, base=Composite.objects.select_related("owner"))


def get_composite_for_viewer(viewer: Actor, pk: Any) -> Composite:
    """One composite of ``composites_for``; the same 404 when missing or hidden."""
    return COMPOSITE.get(viewer, pk, base=Composite.objects.select_related("owner"))


def members_of(composite: Composite) -> list[CompositeMember]:
    return list(composite.members.select_related("indicator__owner").order_by("order", "pk"))


def composite_ranking(
    viewer: Actor, composite: Composite, parent: Organization
) -> tuple[list[CompositeMember], list[CompositeStanding]]:
    """The units below ``parent`` the viewer may see, ranked on ``composite`` for its
    year: each member's ranking as the indicator page shows it, then Σ weight × score.
    A member indicator the viewer cannot read (withdrawn since) is left out."""
    from taizhang.statistics.selectors import ranking

    period = Period.year(composite.year)
    members = [
        m
        for m in members_of(composite)
        if m.indicator.is_active and INDICATOR.covers(viewer, m.indicator)
    ]
    rows = composite_rank(
        [
            (
                m.indicator_id,
                m.weight,
                m.indicator.direction,
                ranking(viewer, m.indicator, parent, period),
            )
            for m in members
        ]
    )
    return members, rows
