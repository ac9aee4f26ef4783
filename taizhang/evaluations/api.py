"""REST endpoints of competitions and awards, under the same scope and services as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.units import FINAL_SCORE, MAX_SCORE, SCORES, WEIGHT
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import login_required, requires
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut, error_body
from taizhang.evaluations import services
from taizhang.evaluations.models import (
    Aggregation,
    AwardKind,
    CompetitionStatus,
    EntryKind,
    Normalization,
)
from taizhang.evaluations.permissions import can
from taizhang.evaluations.selectors import (
    award_list,
    award_nominations,
    award_objections,
    can_nominate,
    competition_entries,
    competition_list,
    competition_results,
    get_award_for_viewer,
    get_competition_for_viewer,
    get_entry,
    get_nomination,
    judge_sheet,
    nominee_person_choices,
    published_list,
    resolve_judge_user,
    results_visible,
)
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

router = Router(tags=["evaluations"])
VIEW = "evaluations.view"
MANAGE = "evaluations.manage"


class CompetitionOut(Stamped):
    id: int
    org_id: int
    name: str
    held_on: dt.date
    normalization: str
    aggregation: str
    winners_count: int
    status: str
    scoring_opened_on: dt.date | None
    decided_on: dt.date | None
    published_on: dt.date | None


class CompetitionIn(Schema):
    org_id: int
    name: str
    held_on: dt.date
    normalization: Normalization = Normalization.NONE
    aggregation: Aggregation = Aggregation.MEAN
    winners_count: int = Field(10, ge=1)
    description: str = ""


class CriterionIn(Schema):
    name: str
    weight: Decimal = Field(..., gt=0, description=WEIGHT)
    max_score: Decimal = Field(..., gt=0, description=MAX_SCORE)


class CriterionOut(Schema):
    id: int
    name: str
    weight: Decimal = Field(..., description=WEIGHT)
    max_score: Decimal = Field(..., description=MAX_SCORE)


class EntryIn(Schema):
    kind: EntryKind
    title: str = ""
    org_id: int | None = None
    person_id: int | None = None
    summary: str = ""


class EntryOut(Schema):
    id: int
    number: int
    kind: str
    title: str
    org_id: int
    person_id: int | None
    final_score: Decimal | None = Field(None, description=FINAL_SCORE)
    rank: int | None = None
    is_winner: bool = False


class JudgeIn(Schema):
    user_id: int


class JudgeOut(Schema):
    id: int
    user_id: int
    added_on: dt.date


class StepIn(Schema):
    on: dt.date | None = None


class ResultOut(Schema):
    entry_id: int
    number: int
    judges: int
    final: Decimal | None
    rank: int | None
    is_winner: bool


class SheetRowOut(Schema):
    entry_id: int
    number: int
    title: str
    org_id: int
    conflict: str
    scores: dict[int, Decimal] = Field(..., description=SCORES)


class ScoresIn(Schema):
    scores: dict[int, Decimal] = Field(..., description=SCORES)


class AwardOut(Stamped):
    id: int
    org_id: int
    kind: str
    name: str
    year: int
    quota: int
    notice_start: dt.date | None
    notice_end: dt.date | None
    published_on: dt.date | None


class NoticeIn(Schema):
    start: dt.date
    end: dt.date


class ObjectionIn(Schema):
    received_on: dt.date
    text: str
    outcome: str


class ObjectionOut(Schema):
    id: int
    received_on: dt.date
    text: str
    outcome: str


class FromWinnersIn(Schema):
    competition_id: int
    on: dt.date | None = None


class FromWinnersOut(Schema):
    created: list[int]
    already_nominated: int
    not_taken: int


class AwardIn(Schema):
    org_id: int
    kind: AwardKind
    name: str
    year: int = Field(..., ge=2000, le=2100)
    quota: int = Field(..., ge=1)


class NominationOut(Schema):
    id: int
    org_id: int
    person_id: int | None
    nominee: str
    status: str
    nominated_on: dt.date
    reviewed_on: dt.date | None
    review_note: str
    published_on: dt.date | None


class NominationIn(Schema):
    org_id: int | None = None
    person_id: int | None = None
    deeds: str = ""
    on: dt.date | None = None


class ReviewIn(Schema):
    approve: bool
    note: str = ""
    on: dt.date | None = None


def _org(request: HttpRequest, org_id: int | None, field: str = "org_id") -> Organization | None:
    """An organization where the caller runs competitions and awards: a missing id and
    one outside that scope are the same 422, so ids cannot be probed."""
    if org_id is None:
        return None
    return ORGANIZATION.resolve(viewer_of(request), org_id, field=field, permission=MANAGE)


def _person(request: HttpRequest, person_id: int | None) -> Person | None:
    """A nominee or entrant: a person the caller may see, kept by a unit she manages."""
    if person_id is None:
        return None
    viewer = viewer_of(request)
    return PERSON.resolve(
        viewer, person_id, field="person_id", base=nominee_person_choices(viewer=viewer)
    )


def _managed_competition(request: HttpRequest, competition_id: int) -> Any:
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    if not can(viewer_of(request), "manage", competition):
        raise PermissionDenied
    return competition


# Competitions ---------------------------------------------------------------------


@router.get("/competitions", response=list[CompetitionOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_competitions(
    request: HttpRequest, filters: Query[LedgerQuery], year: int | None = None
) -> Any:
    """Competitions in your scope, published ones above it, and those you judge. ``org``:
    that organization and its subtree, organizing (one outside your scope: 422, as for an
    unknown id); ``date_from``/``date_to``: held, inclusive; ``mine``: you are one of its
    judges or your person is on one of its entries."""
    viewer = viewer_of(request)
    return stamped(
        competition_list(
            viewer=viewer,
            year=year,
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/competitions/{competition_id}", response=CompetitionOut)
@requires(VIEW)
def get_competition(request: HttpRequest, competition_id: int) -> Any:
    """One competition; 404 when it does not exist or is outside your scope."""
    return get_competition_for_viewer(viewer_of(request), competition_id)


@router.post("/competitions", response={201: CompetitionOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_competition(request: HttpRequest, payload: CompetitionIn) -> Any:
    """Set up a competition for an organization you manage."""
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    competition = services.competition_create(org=org, **data, acting_user=viewer_of(request))  # type: ignore[arg-type]
    return Status(201, competition)


@router.get("/competitions/{competition_id}/criteria", response=list[CriterionOut])
@requires(VIEW)
def list_criteria(request: HttpRequest, competition_id: int) -> Any:
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    return list(competition.criteria.all())


@router.post(
    "/competitions/{competition_id}/criteria",
    response={201: CriterionOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def add_criterion(request: HttpRequest, competition_id: int, payload: CriterionIn) -> Any:
    competition = _managed_competition(request, competition_id)
    criterion = services.criterion_add(
        competition=competition, **payload.dict(), acting_user=viewer_of(request)
    )
    return Status(201, criterion)


@router.get("/competitions/{competition_id}/entries", response=list[EntryOut])
@requires(VIEW)
def list_entries(request: HttpRequest, competition_id: int) -> Any:
    """Entries; final scores and ranks only where you may see the results."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    entries = list(competition_entries(competition))
    if not results_visible(viewer_of(request), competition):
        for entry in entries:
            entry.final_score, entry.rank, entry.is_winner = None, None, False
    return entries


@router.post(
    "/competitions/{competition_id}/entries",
    response={201: EntryOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def add_entry(request: HttpRequest, competition_id: int, payload: EntryIn) -> Any:
    """Register a brand (title + org_id), an organization (org_id) or a person (person_id)."""
    competition = _managed_competition(request, competition_id)
    entry = services.entry_add(
        competition=competition,
        kind=payload.kind,
        title=payload.title,
        org=_org(request, payload.org_id),
        person=_person(request, payload.person_id),
        summary=payload.summary,
        acting_user=viewer_of(request),
    )
    return Status(201, entry)


@router.post(
    "/competitions/{competition_id}/judges",
    response={201: JudgeOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def add_judge(request: HttpRequest, competition_id: int, payload: JudgeIn) -> Any:
    """Appoint a judge: a user linked to a person you may see (not yourself); a missing
    and a hidden user id are the same 422."""
    competition = _managed_competition(request, competition_id)
    user = resolve_judge_user(
        viewer_of(request), payload.user_id, field="user_id", competition=competition
    )
    judge = services.judge_add(competition=competition, user=user, acting_user=viewer_of(request))
    return Status(201, judge)


def _step(request: HttpRequest, competition_id: int, service: Any, on: Any) -> Any:
    competition = _managed_competition(request, competition_id)
    service(competition=competition, on=on, acting_user=viewer_of(request))
    return get_competition_for_viewer(viewer_of(request), competition_id)


STEP_RESPONSES = {200: CompetitionOut, 403: ErrorOut, 422: ErrorOut}


@router.post("/competitions/{competition_id}/open", response=STEP_RESPONSES)
@requires(MANAGE)
def open_scoring(request: HttpRequest, competition_id: int, payload: StepIn) -> Any:
    """Freeze the rubric (weights must sum to 100 or 1) and let the judges score."""
    return _step(request, competition_id, services.competition_open_scoring, payload.on)


@router.post("/competitions/{competition_id}/decide", response=STEP_RESPONSES)
@requires(MANAGE)
def declare_winners(request: HttpRequest, competition_id: int, payload: StepIn) -> Any:
    """Close scoring, store final scores and ranks, and mark the top N winners."""
    return _step(request, competition_id, services.competition_declare_winners, payload.on)


@router.post("/competitions/{competition_id}/publish", response=STEP_RESPONSES)
@requires(MANAGE)
def publish_results(request: HttpRequest, competition_id: int, payload: StepIn) -> Any:
    return _step(request, competition_id, services.competition_publish, payload.on)


@router.get(
    "/competitions/{competition_id}/results",
    response={200: list[ResultOut], 403: ErrorOut},
)
@requires(VIEW)
def get_results(request: HttpRequest, competition_id: int) -> Any:
    """Ranked results: stored once winners are declared, computed live while scoring."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    if not results_visible(viewer_of(request), competition):
        raise PermissionDenied
    if competition.status in (CompetitionStatus.DECIDED, CompetitionStatus.PUBLISHED):
        entries = sorted(
            competition_entries(competition),
            key=lambda e: (e.rank is None, e.rank or 0, e.number),
        )
        judged = {r.entry_id: r.judges for r in competition_results(competition)}
        return [
            {
                "entry_id": e.pk,
                "number": e.number,
                "judges": judged.get(e.pk, 0),
                "final": e.final_score,
                "rank": e.rank,
                "is_winner": e.is_winner,
            }
            for e in entries
        ]
    return [
        {
            "entry_id": r.entry_id,
            "number": r.number,
            "judges": r.judges,
            "final": r.final,
            "rank": r.rank,
            "is_winner": r.is_winner,
        }
        for r in competition_results(competition)
    ]


@router.get(
    "/competitions/{competition_id}/sheet",
    response={200: list[SheetRowOut], 403: ErrorOut},
)
@login_required
def get_sheet(request: HttpRequest, competition_id: int) -> Any:
    """Your scoring sheet as a judge named to the competition; ``conflict`` says why you
    abstain from an entry. 403 for anyone not named a judge."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    sheet = judge_sheet(viewer=viewer_of(request), competition=competition)
    if sheet is None:
        raise PermissionDenied
    return [
        {
            "entry_id": row.entry.pk,
            "number": row.entry.number,
            "title": row.entry.title,
            "org_id": row.entry.org_id,
            "conflict": row.conflict,
            "scores": row.scores,
        }
        for row in sheet
    ]


@router.put(
    "/competitions/{competition_id}/entries/{entry_id}/scores",
    response={200: SheetRowOut, 403: ErrorOut, 422: ErrorOut},
)
@login_required
def put_scores(request: HttpRequest, competition_id: int, entry_id: int, payload: ScoresIn) -> Any:
    """Record your scores for one entry (every criterion); 403 on a conflict of interest."""
    competition = get_competition_for_viewer(viewer_of(request), competition_id)
    entry = get_entry(viewer_of(request), competition, entry_id)
    try:
        saved = services.score_record(
            entry=entry,
            judge_user=viewer_of(request),
            values=payload.scores,
            acting_user=viewer_of(request),
        )
    except services.ConflictOfInterest as refused:
        return Status(403, error_body("forbidden", refused.reason))
    return {
        "entry_id": entry.pk,
        "number": entry.number,
        "title": entry.title,
        "org_id": entry.org_id,
        "conflict": "",
        "scores": {s.criterion_id: s.value for s in saved},
    }


# Awards -----------------------------------------------------------------------------


@router.get("/awards", response=list[AwardOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_awards(
    request: HttpRequest, filters: Query[LedgerQuery], year: int | None = None, kind: str = ""
) -> Any:
    """Awards in your scope and those of the organizations above it. ``org``: that
    organization and its subtree, awarding (one outside your scope: 422, as for an
    unknown id); ``date_from``/``date_to``: the list published, inclusive (unpublished
    awards drop out); ``mine``: your person is nominated."""
    viewer = viewer_of(request)
    return stamped(
        award_list(
            viewer=viewer,
            year=year,
            kind=kind if kind in AwardKind.values else "",
            ledger=ledger_filter_for_api(viewer, filters, permission=VIEW),
        )
    )


@router.get("/awards/{award_id}", response=AwardOut)
@requires(VIEW)
def get_award(request: HttpRequest, award_id: int) -> Any:
    return get_award_for_viewer(viewer_of(request), award_id)


@router.post("/awards", response={201: AwardOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_award(request: HttpRequest, payload: AwardIn) -> Any:
    data = payload.dict()
    org = _org(request, data.pop("org_id"))
    award = services.award_create(org=org, **data, acting_user=viewer_of(request))  # type: ignore[arg-type]
    return Status(201, award)


@router.get("/awards/{award_id}/nominations", response=list[NominationOut])
@requires(VIEW)
def list_nominations(request: HttpRequest, award_id: int) -> Any:
    """Every nomination for the award's organizers; the published list for others."""
    award = get_award_for_viewer(viewer_of(request), award_id)
    return list(award_nominations(viewer=viewer_of(request), award=award))


@router.get("/awards/{award_id}/published", response=list[NominationOut])
@requires(VIEW)
def list_published(request: HttpRequest, award_id: int) -> Any:
    award = get_award_for_viewer(viewer_of(request), award_id)
    if award.published_on is None:
        raise Http404
    return list(published_list(award))


def _managed_award(request: HttpRequest, award_id: int) -> Any:
    award = get_award_for_viewer(viewer_of(request), award_id)
    if not can(viewer_of(request), "manage", award):
        raise PermissionDenied
    return award


@router.post(
    "/awards/{award_id}/nominations",
    response={201: NominationOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def nominate(request: HttpRequest, award_id: int, payload: NominationIn) -> Any:
    """Nominate an organization (org_id) or a person (person_id) you manage."""
    award = get_award_for_viewer(viewer_of(request), award_id)
    if not can_nominate(viewer_of(request), award):
        raise PermissionDenied
    nomination = services.nomination_create(
        award=award,
        org=_org(request, payload.org_id),
        person=_person(request, payload.person_id),
        deeds=payload.deeds,
        on=payload.on,
        acting_user=viewer_of(request),
    )
    return Status(201, nomination)


@router.post(
    "/awards/{award_id}/nominations/{nomination_id}/review",
    response={200: NominationOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def review(request: HttpRequest, award_id: int, nomination_id: int, payload: ReviewIn) -> Any:
    award = _managed_award(request, award_id)
    nomination = get_nomination(viewer_of(request), award, nomination_id)
    return services.nomination_review(
        nomination=nomination,
        approve=payload.approve,
        note=payload.note,
        on=payload.on,
        acting_user=viewer_of(request),
    )


@router.post("/awards/{award_id}/publish", response={200: AwardOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def publish_award(request: HttpRequest, award_id: int, payload: StepIn) -> Any:
    award = _managed_award(request, award_id)
    return services.award_publish(award=award, on=payload.on, acting_user=viewer_of(request))


@router.post("/awards/{award_id}/notice", response={200: AwardOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def notice_award(request: HttpRequest, award_id: int, payload: NoticeIn) -> Any:
    """Put the reviewed list on public notice (公示) from ``start`` to ``end``; the list
    can be published only after ``end``."""
    award = _managed_award(request, award_id)
    return services.award_notice_set(
        award=award, start=payload.start, end=payload.end, acting_user=viewer_of(request)
    )


@router.get("/awards/{award_id}/objections", response=list[ObjectionOut])
@requires(VIEW)
def list_objections(request: HttpRequest, award_id: int) -> Any:
    """The objections raised during the public notice (the awarding body's managers)."""
    award = _managed_award(request, award_id)
    return list(award_objections(viewer=viewer_of(request), award=award))


@router.post(
    "/awards/{award_id}/objections",
    response={201: ObjectionOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def record_objection(request: HttpRequest, award_id: int, payload: ObjectionIn) -> Any:
    award = _managed_award(request, award_id)
    objection = services.objection_record(
        award=award, **payload.dict(), acting_user=viewer_of(request)
    )
    return Status(201, objection)


@router.post(
    "/awards/{award_id}/nominations/from-competition",
    response={200: FromWinnersOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def nominate_winners(request: HttpRequest, award_id: int, payload: FromWinnersIn) -> Any:
    """The declared winners of a competition become nominations; winners already on
    the list are left alone, so repeating the call adds nothing."""
    award = _managed_award(request, award_id)
    competition = get_competition_for_viewer(viewer_of(request), payload.competition_id)
    done = services.nominations_from_winners(
        award=award, competition=competition, on=payload.on, acting_user=viewer_of(request)
    )
    return {
        "created": [n.pk for n in done.created],
        "already_nominated": done.already,
        "not_taken": done.unfit,
    }
