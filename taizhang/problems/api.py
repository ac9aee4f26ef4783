"""REST endpoints of the problem ledger under ``/api/v1/problems``.

Ids in a request body are resolved through the scope policies and the form choice sets
(owning organization: ``POLICY`` manage scope; lead unit and co-units: ``unit_choices``;
responsible person: ``PERSON``; linked leader: ``leader_candidates``; origin: the origin
model's own policy): one that does not exist and one outside the scope get the same 422
with the same message.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from taizhang.api.sorting import checked_sort, sort_param
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut
from taizhang.core.versions import etag, if_match
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import leader_candidates
from taizhang.problems import services
from taizhang.problems.models import Problem, ProblemKind
from taizhang.problems.permissions import can
from taizhang.problems.selectors import (
    DEFAULT_SORT,
    SORTS,
    get_problem_for_viewer,
    owner_choices,
    pick,
    problem_list,
    unit_choices,
)

router = Router(tags=["problems"])


class ProblemOut(Stamped):
    id: int
    number: str
    title: str
    description: str
    kind: str
    source: str
    category: str
    state: str
    org_id: int
    org: str
    lead_unit_id: int
    lead_unit: str
    linked_leader_id: int | None
    linked_leader: str
    responsible_id: int | None
    responsible: str
    deadline: dt.date
    raised_on: dt.date
    closed_on: dt.date | None
    is_overdue: bool
    origin_type: str
    origin_id: int | None
    measures: str
    evidence_text: str

    @staticmethod
    def resolve_kind(obj: Problem) -> str:
        return obj.kind.name

    @staticmethod
    def resolve_org(obj: Problem) -> str:
        return obj.org.short_name

    @staticmethod
    def resolve_lead_unit(obj: Problem) -> str:
        return obj.lead_unit.short_name

    @staticmethod
    def resolve_linked_leader(obj: Problem) -> str:
        return obj.linked_leader.name if obj.linked_leader else ""

    @staticmethod
    def resolve_responsible(obj: Problem) -> str:
        return obj.responsible.name if obj.responsible else ""


class ProblemIn(Schema):
    org_id: int
    title: str
    description: str = ""
    kind_code: str = "problem"
    source: str
    category: str = "other"
    lead_unit_id: int | None = None
    co_unit_ids: list[int] = []
    linked_leader_id: int | None = None
    responsible_id: int | None = None
    deadline: dt.date
    origin_type: str = ""
    origin_id: int | None = None


class MeasuresIn(Schema):
    measures: str = ""


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str


def _unit(user: Actor, pk: int | None, field: str) -> Organization | None:
    return None if pk is None else pick(unit_choices(viewer=user), pk, field=field)


def _responsible(user: Actor, pk: int | None) -> Person | None:
    if pk is None:
        return None
    base = Person.objects.select_related("organization")
    return PERSON.resolve(user, pk, field="responsible_id", base=base)


def _leader(pk: int | None) -> Person | None:
    return None if pk is None else pick(leader_candidates(), pk, field="linked_leader_id")


# The list's sort keys: the selector's, and 待办's "urgent" (open first, most overdue).
PROBLEM_SORTS = (*SORTS, "urgent")


@router.get("", response=list[ProblemOut])
@paginate(LimitOffsetPagination)
@requires("problems.view")
def list_problems(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    state: str = "",
    source: str = "",
    category: str = "",
    overdue: bool = False,
    q: str = "",
    sort: str = sort_param(PROBLEM_SORTS, DEFAULT_SORT),
) -> Any:
    """Problems in your scope; filters only narrow it. ``org``: that organization and
    its subtree, as owning organization or lead unit (one outside your scope: 422, as
    for an unknown id); ``date_from``/``date_to``: put on the ledger, inclusive;
    ``mine``: you are the linked leader or the responsible person, or you put it on."""
    viewer = viewer_of(request)
    return stamped(
        problem_list(
            viewer=viewer,
            state=state,
            source=source,
            category=category,
            overdue=overdue,
            q=q[:60],
            sort=checked_sort(sort, PROBLEM_SORTS),
            ledger=ledger_filter_for_api(viewer, filters, permission="problems.view"),
        )
    )


@router.get("/{problem_id}", response=ProblemOut)
@requires("problems.view")
def get_problem(request: HttpRequest, problem_id: int, response: HttpResponse) -> Any:
    """One problem; 404 when it does not exist or is outside your scope. The ``ETag``
    header is its version (``core.versions``)."""
    problem = get_problem_for_viewer(viewer_of(request), problem_id)
    response["ETag"] = etag(problem)
    return problem


@router.post("", response={201: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.manage")
def create_problem(request: HttpRequest, payload: ProblemIn) -> Any:
    """Put a problem on the ledger in an organization of your scope."""
    user = viewer_of(request)
    kind = ProblemKind.objects.filter(code=payload.kind_code, is_active=True).first()
    if kind is None:
        raise ValidationError({"kind_code": "Unknown kind."})
    org = pick(owner_choices(viewer=user), payload.org_id, field="org_id")
    co_units = [
        pick(unit_choices(viewer=user), pk, field="co_unit_ids") for pk in payload.co_unit_ids
    ]
    problem = services.problem_create(
        org=org,
        title=payload.title,
        description=payload.description,
        kind=kind,
        source=payload.source,
        category=payload.category,
        lead_unit=_unit(user, payload.lead_unit_id, "lead_unit_id"),
        co_units=co_units,
        linked_leader=_leader(payload.linked_leader_id),
        responsible=_responsible(user, payload.responsible_id),
        deadline=payload.deadline,
        origin_type=payload.origin_type,
        origin_id=payload.origin_id,
        acting_user=user,
    )
    return Status(201, get_problem_for_viewer(user, problem.pk))


def _for_action(request: HttpRequest, problem_id: int, action: str) -> Problem:
    problem = get_problem_for_viewer(viewer_of(request), problem_id)
    if not can(viewer_of(request), action, problem):
        raise PermissionDenied
    return problem


@router.post("/{problem_id}/start", response={200: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.manage")
def start_problem(request: HttpRequest, problem_id: int, payload: MeasuresIn) -> Any:
    """挂账 → 整改中."""
    problem = _for_action(request, problem_id, "start")
    services.problem_start(
        problem=problem, measures=payload.measures, acting_user=viewer_of(request)
    )
    return get_problem_for_viewer(viewer_of(request), problem_id)


@router.post("/{problem_id}/submit", response={200: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.manage")
def submit_problem(
    request: HttpRequest,
    problem_id: int,
    evidence_text: Form[str],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """整改中 → 待验收, multipart: ``evidence_text`` and one or more ``files``."""
    problem = _for_action(request, problem_id, "submit")
    services.problem_submit(
        problem=problem,
        evidence_text=evidence_text,
        files=files or [],
        acting_user=viewer_of(request),
    )
    return get_problem_for_viewer(viewer_of(request), problem_id)


@router.post("/{problem_id}/verify", response={200: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.verify")
def verify_problem(request: HttpRequest, problem_id: int, payload: NoteIn) -> Any:
    """待验收 → 销号, by a verifier who is not the responsible person."""
    problem = get_problem_for_viewer(viewer_of(request), problem_id)
    # The service gives the precise reason (already closed, no evidence, own problem).
    services.problem_verify(problem=problem, note=payload.note, acting_user=viewer_of(request))
    return get_problem_for_viewer(viewer_of(request), problem_id)


@router.post("/{problem_id}/send-back", response={200: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.verify")
def send_back_problem(request: HttpRequest, problem_id: int, payload: ReasonIn) -> Any:
    """待验收 → 整改中, with a reason."""
    problem = _for_action(request, problem_id, "send_back")
    services.problem_send_back(
        problem=problem, reason=payload.reason, acting_user=viewer_of(request)
    )
    return get_problem_for_viewer(viewer_of(request), problem_id)


@router.post("/{problem_id}/reopen", response={200: ProblemOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.verify")
def reopen_problem(request: HttpRequest, problem_id: int, payload: ReasonIn) -> Any:
    """销号 → 挂账 (重新挂账), with a reason."""
    problem = _for_action(request, problem_id, "reopen")
    services.problem_reopen(problem=problem, reason=payload.reason, acting_user=viewer_of(request))
    return get_problem_for_viewer(viewer_of(request), problem_id)


class ProblemKindOut(Schema):
    id: int
    code: str
    name: str
    is_active: bool
    self_close_allowed: bool


class KindIn(Schema):
    code: str
    name: str
    sort_order: int = 100
    self_close_allowed: bool = False


@router.get("/kinds/", response=list[ProblemKindOut])
@requires("problems.view")
def list_kinds(request: HttpRequest) -> Any:
    """The kind dictionary (问题, 攻关事项, 调研课题, 为民办实事项目, 书记领跑项目 …)."""
    return ProblemKind.objects.all()


@router.post("/kinds/", response={201: ProblemKindOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.configure")
def create_kind(request: HttpRequest, payload: KindIn) -> Any:
    """Extend the kind dictionary (system administrators)."""
    kind = services.problem_kind_create(
        code=payload.code,
        name=payload.name,
        sort_order=payload.sort_order,
        self_close_allowed=payload.self_close_allowed,
        acting_user=viewer_of(request),
    )
    return Status(201, kind)


class KindPatch(Schema):
    name: str | None = None
    sort_order: int | None = None
    self_close_allowed: bool | None = None


@router.patch("/kinds/{kind_id}/", response={200: ProblemKindOut, 403: ErrorOut, 422: ErrorOut})
@requires("problems.configure")
def update_kind(request: HttpRequest, kind_id: int, payload: KindPatch) -> Any:
    """Rename, reorder or change a kind's self-close rule (the code stays). With
    ``If-Match: "<ETag>"`` a change someone else made since is a 409."""
    kind = get_object_or_404(ProblemKind, pk=kind_id)
    return services.problem_kind_update(
        kind=kind,
        changes=payload.dict(exclude_unset=True, exclude_none=True),
        acting_user=viewer_of(request),
        version=if_match(request),
    )


@router.post("/kinds/{kind_id}/deactivate/", response={200: ProblemKindOut, 403: ErrorOut})
@requires("problems.configure")
def deactivate_kind(request: HttpRequest, kind_id: int) -> Any:
    """No longer offered for new items; items of the kind keep it."""
    kind = get_object_or_404(ProblemKind, pk=kind_id)
    return services.problem_kind_set_active(kind=kind, active=False, acting_user=viewer_of(request))


@router.post("/kinds/{kind_id}/reactivate/", response={200: ProblemKindOut, 403: ErrorOut})
@requires("problems.configure")
def reactivate_kind(request: HttpRequest, kind_id: int) -> Any:
    kind = get_object_or_404(ProblemKind, pk=kind_id)
    return services.problem_kind_set_active(kind=kind, active=True, acting_user=viewer_of(request))
