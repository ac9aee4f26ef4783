"""Reads for investment attraction, always through the viewer's data scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.investment.models import (
    Competition,
    Event,
    FollowUp,
    Lead,
    LeadStage,
    LeadStageChange,
    Subsidy,
    Team,
)
from taizhang.investment.permissions import COMPETITION, EVENT, LEAD, MANAGE, SUBSIDY, VIEW
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Organization, OrgKind

LEAD_SORTS: dict[str, tuple[Any, ...]] = {
    "updated": ("-updated_at", "pk"),
    # An amount not named yet (接洽) sorts last on every engine.
    "amount": (F("amount").desc(nulls_last=True), "pk"),
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


def _newest_next_step(lead_ref: str = "pk") -> QuerySet[FollowUp]:
    """The lead's newest follow-up that names a next step (``lead_ref`` names the lead
    in the outer query)."""
    return (
        FollowUp.objects.filter(lead=OuterRef(lead_ref))
        .exclude(next_step="")
        .order_by("-on", "-pk")
    )


def with_next_step(qs: QuerySet[Lead]) -> QuerySet[Lead]:
    """Leads annotated with their newest next step and its date (``next_step``,
    ``next_step_on``), for the ledger's column."""
    newest = _newest_next_step()
    return qs.annotate(
        next_step=Subquery(newest.values("next_step")[:1]),
        next_step_on=Subquery(newest.values("next_step_on")[:1]),
    )


def follow_ups(lead: Lead) -> list[FollowUp]:
    """A lead's follow-up log, newest first (the lead was read through its policy)."""
    return list(
        lead.follow_ups.select_related("recorded_by")
        .prefetch_related("our_people")
        .order_by("-on", "-pk")
    )


# Next steps due within this many days are on the clerk's to-do list.
NEXT_STEP_NOTICE_DAYS = 3


def next_steps_due(viewer: Actor | None) -> QuerySet[FollowUp]:
    """Next steps falling due (by today + ``NEXT_STEP_NOTICE_DAYS``) on open leads the
    viewer manages: only each lead's newest next step (a later follow-up replaces it),
    earliest first."""
    horizon = timezone.localdate() + dt.timedelta(days=NEXT_STEP_NOTICE_DAYS)
    leads = LEAD.queryset(viewer, MANAGE).filter(is_lost=False)
    newest = _newest_next_step("lead").values("pk")[:1]
    return (
        FollowUp.objects.filter(lead__in=leads, next_step_on__lte=horizon)
        .annotate(newest=Subquery(newest))
        .filter(newest=F("pk"))
        .select_related("lead")
        .order_by("next_step_on", "pk")
    )


@dataclass
class Funnel:
    """意向→在谈→签约 over a period: leads that stood at 意向 or later (a stage record
    dated in the period), of them those that reached 在谈 and 签约 in it."""

    leads: int = 0
    negotiating: int = 0
    signed: int = 0

    def rate(self, part: int) -> str:
        return f"{part * 100 / self.leads:.1f}%" if self.leads else "—"

    @property
    def negotiating_rate(self) -> str:
        return self.rate(self.negotiating)

    @property
    def signed_rate(self) -> str:
        return self.rate(self.signed)


def forward_moves() -> QuerySet[LeadStageChange]:
    """Stage records that take a lead forward: its first contact or a move up."""
    return LeadStageChange.objects.filter(
        Q(from_stage__isnull=True) | Q(from_stage__lt=F("to_stage"))
    )


def reaching(stage: int) -> QuerySet[LeadStageChange]:
    """Moves that take a lead to ``stage`` or beyond from below it (a lead signed
    straight from first contact passed 在谈 too)."""
    return (
        forward_moves()
        .filter(to_stage__gte=stage)
        .filter(Q(from_stage__isnull=True) | Q(from_stage__lt=stage))
    )


def funnel(leads: QuerySet[Lead], start: dt.date, end: dt.date) -> Funnel:
    """The conversion of the (scoped) leads between ``start`` and ``end``; the figures
    are the metrics ``investment.funnel_*`` computes for a briefing."""
    dated = Q(changed_on__gte=start, changed_on__lte=end, lead__in=leads.order_by().values("pk"))

    def count(qs: QuerySet[LeadStageChange]) -> int:
        return qs.filter(dated).values("lead_id").distinct().count()

    return Funnel(
        leads=count(forward_moves()),
        negotiating=count(reaching(LeadStage.NEGOTIATING)),
        signed=count(reaching(LeadStage.SIGNED)),
    )


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
