"""REST endpoints of the project ledger, under the same scope and services as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from taizhang.api.sorting import checked_sort, sort_param
from taizhang.api.units import CAPACITY, SQUARE_METRES, YUAN, YUAN_PATCH
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.formatting import MAX_YUAN
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ConflictOut, ErrorOut
from taizhang.core.versions import etag, if_match
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.projects import services
from taizhang.projects.models import Category, Stage
from taizhang.projects.permissions import MANAGE, can
from taizhang.projects.selectors import (
    SORTS,
    UNIT_KINDS,
    get_project_for_viewer,
    linked_projects,
    project_list,
    resolve_leader,
    resolve_responsible,
    resolve_unit,
    resolve_units,
)

router = Router(tags=["projects"])


class ProjectOut(Stamped):
    id: int
    name: str
    category: str
    major_level: str = Field("", description="province, city, district or empty")
    org_id: int
    lead_unit_id: int
    co_unit_ids: list[int] = Field(default_factory=list)
    linked_leader_id: int | None
    responsible_id: int | None
    location: str
    total_investment: int = Field(..., description=YUAN)
    plan_year: int | None
    annual_planned_investment: int = Field(..., description=YUAN)
    completed_investment: int = Field(..., description=YUAN)
    building_area: Decimal | None = Field(..., description=SQUARE_METRES)
    land_area: Decimal | None = Field(..., description=SQUARE_METRES)
    capacity: Decimal | None = Field(..., description=CAPACITY)
    capacity_unit: str
    expected_jobs: int | None
    stage: int
    stage_label: str
    stage_since: dt.date
    is_overdue: bool = False

    @staticmethod
    def resolve_stage_label(obj: Any) -> str:
        return str(obj.get_stage_display())

    @staticmethod
    def resolve_co_unit_ids(obj: Any) -> list[int]:
        return [u.pk for u in obj.co_units.all()]


# 重大项目 levels as the API takes them ("" = not a major project); kept equal to
# MajorLevel by test_major_level.
MajorLevelIn = Literal["", "province", "city", "district"]


class ProjectIn(Schema):
    name: str
    category: Category
    major_level: MajorLevelIn = ""
    org_id: int
    lead_unit_id: int
    co_unit_ids: list[int] = []
    linked_leader_id: int | None = None
    responsible_id: int | None = None
    location: str = ""
    total_investment: int = Field(0, ge=0, le=MAX_YUAN, description=YUAN)
    plan_year: int | None = Field(None, ge=1949, le=2100)
    annual_planned_investment: int = Field(0, ge=0, le=MAX_YUAN, description=YUAN)
    building_area: Decimal | None = Field(None, description=SQUARE_METRES)
    land_area: Decimal | None = Field(None, description=SQUARE_METRES)
    capacity: Decimal | None = Field(None, description=CAPACITY)
    capacity_unit: str = ""
    expected_jobs: int | None = None
    description: str = ""


class ProjectPatch(Schema):
    name: str | None = None
    category: Category | None = None
    major_level: MajorLevelIn | None = None
    lead_unit_id: int | None = None
    linked_leader_id: int | None = None
    responsible_id: int | None = None
    location: str | None = None
    total_investment: int | None = Field(None, ge=0, le=MAX_YUAN, description=YUAN_PATCH)
    plan_year: int | None = Field(None, ge=1949, le=2100)
    annual_planned_investment: int | None = Field(None, ge=0, le=MAX_YUAN, description=YUAN_PATCH)
    expected_jobs: int | None = None
    description: str | None = None


class StageMoveIn(Schema):
    to_stage: Stage
    on: dt.date | None = None
    reason: str = ""
    late_reason: str = Field(
        "", max_length=200, description="补录: why a past move is entered only now"
    )


class ProgressIn(Schema):
    reported_on: dt.date
    text: str
    completed_investment: int = Field(0, ge=0, description=YUAN)
    to_stage: Stage | None = None
    reason: str = ""
    late_reason: str = Field(
        "", max_length=200, description="补录: why a past report is entered only now"
    )


class ProjectProgressOut(Schema):
    id: int
    reported_on: dt.date
    text: str
    completed_investment: int = Field(..., description=YUAN)
    stage_change_id: int | None


def resolve_org(viewer: Actor, pk: Any, *, field: str = "org_id") -> Organization:
    """An owning organization by id: a unit where the caller manages projects. A missing
    and an existing but unmanaged id give the same 422, so ids are not probed."""
    return ORGANIZATION.resolve(
        viewer,
        pk,
        field=field,
        base=Organization.objects.filter(kind__in=UNIT_KINDS),
        permission=MANAGE,
    )


def _resolve(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ids into objects; a missing and a hidden id are the same 422."""
    viewer = viewer_of(request)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "org_id":
            out["org"] = resolve_org(viewer, value)
        elif key == "lead_unit_id":
            out["lead_unit"] = resolve_unit(value, field=key)
        elif key == "co_unit_ids":
            out["co_units"] = resolve_units(value, field=key)
        elif key == "linked_leader_id":
            out["linked_leader"] = resolve_leader(value, field=key)
        elif key == "responsible_id":
            out["responsible"] = resolve_responsible(viewer, value, field=key)
        elif key == "major_level":
            out[key] = value or ""  # null or "" both mean "not a major project"
        else:
            out[key] = value
    return out


@router.get("", response=list[ProjectOut])
@paginate(LimitOffsetPagination)
@requires("projects.view")
def list_projects(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    stage: int | None = None,
    category: str = "",
    leader_id: int | None = None,
    overdue: bool = False,
    q: str = "",
    sort: str = sort_param(SORTS, "investment"),
) -> Any:
    """Projects in your scope; filters only narrow it. ``org``: that organization and its
    subtree (one outside your scope: 422, as for an unknown id); ``date_from``/``date_to``:
    put on the ledger, inclusive; ``mine``: you are its linked leader or responsible."""
    viewer = viewer_of(request)
    return stamped(
        project_list(
            viewer=viewer,
            ledger=ledger_filter_for_api(viewer, filters, permission="projects.view"),
            stage=stage,
            category=category,
            leader_id=leader_id,
            overdue=overdue,
            q=q,
            sort=checked_sort(sort, SORTS),
        ).prefetch_related("co_units")
    )


@router.get("/mine", response=list[ProjectOut])
@requires("projects.view")
def list_linked_projects(request: HttpRequest) -> Any:
    """Projects whose linked leader is you."""
    return stamped(linked_projects(viewer=viewer_of(request)).prefetch_related("co_units"))


@router.get("/{project_id}", response=ProjectOut)
@requires("projects.view")
def get_project(request: HttpRequest, project_id: int, response: HttpResponse) -> Any:
    """One project; 404 when it does not exist or is outside your scope. The ``ETag``
    header is its version: send it back as ``If-Match`` with a PATCH."""
    project = get_project_for_viewer(viewer_of(request), project_id)
    response["ETag"] = etag(project)
    return project


@router.post("", response={201: ProjectOut, 403: ErrorOut, 422: ErrorOut})
@requires("projects.manage")
def create_project(request: HttpRequest, payload: ProjectIn) -> Any:
    """Put a project on the ledger of an organization you manage."""
    data = _resolve(request, payload.dict())
    project = services.project_create(**data, acting_user=viewer_of(request))
    return Status(201, get_project_for_viewer(viewer_of(request), project.pk))


@router.patch(
    "/{project_id}",
    response={200: ProjectOut, 403: ErrorOut, 409: ConflictOut, 422: ErrorOut},
)
@requires("projects.manage")
def update_project(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Any:
    """Change ledger columns; only the fields you send. With ``If-Match: "<ETag>"``
    (from GET) a change someone else made since is a 409 naming it, not overwritten."""
    project = get_project_for_viewer(viewer_of(request), project_id)
    if not can(viewer_of(request), "edit", project):
        raise PermissionDenied
    data = _resolve(request, payload.dict(exclude_unset=True))
    seen = if_match(request)
    services.project_update(project=project, acting_user=viewer_of(request), version=seen, **data)
    return Status(200, get_project_for_viewer(viewer_of(request), project_id))


@router.post("/{project_id}/stage", response={200: ProjectOut, 403: ErrorOut, 422: ErrorOut})
@requires("projects.manage")
def move_stage(request: HttpRequest, project_id: int, payload: StageMoveIn) -> Any:
    """Move the project to another stage; going back needs a reason."""
    project = get_project_for_viewer(viewer_of(request), project_id)
    if not can(viewer_of(request), "move_stage", project):
        raise PermissionDenied
    services.project_stage_move(
        project=project,
        to_stage=int(payload.to_stage),
        on=payload.on,
        reason=payload.reason,
        late_reason=payload.late_reason,
        acting_user=viewer_of(request),
    )
    return Status(200, get_project_for_viewer(viewer_of(request), project_id))


@router.post(
    "/{project_id}/progress", response={201: ProjectProgressOut, 403: ErrorOut, 422: ErrorOut}
)
@requires("projects.manage")
def report_progress(request: HttpRequest, project_id: int, payload: ProgressIn) -> Any:
    """Record a progress entry (evidence files are uploaded through the page)."""
    viewer = viewer_of(request)
    project = get_project_for_viewer(viewer, project_id)
    if not can(viewer, "report", project):
        raise PermissionDenied
    report = services.progress_report_create(
        project=project,
        reported_on=payload.reported_on,
        text=payload.text,
        # The caller's own person record, when the account has one.
        reporter=getattr(viewer, "person", None),
        completed_investment=payload.completed_investment,
        to_stage=int(payload.to_stage) if payload.to_stage is not None else None,
        reason=payload.reason,
        late_reason=payload.late_reason,
        acting_user=viewer,
    )
    return Status(201, report)
