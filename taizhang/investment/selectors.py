"""Reads for investment attraction, always through the viewer's data scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.investment.models import (
    Competition,
    Event,
    Lead,
    LeadStage,
    LeadStageChange,
    Subsidy,
    Team,
)
from taizhang.investment.permissions import COMPETITION, EVENT, LEAD, SUBSIDY, VIEW
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Organization, OrgKind

LEAD_SORTS: dict[str, tuple[str, ...]] = {
    "updated": ("-updated_at", "pk"),
    "amount": ("-amount", "pk"),
    "stage": ("-stage", "-amount", "pk"),
    "signed": ("-signed_on", "pk"),
}
UNIT_KINDS = [
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.ORGAN,
    OrgKind.SUBDISTRICT,
]


def _leads() -> QuerySet[Lead]:
    return Lead.objects.select_related("org", "team", "event", "project")


def mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the lead ledger: the viewer's person leads, or is
    a member of, the team (招商小分队) working the lead. Leads keep no recorder."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    teams = Team.objects.filter(Q(leader_id=person_id) | Q(members__id=person_id))
    return Q(team_id__in=teams.values("pk"))


def lead_list(
    *,
    viewer: Actor | None,
    stage: int | None = None,
    source: str = "",
    team_id: int | None = None,
    event_id: int | None = None,
    lost: bool | None = None,
    q: str = "",
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Lead]:
    """Leads in scope; filters only narrow.

    ``ledger`` (the shared list filters): organization on the lead's organization, dates
    on the day it was put on the ledger, "mine" as ``mine_q``."""
    qs = ledger.narrow(
        LEAD.queryset(viewer, base=_leads()),
        org_fields=LEAD.org_fields,
        date_field="created_at__date",
        mine_q=mine_q(viewer),
    )
    if stage is not None:
        qs = qs.filter(stage=stage)
    if source:
        qs = qs.filter(source=source)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if lost is not None:
        qs = qs.filter(is_lost=lost)
    if q:
        qs = qs.filter(Q(enterprise__icontains=q) | Q(project_name__icontains=q))
    return qs.order_by(*LEAD_SORTS.get(sort, LEAD_SORTS["updated"]))


def lead_totals(qs: QuerySet[Lead]) -> dict[str, int]:
    """Counts and money of a scoped lead list, in one query."""
    totals = qs.order_by().aggregate(
        count=Count("pk"),
        amount=Sum("amount", filter=Q(is_lost=False)),
        signed=Count("pk", filter=Q(signed_on__isnull=False)),
        signed_amount=Sum("signed_amount"),
        landed=Count("pk", filter=Q(stage__gte=LeadStage.LANDED, is_lost=False)),
        lost=Count("pk", filter=Q(is_lost=True)),
    )
    return {key: value or 0 for key, value in totals.items()}


def get_lead_for_viewer(viewer: Actor | None, pk: Any) -> Lead:
    """The lead, or the same 404 whether it is missing or out of scope."""
    return LEAD.get(viewer, pk, base=_leads())


def lead_history(lead: Lead) -> list[LeadStageChange]:
    return list(lead.changes.select_related("actor").order_by("-changed_on", "-pk"))


def lead_for_project(*, viewer: Actor | None, project: Any) -> Lead | None:
    """The lead a key project came from, when the viewer may see it."""
    return lead_list(viewer=viewer).filter(project_id=project.pk).first()


def _events(viewer: Actor | None) -> QuerySet[Event]:
    """Events with their signings counted and summed from the leads the viewer sees."""
    signed = Q(leads__signed_on__isnull=False, leads__in=LEAD.queryset(viewer))
    return Event.objects.select_related("org").annotate(
        signings=Count("leads", filter=signed),
        signed_amount=Sum("leads__signed_amount", filter=signed),
    )


def event_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the event list: a lead that came from the event is
    worked by a team the viewer's person leads or is a member of (an event keeps no
    recorder or responsible person of its own)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    teams = Team.objects.filter(Q(leader_id=person_id) | Q(members__id=person_id))
    worked = Lead.objects.filter(event_id__isnull=False, team_id__in=teams.values("pk"))
    return Q(pk__in=worked.values("event_id"))


def event_list(
    *,
    viewer: Actor | None,
    year: int | None = None,
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Event]:
    """Events in scope with their signings counted and summed from the leads in scope.

    ``ledger`` (the shared list filters): organization on the holding organization,
    dates on the day held, "mine" as ``event_mine_q``."""
    qs = ledger.narrow(
        EVENT.queryset(viewer, base=_events(viewer)),
        org_fields=EVENT.org_fields,
        date_field="held_on",
        mine_q=event_mine_q(viewer),
    )
    if year is not None:
        qs = qs.filter(held_on__year=year)
    return qs.order_by("-held_on", "pk")


def get_event_for_viewer(viewer: Actor | None, pk: Any) -> Event:
    return EVENT.get(viewer, pk, base=_events(viewer))


def event_signings(*, viewer: Actor | None, event: Event) -> QuerySet[Lead]:
    return (
        lead_list(viewer=viewer, event_id=event.pk)
        .filter(signed_on__isnull=False)
        .order_by("-signed_amount", "pk")
    )


def _competitions() -> QuerySet[Competition]:
    return Competition.objects.select_related("org").annotate(team_count=Count("teams"))


def competition_list(*, viewer: Actor | None) -> QuerySet[Competition]:
    return COMPETITION.queryset(viewer, base=_competitions()).order_by("-starts_on", "pk")


def get_competition_for_viewer(viewer: Actor | None, pk: Any) -> Competition:
    return COMPETITION.get(viewer, pk, base=_competitions())


@dataclass
class TeamScore:
    team: Team
    points: int = 0
    cases: int = 0
    signings: int = 0
    signed_amount: int = 0
    by_stage: dict[int, int] = field(default_factory=dict)
    rank: int | None = None


def scoreboard(competition: Competition) -> tuple[list[TeamScore], list[TeamScore]]:
    """(ranked, unranked) team scores for a competition's period.

    Each lead scores the points of every stage it first reached inside the period
    (a stage reached twice counts once; moves back score nothing). A case is a lead that
    scored. Teams with fewer cases than ``min_cases`` are listed but not ranked, so one
    lucky signing does not top the table.
    """
    teams = list(
        competition.teams.select_related("leader").prefetch_related("members").order_by("name")
    )
    scores = {team.pk: TeamScore(team=team) for team in teams}
    reached = (
        LeadStageChange.objects.filter(
            lead__team__competition=competition,
            changed_on__gte=competition.starts_on,
            changed_on__lte=competition.ends_on,
        )
        .exclude(from_stage__gt=F("to_stage"))
        .values_list("lead__team_id", "lead_id", "to_stage")
        .distinct()
    )
    cases: dict[int, set[int]] = {}
    for team_id, lead_id, stage in reached:
        score = scores[team_id]
        score.points += competition.points_for(stage)
        score.by_stage[stage] = score.by_stage.get(stage, 0) + 1
        cases.setdefault(team_id, set()).add(lead_id)
    signed = (
        Lead.objects.filter(
            team__competition=competition,
            signed_on__gte=competition.starts_on,
            signed_on__lte=competition.ends_on,
        )
        .values("team_id")
        .annotate(n=Count("pk"), amount=Sum("signed_amount"))
    )
    for row in signed:
        scores[row["team_id"]].signings = row["n"]
        scores[row["team_id"]].signed_amount = row["amount"] or 0
    for team_id, leads in cases.items():
        scores[team_id].cases = len(leads)
    ordered = sorted(scores.values(), key=lambda s: (-s.points, -s.signed_amount, s.team.name))
    ranked = [s for s in ordered if s.cases >= competition.min_cases]
    unranked = [s for s in ordered if s.cases < competition.min_cases]
    for index, score in enumerate(ranked, start=1):
        score.rank = index
    return ranked, unranked


def subsidy_list(
    *,
    viewer: Actor | None,
    year: int | None = None,
    org: Organization | None = None,
    policy: str = "",
    q: str = "",
) -> QuerySet[Subsidy]:
    qs = SUBSIDY.queryset(viewer)
    if year is not None:
        qs = qs.filter(paid_on__year=year)
    if org is not None:
        lower, upper = org.subtree_bounds
        qs = qs.filter(org__path__gte=lower, org__path__lt=upper)
    if policy:
        qs = qs.filter(policy__name=policy)
    if q:
        qs = qs.filter(enterprise__icontains=q)
    return qs.select_related("org", "policy").order_by("-paid_on", "pk")


def subsidy_summary(qs: QuerySet[Subsidy]) -> dict[str, int]:
    """兑现扶持资金X亿元、惠及企业Y家(次): amount, payments and distinct enterprises."""
    totals = qs.order_by().aggregate(
        amount=Sum("amount"),
        payments=Count("pk"),
        enterprises=Count("enterprise", distinct=True),
    )
    return {key: value or 0 for key, value in totals.items()}


def subsidy_policies(qs: QuerySet[Subsidy]) -> list[dict[str, Any]]:
    return list(
        qs.order_by()
        .values("policy__name")
        .annotate(amount=Sum("amount"), payments=Count("pk"))
        .order_by("-amount")
    )


def org_choices(*, viewer: Actor | None) -> QuerySet[Organization]:
    """Units where the viewer may record leads, events, competitions and payments (the
    four policies share their functions, so one answer serves them all)."""
    return LEAD.org_choices(viewer).filter(kind__in=UNIT_KINDS)


def filter_org_choices(*, viewer: Actor | None) -> QuerySet[Organization]:
    return LEAD.org_choices(viewer, VIEW).filter(kind__in=UNIT_KINDS)


def team_choices(*, viewer: Actor | None) -> QuerySet[Team]:
    """Teams of the competitions the viewer sees."""
    return (
        Team.objects.filter(competition__in=COMPETITION.queryset(viewer))
        .select_related("competition")
        .order_by("competition__starts_on", "name")
    )


def event_choices(*, viewer: Actor | None) -> QuerySet[Event]:
    return EVENT.queryset(viewer).order_by("-held_on")


def this_year() -> int:
    return timezone.localdate().year
