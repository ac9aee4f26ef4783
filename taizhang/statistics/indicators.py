"""Indicators (指标任务): targets per organization and period, actuals from a metric or
entered with evidence, and the ranking of units (争先晋位) with a minimum-case rule.

Services check the actor's ``statistics.manage`` scope and record one audit event each;
selectors read within the viewer's ``statistics.view`` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.registry import METRICS
from taizhang.organizations.models import SEGMENT_WIDTH, Organization
from taizhang.organizations.scope import scope_for
from taizhang.statistics import figures, selectors
from taizhang.statistics.models import (
    Direction,
    Indicator,
    IndicatorEntry,
    IndicatorSource,
    IndicatorTarget,
)
from taizhang.statistics.periods import Period

VIEW = "statistics.view"
MANAGE = "statistics.manage"
INDICATOR_FIELDS = ["name", "unit", "direction", "source", "metric", "min_cases", "description"]
# Fixed once the indicator is set (with ``owner``, which no update takes).
FIXED_FIELDS = ("source", "metric")


def _may_manage(actor: Any, org: Organization) -> None:
    require(actor is not None and scope_for(actor, MANAGE).covers(org))


def _clean(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(fields.get("name", "")).strip():
        errors["name"] = _("Give the indicator a name.")
    if fields.get("source") == IndicatorSource.METRIC:
        if fields.get("metric") not in METRICS:
            errors["metric"] = _("Choose the metric the indicator is computed from.")
    elif fields.get("source") == IndicatorSource.MANUAL:
        fields["metric"] = ""
    else:
        errors["source"] = _("Choose where the actual values come from.")
    if fields.get("direction") not in Direction.values:
        errors["direction"] = _("Choose whether higher or lower is better.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def indicator_create(*, actor: Any, owner: Organization, **fields: Any) -> Indicator:
    _may_manage(actor, owner)
    _clean(fields)
    indicator = Indicator(owner=owner, **fields)
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=actor,
        action="statistics.indicator_create",
        obj=indicator,
        changes={
            name: [None, getattr(indicator, name)] for name in ["owner_id", *INDICATOR_FIELDS]
        },
    )
    return indicator


@transaction.atomic
def indicator_update(*, actor: Any, indicator: Indicator, **fields: Any) -> Indicator:
    """Reword an indicator or change its ranking rule. What it measures (source and
    metric) stays as set: targets and actuals were given for it."""
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    _may_manage(actor, indicator.owner)
    fixed = {
        name: _("What an indicator measures cannot change once it is set; set a new one.")
        for name in FIXED_FIELDS
        if name in fields and fields[name] != getattr(indicator, name)
    }
    if fixed:
        raise ValidationError(fixed)
    merged = {name: fields.get(name, getattr(indicator, name)) for name in INDICATOR_FIELDS}
    _clean(merged)
    before = snapshot(indicator, INDICATOR_FIELDS)
    for name, value in merged.items():
        setattr(indicator, name, value)
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=actor,
        action="statistics.indicator_update",
        obj=indicator,
        changes=diff(before, snapshot(indicator, INDICATOR_FIELDS)),
    )
    return indicator


def _within_owner(indicator: Indicator, org: Organization) -> None:
    if not org.path.startswith(indicator.owner.path):
        raise ValidationError(
            {
                "org": _("%(org)s is not below %(owner)s, which set this indicator.")
                % {"org": org.name, "owner": indicator.owner.name}
            }
        )


@transaction.atomic
def target_set(
    *, actor: Any, indicator: Indicator, org: Organization, period: Period, target: Decimal
) -> IndicatorTarget:
    """Set (or change) the target of ``org`` for ``period``."""
    _may_manage(actor, org)
    _within_owner(indicator, org)
    if target is None or Decimal(target) < 0:
        raise ValidationError({"target": _("A target is a number of zero or more.")})
    row, created = IndicatorTarget.objects.select_for_update().get_or_create(
        indicator=indicator,
        org=org,
        period_start=period.start,
        period_end=period.end,
        defaults={"target": target, "set_by": actor},
    )
    old = None if created else row.target
    if not created:
        row.target = target
        row.set_by = actor
        row.save()
    audit_record(
        actor=actor,
        action="statistics.target_set",
        obj=row,
        changes={"target": [None if old is None else str(old), str(target)]},
    )
    return row


@transaction.atomic
def actual_enter(
    *,
    actor: Any,
    indicator: Indicator,
    org: Organization,
    period: Period,
    value: Decimal,
    cases: int,
    evidence: str,
    attachment: Any = None,
) -> IndicatorEntry:
    """Enter the actual value of a manual indicator, with the evidence it rests on."""
    _may_manage(actor, org)
    _within_owner(indicator, org)
    if indicator.source != IndicatorSource.MANUAL:
        raise ValidationError(_("This indicator is computed from the records; nothing to enter."))
    errors = {}
    if value is None or Decimal(value) < 0:
        errors["value"] = _("An actual value is a number of zero or more.")
    if not (evidence or "").strip():
        errors["evidence"] = _("Say what the value rests on: the evidence is required.")
    if cases is None or cases < 0:
        errors["cases"] = _("The number of cases is zero or more.")
    if errors:
        raise ValidationError(errors)
    row = (
        IndicatorEntry.objects.select_for_update()
        .filter(indicator=indicator, org=org, period_start=period.start, period_end=period.end)
        .first()
    )
    before = None if row is None else [str(row.value), row.cases, row.evidence, row.attachment.name]
    if row is None:
        row = IndicatorEntry(
            indicator=indicator, org=org, period_start=period.start, period_end=period.end
        )
    row.value, row.cases, row.evidence, row.entered_by = value, cases, evidence.strip(), actor
    if attachment:
        row.attachment = attachment
    row.save()
    audit_record(
        actor=actor,
        action="statistics.actual_enter",
        obj=row,
        changes={
            "value": [before and before[0], str(value)],
            "cases": [before and before[1], cases],
            "evidence": [before and before[2], row.evidence],
            **({"attachment": [before and before[3], row.attachment.name]} if attachment else {}),
        },
    )
    return row


# --- reads ---------------------------------------------------------------------------


def indicators_for(viewer: Any) -> QuerySet[Indicator]:
    """Indicators set by an organization the viewer sees, or above one they see: a
    district's indicator concerns the subdistrict clerk who is ranked on it."""
    scope = scope_for(viewer, VIEW)
    if scope.is_empty:
        return Indicator.objects.none()
    # The tops of the scope and their ancestors (a few paths), plus everything inside it
    # (one range per subtree): never one path per organization in scope.
    tops = list(scope.subtree_paths)
    if scope.org_ids:
        tops += Organization.objects.filter(pk__in=scope.org_ids).values_list("path", flat=True)
    above = {
        path[:length] for path in tops for length in range(SEGMENT_WIDTH, len(path), SEGMENT_WIDTH)
    }
    return Indicator.objects.filter(
        Q(owner__path__in=above) | scope.org_q(prefix="owner__"), is_active=True
    ).select_related("owner")


def get_indicator_for_viewer(viewer: Any, pk: int) -> Indicator:
    indicator = indicators_for(viewer).filter(pk=pk).first()
    if indicator is None:
        raise Http404
    return indicator


def get_entry_for_viewer(viewer: Any, indicator: Indicator, entry_id: int) -> IndicatorEntry:
    """A manual actual of ``indicator``; 404 when missing or its unit is out of scope."""
    entry = (
        IndicatorEntry.objects.filter(indicator=indicator, pk=entry_id)
        .select_related("org")
        .first()
    )
    if entry is None or not scope_for(viewer, VIEW).covers(entry.org):
        raise Http404
    return entry


@dataclass
class Standing:
    org: Organization
    target: Decimal | None
    actual: Decimal | None
    cases: int
    evidence: str = ""
    rank: int | None = None
    ranked: bool = False
    reason: str = ""  # why not ranked: no_value, too_few_cases, no_target, zero_target
    entry: IndicatorEntry | None = None  # the manual actual, with its evidence file

    @property
    def completion(self) -> Decimal | None:
        if self.target is None or self.target == 0 or self.actual is None:
            return None
        return (self.actual / self.target * 100).quantize(Decimal("0.1"))


def rank(standings: list[Standing], *, direction: str, min_cases: int) -> list[Standing]:
    """Rank the units (争先晋位); ties share a rank (1, 1, 3).

    When any unit has a target for the period, units are ranked on completion
    (actual ÷ target, to 0.1 %, the precision shown) and a unit without a target, or with
    a target of zero (no completion rate), is not ranked; otherwise on the actual value.
    A unit with fewer than ``min_cases`` records, or with no value, is not ranked. Lower
    is better when ``direction`` says so. Unranked units follow in their order.
    """
    by_target = any(s.target not in (None, 0) for s in standings)
    for item in standings:
        item.rank, item.ranked, item.reason = None, False, ""
        if item.actual is None:
            item.reason = "no_value"
        elif item.cases < min_cases:
            item.reason = "too_few_cases"
        elif by_target and item.target is None:
            item.reason = "no_target"
        elif by_target and item.target == 0:
            item.reason = "zero_target"

    def score(item: Standing) -> Decimal:
        value = item.completion if by_target else item.actual
        return Decimal(value or 0)

    eligible = sorted(
        (s for s in standings if not s.reason),
        key=score,
        reverse=direction != Direction.LOWER,
    )
    for position, item in enumerate(eligible, start=1):
        tied = position > 1 and score(eligible[position - 2]) == score(item)
        item.rank = eligible[position - 2].rank if tied else position
        item.ranked = True
    return eligible + [s for s in standings if s.reason]


def ranking(
    viewer: Any, indicator: Indicator, parent: Organization, period: Period
) -> list[Standing]:
    """Each child of ``parent`` the viewer may see, with target, actual and rank."""
    if not scope_for(viewer, VIEW).covers(parent):
        raise PermissionDenied
    children = selectors.children_of(viewer, parent)
    targets = {
        t.org_id: t.target
        for t in IndicatorTarget.objects.filter(
            indicator=indicator, org__in=children, period_start=period.start, period_end=period.end
        )
    }
    standings = []
    if indicator.source == IndicatorSource.METRIC:
        metric = figures.get_metric(indicator.metric)
        counted = selectors.effective_period(metric, period)
        for child in children:
            value, cases = figures.aggregate(
                metric, figures.metric_rows(viewer, metric, child, counted)
            )
            standings.append(Standing(child, targets.get(child.pk), value, cases))
    else:
        entries = {
            e.org_id: e
            for e in IndicatorEntry.objects.filter(
                indicator=indicator,
                org__in=children,
                period_start=period.start,
                period_end=period.end,
            )
        }
        for child in children:
            entry = entries.get(child.pk)
            standings.append(
                Standing(
                    child,
                    targets.get(child.pk),
                    entry.value if entry else None,
                    entry.cases if entry else 0,
                    entry.evidence if entry else "",
                    entry=entry,
                )
            )
    for standing in standings:
        standing.target = None if standing.target is None else figures.plain(standing.target)
        standing.actual = None if standing.actual is None else figures.plain(standing.actual)
    return rank(standings, direction=indicator.direction, min_cases=indicator.min_cases)
