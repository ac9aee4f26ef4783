"""REST endpoints of investment attraction, under the same scope and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.sorting import checked_sort, sort_param
from taizhang.api.units import YUAN, YUAN_OPTIONAL, YUAN_PATCH
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.formatting import MAX_YUAN
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import YEAR_MAX, YEAR_MIN, ErrorOut
from taizhang.core.versions import etag, if_match
from taizhang.investment import services
from taizhang.investment.models import EventKind, LeadStage, Source, SubsidyPolicy, Team
from taizhang.investment.permissions import CONFIGURE, EVENT, MANAGE, VIEW, can
from taizhang.investment.selectors import (
    LEAD_SORTS,
    UNIT_KINDS,
    event_list,
    follow_ups,
    get_competition_for_viewer,
    get_event_for_viewer,
    get_lead_for_viewer,
    lead_list,
    scoreboard,
    subsidy_list,
    subsidy_summary,
    team_choices,
)
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.projects.models import Category
from taizhang.projects.selectors import (
    resolve_leader,
    resolve_responsible,
    resolve_unit,
    responsible_candidates,
)

router = Router(tags=["investment"])


class LeadOut(Stamped):
    id: int
    org_id: int
    enterprise: str
    project_name: str
    sector: str
    source: str
    amount: int | None = Field(..., description=YUAN_OPTIONAL)
    team_id: int | None
    event_id: int | None
    stage: int
    stage_label: str
    stage_since: dt.date
    signed_on: dt.date | None
    signed_amount: int | None = Field(..., description=YUAN_OPTIONAL)
    is_lost: bool
    lost_reason: str
    project_id: int | None

    @staticmethod
    def resolve_stage_label(obj: Any) -> str:
        return str(obj.get_stage_display())


class LeadIn(Schema):
    org_id: int
    enterprise: str
    project_name: str
    sector: str
    source: Source
    amount: int | None = Field(None, ge=0, le=MAX_YUAN, description=YUAN_OPTIONAL)
    team_id: int | None = None
    contacted_on: dt.date | None = None
    note: str = ""


class LeadPatch(Schema):
    enterprise: str | None = None
    project_name: str | None = None
    sector: str | None = None
    source: Source | None = None
    amount: int | None = Field(None, ge=0, le=MAX_YUAN, description=YUAN_PATCH)
    team_id: int | None = None
    note: str | None = None


class AdvanceIn(Schema):
    to_stage: LeadStage
    on: dt.date | None = None
    signed_amount: int | None = Field(None, ge=0, le=MAX_YUAN, description=YUAN_OPTIONAL)
    event_id: int | None = None
    reason: str = ""


class FollowUpOut(Schema):
    id: int
    on: dt.date
    kind: str
    kind_label: str
    our_people: list[int]
    our_side: str
    their_side: str
    content: str
    next_step: str
    next_step_on: dt.date | None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_our_people(obj: Any) -> list[int]:
        return [person.pk for person in obj.our_people.all()]


class LostIn(Schema):
    reason: str
    on: dt.date | None = None


class ConvertIn(Schema):
    category: Category
    lead_unit_id: int
    linked_leader_id: int | None = None
    responsible_id: int | None = None


class ConvertOut(Schema):
    project_id: int
    lead_id: int


class EventOut(Stamped):
    id: int
    org_id: int
    kind: str
    name: str
    held_on: dt.date
    place: str
    organizer: str
    signings: int = 0
    signed_amount: int | None = Field(None, description=YUAN_OPTIONAL)


class EventIn(Schema):
    org_id: int
    kind: EventKind
    name: str
    held_on: dt.date
    place: str = ""
    organizer: str = ""


class TeamScoreOut(Schema):
    team_id: int
    team: str
    rank: int | None
    points: int
    cases: int
    signings: int
    signed_amount: int = Field(..., description=YUAN)


class ScoreboardOut(Schema):
    competition_id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    min_cases: int
    ranked: list[TeamScoreOut]
    unranked: list[TeamScoreOut]


class InvestmentCompetitionIn(Schema):
    org_id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    min_cases: int = Field(3, ge=1)
    points_contact: int = Field(1, ge=0)
    points_negotiating: int = Field(2, ge=0)
    points_signed: int = Field(5, ge=0)
    points_landed: int = Field(8, ge=0)
    points_started: int = Field(10, ge=0)


class InvestmentCompetitionOut(Schema):
    id: int
    org_id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    min_cases: int
    points_contact: int
    points_negotiating: int
    points_signed: int
    points_landed: int
    points_started: int


class InvestmentTeamIn(Schema):
    name: str
    base: str = ""
    leader_id: int | None = None
    member_ids: list[int] = []


class InvestmentTeamOut(Schema):
    id: int
    competition_id: int
    name: str
    base: str
    leader_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj: Any) -> list[int]:
        return sorted(m.pk for m in obj.members.all())


class SubsidyOut(Schema):
    id: int
    org_id: int
    policy_id: int
    policy: str
    enterprise: str
    amount: int = Field(..., description=YUAN)
    paid_on: dt.date

    @staticmethod
    def resolve_policy(obj: Any) -> str:
        return str(obj.policy.name)


class SubsidyIn(Schema):
    org_id: int
    policy: str = Field(..., description="name of an active subsidy policy")
    enterprise: str
    amount: int = Field(..., gt=0, le=MAX_YUAN, description=YUAN)
    paid_on: dt.date


class SubsidySummaryOut(Schema):
    amount: int = Field(..., description=YUAN)
    payments: int
    enterprises: int


def _org(request: HttpRequest, org_id: int) -> Organization:
    """A unit where the caller manages investment records. A missing and an existing
    but unmanaged id give the same 422, so ids are not probed."""
    return ORGANIZATION.resolve(
        viewer_of(request),
        org_id,
        field="org_id",
        base=Organization.objects.filter(kind__in=UNIT_KINDS),
        permission=MANAGE,
    )


def _team(request: HttpRequest, team_id: int | None) -> Team | None:
    """A team of a competition the caller sees (``None`` clears it)."""
    if team_id is None:
        return None
    team = team_choices(viewer=viewer_of(request)).filter(pk=team_id).first()
    if team is None:
        raise ValidationError({"team_id": unknown_message()})
    return team


def _person(request: HttpRequest, pk: int, field: str) -> Person:
    """A person the person rule shows the caller, among position holders."""
    return PERSON.resolve(viewer_of(request), pk, field=field, base=responsible_candidates())


@router.get("/leads", response=list[LeadOut])
@paginate(LimitOffsetPagination)
@requires("investment.view")
def list_leads(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    stage: int | None = None,
    source: str = "",
    team_id: int | None = None,
    lost: bool | None = None,
    q: str = "",
    sort: str = sort_param(LEAD_SORTS, "updated"),
) -> Any:
    """Leads in your scope; filters only narrow it. ``org``: that organization and its
    subtree (one outside your scope: 422, as for an unknown id); ``date_from``/``date_to``:
    put on the ledger, inclusive; ``mine``: your person leads or is on the lead's team."""
    viewer = viewer_of(request)
    return stamped(
        lead_list(
            viewer=viewer,
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
            stage=stage,
            source=source,
            team_id=team_id,
            lost=lost,
            q=q,
            sort=checked_sort(sort, LEAD_SORTS),
        )
    )


@router.get("/leads/{lead_id}", response=LeadOut)
@requires("investment.view")
def get_lead(request: HttpRequest, lead_id: int, response: HttpResponse) -> Any:
    """One lead; 404 when it does not exist or is outside your scope. The ``ETag``
    header is its version: send it back as ``If-Match`` with a PATCH."""
    lead = get_lead_for_viewer(viewer_of(request), lead_id)
    response["ETag"] = etag(lead)
    return lead


@router.get("/leads/{lead_id}/follow-ups", response=list[FollowUpOut])
@requires("investment.view")
def lead_follow_ups(request: HttpRequest, lead_id: int) -> Any:
    """A lead's follow-up log (跟进记录), newest first; 404 when the lead does not exist
    or is outside your scope."""
    return follow_ups(get_lead_for_viewer(viewer_of(request), lead_id))


@router.post("/leads", response={201: LeadOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def create_lead(request: HttpRequest, payload: LeadIn) -> Any:
    """Record a lead at first contact on an organization you manage."""
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    team = _team(request, data.pop("team_id"))
    lead = services.lead_create(org=org, team=team, **data, acting_user=viewer_of(request))
    return Status(201, lead)


def _lead_for(request: HttpRequest, lead_id: int, action: str) -> Any:
    lead = get_lead_for_viewer(viewer_of(request), lead_id)
    if not can(viewer_of(request), action, lead):
        raise PermissionDenied
    return lead


@router.patch("/leads/{lead_id}", response={200: LeadOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def update_lead(request: HttpRequest, lead_id: int, payload: LeadPatch) -> Any:
    """Change a lead's columns; only the fields you send. Stages move through /advance.
    With ``If-Match: "<ETag>"`` a change someone else made since is a 409."""
    lead = _lead_for(request, lead_id, "edit")
    data = payload.dict(exclude_unset=True)
    if "team_id" in data:
        data["team"] = _team(request, data.pop("team_id") or None)
    seen = if_match(request)
    return services.lead_update(lead=lead, acting_user=viewer_of(request), version=seen, **data)


@router.post("/leads/{lead_id}/advance", response={200: LeadOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def advance_lead(request: HttpRequest, lead_id: int, payload: AdvanceIn) -> Any:
    """Move a lead to another stage; signing records date, amount and event."""
    lead = _lead_for(request, lead_id, "advance")
    event = None
    if payload.event_id is not None:
        event = EVENT.resolve(viewer_of(request), payload.event_id, field="event_id")
    return services.lead_advance(
        lead=lead,
        to_stage=int(payload.to_stage),
        on=payload.on,
        signed_amount=payload.signed_amount,
        event=event,
        reason=payload.reason,
        acting_user=viewer_of(request),
    )


@router.post("/leads/{lead_id}/lost", response={200: LeadOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def lose_lead(request: HttpRequest, lead_id: int, payload: LostIn) -> Any:
    """Mark a lead as lost, with the reason."""
    lead = _lead_for(request, lead_id, "lose")
    return services.lead_mark_lost(
        lead=lead, reason=payload.reason, on=payload.on, acting_user=viewer_of(request)
    )


@router.post("/leads/{lead_id}/convert", response={201: ConvertOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Any:
    """Turn a landed lead into a key project in one step."""
    lead = _lead_for(request, lead_id, "convert")
    unit = resolve_unit(payload.lead_unit_id, field="lead_unit_id")
    leader = resolve_leader(payload.linked_leader_id, field="linked_leader_id")
    responsible = resolve_responsible(
        viewer_of(request), payload.responsible_id, field="responsible_id"
    )
    project = services.lead_convert_to_project(
        lead=lead,
        category=payload.category,
        lead_unit=unit,
        linked_leader=leader,
        responsible=responsible,
        acting_user=viewer_of(request),
    )
    return Status(201, {"project_id": project.pk, "lead_id": lead.pk})


@router.get("/events", response=list[EventOut])
@paginate(LimitOffsetPagination)
@requires("investment.view")
def list_events(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    year: Annotated[int | None, Field(ge=YEAR_MIN, le=YEAR_MAX)] = None,
) -> Any:
    """Events in your scope with their signings computed from the leads. ``org``: that
    organization and its subtree (one outside your scope: 422, as for an unknown id);
    ``date_from``/``date_to``: the day held, inclusive; ``mine``: a lead from the event
    is worked by a team your person leads or is on."""
    viewer = viewer_of(request)
    return stamped(
        event_list(
            viewer=viewer,
            year=year,
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/events/{event_id}", response=EventOut)
@requires("investment.view")
def get_event(request: HttpRequest, event_id: int) -> Any:
    return get_event_for_viewer(viewer_of(request), event_id)


@router.post("/events", response={201: EventOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def create_event(request: HttpRequest, payload: EventIn) -> Any:
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    event = services.event_create(org=org, **data, acting_user=viewer_of(request))
    return Status(201, get_event_for_viewer(viewer_of(request), event.pk))


@router.post(
    "/competitions", response={201: InvestmentCompetitionOut, 403: ErrorOut, 422: ErrorOut}
)
@requires("investment.manage")
def create_competition(request: HttpRequest, payload: InvestmentCompetitionIn) -> Any:
    """Set up a competition with its period, minimum cases and points per stage."""
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    points = {key: data.pop(key) for key in list(data) if key.startswith("points_")}
    competition = services.competition_create(
        org=org, points=points, **data, acting_user=viewer_of(request)
    )
    return Status(201, competition)


@router.post(
    "/competitions/{competition_id}/teams",
    response={201: InvestmentTeamOut, 403: ErrorOut, 422: ErrorOut},
)
@requires("investment.manage")
def create_team(request: HttpRequest, competition_id: int, payload: InvestmentTeamIn) -> Any:
    """Add a team with its leader and members (persons you may see)."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    if not can(viewer_of(request), "edit", competition):
        raise PermissionDenied
    leader = (
        _person(request, payload.leader_id, "leader_id") if payload.leader_id is not None else None
    )
    members = PERSON.resolve_many(
        viewer_of(request),
        set(payload.member_ids),
        field="member_ids",
        base=responsible_candidates(),
    )
    team = services.team_create(
        competition=competition,
        name=payload.name,
        base=payload.base,
        leader=leader,
        members=members,
        acting_user=viewer_of(request),
    )
    return Status(201, team)


@router.get("/competitions/{competition_id}/scoreboard", response=ScoreboardOut)
@requires("investment.view")
def get_scoreboard(request: HttpRequest, competition_id: int) -> Any:
    """Ranked teams and teams below the minimum number of cases."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    ranked, unranked = scoreboard(competition)

    def rows(scores: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "team_id": s.team.pk,
                "team": s.team.name,
                "rank": s.rank,
                "points": s.points,
                "cases": s.cases,
                "signings": s.signings,
                "signed_amount": s.signed_amount,
            }
            for s in scores
        ]

    return {
        "competition_id": competition.pk,
        "name": competition.name,
        "starts_on": competition.starts_on,
        "ends_on": competition.ends_on,
        "min_cases": competition.min_cases,
        "ranked": rows(ranked),
        "unranked": rows(unranked),
    }


@router.get("/subsidies", response=list[SubsidyOut])
@paginate(LimitOffsetPagination)
@requires("investment.view")
def list_subsidies(
    request: HttpRequest,
    year: Annotated[int | None, Field(ge=YEAR_MIN, le=YEAR_MAX)] = None,
    q: str = "",
) -> Any:
    return subsidy_list(viewer=viewer_of(request), year=year, q=q)


@router.get("/subsidies/summary", response=SubsidySummaryOut)
@requires("investment.view")
def summarize_subsidies(
    request: HttpRequest, year: Annotated[int | None, Field(ge=YEAR_MIN, le=YEAR_MAX)] = None
) -> Any:
    """兑现扶持资金 and 惠及企业(家次) over your scope, computed from the payments."""
    return subsidy_summary(subsidy_list(viewer=viewer_of(request), year=year))


@router.post("/subsidies", response={201: SubsidyOut, 403: ErrorOut, 422: ErrorOut})
@requires("investment.manage")
def create_subsidy(request: HttpRequest, payload: SubsidyIn) -> Any:
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    policy = SubsidyPolicy.objects.filter(name=data.pop("policy"), is_active=True).first()
    if policy is None:
        raise ValidationError({"policy": "Unknown or deactivated policy."})
    subsidy = services.subsidy_create(
        org=org, policy=policy, **data, acting_user=viewer_of(request)
    )
    return Status(201, subsidy)


# --- Subsidy policies (system administrator, ``investment.configure``) ------------------


class SubsidyPolicyOut(Schema):
    id: int
    name: str
    issued_by: str
    note: str
    sort_order: int
    is_active: bool


class SubsidyPolicyIn(Schema):
    name: str
    issued_by: str = ""
    note: str = ""
    sort_order: int = 100


class SubsidyPolicyPatch(Schema):
    name: str | None = None
    issued_by: str | None = None
    note: str | None = None
    sort_order: int | None = None


@router.get("/subsidy-policies", response=list[SubsidyPolicyOut])
@requires("investment.view")
def list_subsidy_policies(request: HttpRequest) -> Any:
    """The active policies payments may be recorded under."""
    return SubsidyPolicy.objects.filter(is_active=True)


@router.get("/subsidy-policies/all", response=list[SubsidyPolicyOut])
@requires(CONFIGURE)
def list_all_subsidy_policies(request: HttpRequest) -> Any:
    """Every policy, deactivated ones too (the administrator's view)."""
    return SubsidyPolicy.objects.all()


@router.post("/subsidy-policies", response={201: SubsidyPolicyOut, 403: ErrorOut, 422: ErrorOut})
@requires(CONFIGURE)
def create_subsidy_policy(request: HttpRequest, payload: SubsidyPolicyIn) -> Any:
    policy = services.subsidy_policy_create(**payload.dict(), acting_user=viewer_of(request))
    return Status(201, policy)


@router.patch(
    "/subsidy-policies/{policy_id}",
    response={200: SubsidyPolicyOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def update_subsidy_policy(request: HttpRequest, policy_id: int, payload: SubsidyPolicyPatch) -> Any:
    policy = get_object_or_404(SubsidyPolicy, pk=policy_id)
    return services.subsidy_policy_update(
        policy=policy,
        changes=payload.dict(exclude_unset=True, exclude_none=True),
        acting_user=viewer_of(request),
        version=if_match(request),
    )


@router.post(
    "/subsidy-policies/{policy_id}/deactivate", response={200: SubsidyPolicyOut, 403: ErrorOut}
)
@requires(CONFIGURE)
def deactivate_subsidy_policy(request: HttpRequest, policy_id: int) -> Any:
    """No new payments under it; payments already made keep it."""
    policy = get_object_or_404(SubsidyPolicy, pk=policy_id)
    return services.subsidy_policy_set_active(
        policy=policy, active=False, acting_user=viewer_of(request)
    )


@router.post(
    "/subsidy-policies/{policy_id}/reactivate", response={200: SubsidyPolicyOut, 403: ErrorOut}
)
@requires(CONFIGURE)
def reactivate_subsidy_policy(request: HttpRequest, policy_id: int) -> Any:
    policy = get_object_or_404(SubsidyPolicy, pk=policy_id)
    return services.subsidy_policy_set_active(
        policy=policy, active=True, acting_user=viewer_of(request)
    )
