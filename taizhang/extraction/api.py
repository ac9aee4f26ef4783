"""REST endpoints of the report intake, under the same scope and services as the pages.

Mounted at ``/api/v1/ingest/reports`` (``PREFIX``): a report is brought in like an
Excel file is, into ``ingest``'s part of the API, though this module holds it.

- ``POST /api/v1/ingest/reports`` ``{org_id, title, year?, text?}`` or ``{…, file_name,
  file_base64}`` (a ``.txt`` in UTF-8 or GB18030, or a ``.docx``, at most 5 MB):
  202 with the intake's id, its state and its job; the extraction runs in the
  background (``taizhang worker``).
- ``GET /api/v1/ingest/reports/{id}``: state, the job's progress, and the drafts, each
  with its kind, fields, sentence, offsets into ``text`` and state.

Scope: ``extraction.manage`` on the organization to bring a report in (an organization
outside it: 422 on ``org_id``, the same as an unknown id), ``extraction.view`` to read
one (404 when it does not exist or is outside the scope).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.jobs import job_reap, job_snapshot
from taizhang.core.schemas import YEAR_MAX, YEAR_MIN, ErrorOut
from taizhang.extraction import services
from taizhang.extraction.models import ReportIntake
from taizhang.extraction.permissions import INTAKE, MANAGE, VIEW
from taizhang.extraction.selectors import get_intake_for_viewer, intake_drafts

PREFIX = "/ingest/reports"
router = Router(tags=["ingest"])
RUNNING = {"queued", "extracting"}
# The service's field names as the payload names them.
RENAMED = {"report_year": "year", "file": "file_base64"}


class IntakeIn(Schema):
    org_id: int = Field(description="the organization the report is booked on")
    title: Annotated[str, Field(min_length=1, max_length=200)]
    year: Annotated[int | None, Field(ge=YEAR_MIN, le=YEAR_MAX)] = Field(
        None, description="the report's year, when its dates give none and it has no dateline"
    )
    text: Annotated[str, Field(max_length=services.MAX_TEXT_CHARS)] = Field(
        "", description="the report's text; or give file_name and file_base64"
    )
    file_name: Annotated[str, Field(max_length=200)] = Field(
        "", description="a .txt (UTF-8 or GB18030) or .docx file's name"
    )
    file_base64: str = Field("", description="the file's bytes in base64, at most 5 MB")


class IntakeJobOut(Schema):
    id: int
    status: str
    done: int = Field(..., description="How many steps of the extraction are done (a count).")
    total: int = Field(..., description="How many steps it has in all, a count (not money).")
    stage: str


class IntakeDraftOut(Schema):
    id: int
    kind: str
    fields: dict[str, Any]
    sentence: str
    start: int
    end: int
    state: str
    object_type: str
    object_id: str


class IntakeOut(Schema):
    id: int
    org_id: int
    title: str
    state: str
    year: int | None
    message: str
    job: IntakeJobOut | None
    text: str
    drafts: list[IntakeDraftOut]


class IntakeCreatedOut(Schema):
    id: int
    state: str
    job: IntakeJobOut | None


def _job(intake: ReportIntake) -> dict[str, Any] | None:
    job = intake.job
    if job is None:
        return None
    if intake.state in RUNNING:
        job = job_reap(job)
        if job.finished:
            intake.refresh_from_db()
    snapshot = job_snapshot(job)
    return {
        "id": job.pk,
        "status": snapshot.status,
        "done": snapshot.done,
        "total": snapshot.total,
        "stage": snapshot.stage,
    }


@router.post("", response={202: IntakeCreatedOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_report(request: HttpRequest, payload: IntakeIn) -> Any:
    """Bring a report in (its text, or a file in base64) and queue its extraction: 202
    with the intake and its job. Poll ``GET …/{id}`` for the drafts."""
    viewer = viewer_of(request)
    org = INTAKE.org_choices(viewer, MANAGE).filter(pk=payload.org_id).first()
    if org is None:
        from taizhang.organizations.policy import unknown_message

        raise ValidationError({"org_id": unknown_message()})
    content = b""
    if payload.file_base64:
        try:
            content = base64.b64decode(payload.file_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError({"file_base64": _("The file is not valid base64.")}) from None
        if not payload.file_name:
            raise ValidationError({"file_name": _("Give the file's name (.txt or .docx).")})
    try:
        intake = services.intake_create(
            org=org,
            title=payload.title,
            text=payload.text,
            file_name=payload.file_name if content else "",
            content=content,
            report_year=payload.year,
            acting_user=viewer,
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {RENAMED.get(key, key): messages for key, messages in error.message_dict.items()}
        ) from None
    return Status(202, {"id": intake.pk, "state": intake.state, "job": _job(intake)})


@router.get("/{report_id}", response=IntakeOut)
@requires(VIEW)
def get_report(request: HttpRequest, report_id: int) -> Any:
    """One report: its state, the job's progress, and its drafts (each citing its
    sentence by ``start``/``end`` in ``text``); 404 when it does not exist or is
    outside your scope."""
    intake = get_intake_for_viewer(viewer_of(request), report_id)
    job = _job(intake)
    drafts = [] if intake.state in RUNNING else intake_drafts(intake)
    return {
        "id": intake.pk,
        "org_id": intake.org_id,
        "title": intake.title,
        "state": intake.state,
        "year": intake.report_year or (intake.meta or {}).get("year"),
        "message": intake.message,
        "job": job,
        "text": intake.text,
        "drafts": [
            {
                "id": d.pk,
                "kind": d.kind,
                "fields": d.fields or {},
                "sentence": d.sentence,
                "start": d.start,
                "end": d.end,
                "state": d.state,
                "object_type": d.object_type,
                "object_id": d.object_id,
            }
            for d in drafts
        ],
    }
