"""Reads for pairing; every one starts from a scope policy (``permissions.PAIR``,
``VALUE``, ``PARTNERSHIP``) and persons from the one person rule (``PERSON``).

A pair is seen by viewers whose ``pairing.view`` scope covers the village *or* the
helping organization (an organ's clerk follows the villages it helps). Indicator values
belong to the village; partnerships and ambassadors to the partnership's organization.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.policy import unknown_message
from taizhang.pairing.models import (
    DEFAULT_TARGET,
    Ambassador,
    AssistanceProject,
    Indicator,
    IndicatorCorrection,
    IndicatorValue,
    Pair,
    Partnership,
    ProjectState,
    ValueStatus,
)
from taizhang.pairing.permissions import (
    CONFIRM,
    PAIR,
    PARTNERSHIP,
    PROJECT,
    VALUE,
    can,
    recorded_it,
)
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

VIEW = "pairing.view"
MANAGE = "pairing.manage"
PARTNERSHIP_ORG_KINDS = [
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.ORGAN,
    OrgKind.SUBDISTRICT,
]
PAIR_SORTS: dict[str, tuple[str, ...]] = {
    "village": ("village__path", "starts_on", "pk"),
    "helper": ("helper__path", "village__path", "pk"),
    "start": ("-starts_on", "village__path", "pk"),
}


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the pair list: the viewer recorded or confirmed a
    figure of the pair's village (a pair keeps no recorder or responsible person)."""
    pk = getattr(viewer, "pk", None)
    if pk is None:
        return Q(pk__in=[])
    kept = IndicatorValue.objects.filter(Q(recorded_by_id=pk) | Q(confirmed_by_id=pk))
    return Q(village_id__in=kept.values("village_id"))


def pair_list(
    *,
    viewer: Actor,
    year: int | None = None,
    q: str = "",
    helper_id: int | None = None,
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Pair]:
    """Pairs in scope; ``year`` keeps the pairs whose period covers that year.

    ``ledger`` (the shared list filters): organization on the village or the helping
    organization, dates on the day the assistance starts, "mine" as ``mine_q``."""
    qs = ledger.narrow(
        PAIR.queryset(viewer),
        org_fields=PAIR.org_fields,
        date_field="starts_on",
        mine_q=mine_q(viewer),
    )
    if year is not None:
        qs = qs.filter(starts_on__year__lte=year, ends_on__year__gte=year)
    if helper_id is not None:
        qs = qs.filter(helper_id=helper_id)
    if q:
        qs = qs.filter(Q(village__name__icontains=q) | Q(helper__name__icontains=q))
    return qs.select_related("helper", "village").order_by(
        *PAIR_SORTS.get(sort, PAIR_SORTS["village"])
    )


def get_pair_for_viewer(viewer: Actor, pk: Any) -> Pair:
    """The pair, or the same 404 whether it is missing or out of scope."""
    return PAIR.get(viewer, pk, base=Pair.objects.select_related("helper", "village"))


def pair_projects(*, viewer: Actor, pair: Pair) -> list[AssistanceProject]:
    """The assistance projects of a pair the viewer sees, in the order they started."""
    return list(
        PROJECT.queryset(viewer)
        .filter(pair=pair)
        .select_related("helper")
        .order_by("starts_on", "pk")
    )


def get_project_for_viewer(viewer: Actor, pair: Pair, pk: Any) -> AssistanceProject:
    """A project of ``pair``, or the same 404 whether it is missing, of another pair or
    out of scope."""
    return PROJECT.get(
        viewer,
        pk,
        base=AssistanceProject.objects.filter(pair=pair).select_related("helper", "pair"),
    )


@dataclass
class ProjectSummary:
    """帮扶项目N个、投入资金X万元，其中已完成M个 of a set of projects."""

    count: int = 0
    funds: int = 0
    done: int = 0


def summarize(projects: list[AssistanceProject]) -> ProjectSummary:
    """The summary of projects already read (a pair's page)."""
    return ProjectSummary(
        count=len(projects),
        funds=sum(p.funds for p in projects),
        done=sum(1 for p in projects if p.state == ProjectState.DONE),
    )


def project_summary(projects: QuerySet[AssistanceProject]) -> ProjectSummary:
    totals = projects.order_by().aggregate(
        count=Count("pk"),
        funds=Sum("funds"),
        done=Count("pk", filter=Q(state=ProjectState.DONE)),
    )
    return ProjectSummary(**{key: value or 0 for key, value in totals.items()})


def with_projects(qs: QuerySet[Pair]) -> QuerySet[Pair]:
    """Pairs annotated with their projects' count, funds and completed count (all the
    projects of the pair: whoever sees a pair sees its projects)."""
    base = AssistanceProject.objects.filter(pair=OuterRef("pk")).order_by().values("pair")

    def one(expression: Any) -> Subquery:
        return Subquery(base.annotate(v=expression).values("v")[:1])

    return qs.annotate(
        project_count=one(Count("pk")),
        project_funds=one(Sum("funds")),
        projects_done=one(Count("pk", filter=Q(state=ProjectState.DONE))),
    )


def income_by_village(pairs: list[Pair]) -> dict[int, dict[int, IndicatorValue]]:
    """Collective income rows of the pairs' villages: village id → year → row (one query)."""
    village_ids = sorted({p.village_id for p in pairs})
    rows = IndicatorValue.objects.filter(
        village_id__in=village_ids, indicator=Indicator.COLLECTIVE_INCOME
    )
    result: dict[int, dict[int, IndicatorValue]] = {}
    for row in rows:
        result.setdefault(row.village_id, {})[row.year] = row
    return result


@dataclass
class PairRow:
    pair: Pair
    cells: list[IndicatorValue | None] = field(default_factory=list)
    reached_in: int | None = None  # first year with confirmed income ≥ target

    @property
    def reached(self) -> bool:
        return self.reached_in is not None

    @property
    def early(self) -> bool:
        return self.reached_in is not None and self.reached_in < self.pair.target_year


def pair_rows(pairs: list[Pair], years: list[int]) -> list[PairRow]:
    """Each pair with its village's income for ``years`` and when it reached its target."""
    income = income_by_village(pairs)
    rows = []
    for pair in pairs:
        values = income.get(pair.village_id, {})
        row = PairRow(pair=pair, cells=[values.get(year) for year in years])
        for year in pair.years:
            value = values.get(year)
            if value is not None and value.is_locked and value.value >= pair.target_income:
                row.reached_in = year
                break
        rows.append(row)
    return rows


def villages_over(*, viewer: Actor, year: int, threshold: int = DEFAULT_TARGET) -> int:
    """ "N个薄弱村集体经济收入超过50万元": paired villages in scope whose confirmed
    collective income for ``year`` is at least ``threshold`` (each village once)."""
    paired = PAIR.queryset(viewer).filter(
        village=OuterRef("village"),
        starts_on__year__lte=year,
        ends_on__year__gte=year,
    )
    return (
        IndicatorValue.objects.filter(
            indicator=Indicator.COLLECTIVE_INCOME,
            year=year,
            status=ValueStatus.CONFIRMED,
            value__gte=threshold,
        )
        .filter(Exists(paired))
        .values("village")
        .distinct()
        .count()
    )


def paired_villages(*, viewer: Actor, year: int) -> int:
    """Distinct villages in scope paired during ``year``."""
    return pair_list(viewer=viewer, year=year).order_by().values("village").distinct().count()


def headline_year(*, viewer: Actor) -> int:
    """The latest year with a confirmed collective income in scope, else last year."""
    latest = (
        IndicatorValue.objects.filter(
            indicator=Indicator.COLLECTIVE_INCOME,
            status=ValueStatus.CONFIRMED,
            village__in=pair_list(viewer=viewer).values("village"),
        )
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return latest or timezone.localdate().year - 1


def value_list(*, viewer: Actor) -> QuerySet[IndicatorValue]:
    """Village figures the viewer may see: the village's, and a helper's for its years."""
    return VALUE.queryset(viewer).select_related("village", "confirmed_by", "recorded_by")


def village_values(*, viewer: Actor, village: Organization) -> list[IndicatorValue]:
    """Every indicator value of a village the viewer may see, with its corrections."""
    return list(
        value_list(viewer=viewer)
        .filter(village=village)
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=IndicatorCorrection.objects.select_related("corrected_by").order_by(
                    "created_at", "pk"
                ),
            )
        )
        .order_by("indicator", "year")
    )


def values_for_pair(*, viewer: Actor, pair: Pair) -> list[IndicatorValue]:
    """The village's values a pair's viewer may see: those of the pair's years.

    A helping organization's clerk reaches the village's values through the pair (the
    policy's cross-tree rule).
    """
    qs = (
        VALUE.queryset(viewer)
        .filter(village_id=pair.village_id, year__in=pair.years)
        .select_related("village", "confirmed_by", "recorded_by")
        .prefetch_related(
            Prefetch(
                "corrections",
                queryset=IndicatorCorrection.objects.select_related("corrected_by").order_by(
                    "created_at", "pk"
                ),
            )
        )
        .order_by("indicator", "year")
    )
    return list(qs)


def get_value_for_viewer(viewer: Actor, pk: Any) -> IndicatorValue:
    return VALUE.get(viewer, pk, base=value_list(viewer=viewer))


def get_pair_value(viewer: Actor, pair: Pair, pk: Any) -> IndicatorValue:
    """A value of the pair's village for one of the pair's years, or one 404."""
    base = IndicatorValue.objects.filter(
        village_id=pair.village_id, year__in=pair.years
    ).select_related("village", "confirmed_by", "recorded_by")
    return VALUE.get(viewer, pk, base=base)


def value_actions(viewer: Actor, values: list[IndicatorValue]) -> dict[str, set[int]]:
    """Which of ``values`` the viewer may confirm or correct, and which drafts she
    recorded herself (offered no confirm button: another person confirms them)."""
    return {
        "confirmable": {v.pk for v in values if can(viewer, "confirm", v)},
        "correctable": {v.pk for v in values if can(viewer, "correct", v)},
        "own_drafts": {v.pk for v in values if not v.is_locked and recorded_it(viewer, v)},
    }


def village_choices(*, viewer: Actor) -> QuerySet[Organization]:
    from taizhang.pairing.services import VILLAGE_KINDS

    return VALUE.org_choices(viewer).filter(kind__in=sorted(VILLAGE_KINDS))


def helper_choices() -> QuerySet[Organization]:
    """Helping organizations: organs, enterprises and units above the villages.

    Any organization may help a village, wherever it sits, so this list is not scoped:
    it names organizations, not records.
    """
    return Organization.objects.filter(
        kind__in=[
            OrgKind.ORGAN,
            OrgKind.ENTERPRISE,
            OrgKind.WORKING_COMMITTEE,
            OrgKind.DISTRICT_COMMITTEE,
            OrgKind.SUBDISTRICT,
        ],
        is_active=True,
    ).order_by("path")


def partnership_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the partnership list: the viewer's person is, or
    was, appointed an ambassador under it (a partnership keeps no recorder or
    responsible person of its own)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    appointed = Ambassador.objects.filter(person_id=person_id)
    return Q(pk__in=appointed.values("partnership_id"))


def partnership_list(
    *, viewer: Actor, kind: str = "", ledger: LedgerFilter = NO_FILTER
) -> QuerySet[Partnership]:
    """Partnerships in scope, with the ambassadors serving today counted.

    ``ledger`` (the shared list filters): organization on the partnership's
    organization, dates on the day it was signed, "mine" as ``partnership_mine_q``."""
    qs = ledger.narrow(
        PARTNERSHIP.queryset(viewer),
        org_fields=PARTNERSHIP.org_fields,
        date_field="signed_on",
        mine_q=partnership_mine_q(viewer),
    )
    if kind:
        qs = qs.filter(kind=kind)
    today = timezone.localdate()
    current = Q(ambassadors__ends_on__isnull=True) | Q(ambassadors__ends_on__gte=today)
    return (
        qs.select_related("org")
        .annotate(ambassador_count=Count("ambassadors", filter=current))
        .order_by("-signed_on", "pk")
    )


def get_partnership_for_viewer(viewer: Actor, pk: Any) -> Partnership:
    return PARTNERSHIP.get(viewer, pk, base=Partnership.objects.select_related("org"))


def partnership_ambassadors(partnership: Partnership) -> QuerySet[Ambassador]:
    return partnership.ambassadors.select_related("person__organization").order_by(
        "ends_on", "appointed_on", "pk"
    )


def get_ambassador(partnership: Partnership, pk: Any) -> Ambassador:
    ambassador = partnership_ambassadors(partnership).filter(pk=_pk(pk)).first()
    if ambassador is None:
        raise Http404
    return ambassador


def org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Where the viewer may record a partnership: units she manages pairing for."""
    return PARTNERSHIP.org_choices(viewer).filter(kind__in=PARTNERSHIP_ORG_KINDS)


def person_choices(*, viewer: Actor) -> QuerySet[Person]:
    """Ambassadors: persons the viewer may see (the one person rule)."""
    return (
        PERSON.queryset(viewer)
        .select_related("organization")
        .order_by("organization__path", "name")
    )


def resolve_choice(queryset: QuerySet[Any], pk: Any, *, field: str) -> Any:
    """A row of a choice set named by id: one 422 for missing and outside the set."""
    try:
        key = None if isinstance(pk, bool) else int(pk)
    except (TypeError, ValueError):
        key = None
    row = queryset.filter(pk=key).first() if key is not None else None
    if row is None:
        raise ValidationError({field: unknown_message()})
    return row


# To-dos (the workbench, ADR 0048) --------------------------------------------------


def todo_to_confirm(*, viewer: Actor) -> QuerySet[IndicatorValue]:
    """Village figures recorded and waiting for confirmation that the viewer may confirm:
    drafts on villages where she holds ``pairing.confirm`` (``VALUE`` with that function:
    the helper's cross-tree read never counts), not recorded by her (whoever recorded the
    current draft does not confirm it; figures of the system actor have no recorder).
    Each carries ``pair_pk``, the pair whose page shows it (a pair of the village covering
    the year, the latest first); a figure no pair shows is left out, there being no page
    to confirm it on. Earliest year first, then the longest waiting."""
    pairs = Pair.objects.filter(
        village=OuterRef("village"),
        starts_on__year__lte=OuterRef("year"),
        ends_on__year__gte=OuterRef("year"),
    ).order_by("-starts_on", "-pk")
    qs = VALUE.queryset(viewer, CONFIRM).filter(status=ValueStatus.DRAFT)
    if getattr(viewer, "pk", None) is not None:
        qs = qs.exclude(recorded_by_id=viewer.pk)
    return (
        qs.annotate(pair_pk=Subquery(pairs.values("pk")[:1]))
        .filter(pair_pk__isnull=False)
        .select_related("village")
        .order_by("year", "recorded_on", "village__path", "indicator", "pk")
    )
