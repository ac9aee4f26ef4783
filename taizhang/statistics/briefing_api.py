"""Briefings under ``/api/v1/statistics/briefings``: read one (its sections, narrative
and corrections), write a draft's narrative, issue it, log a correction.

Its own router, added to the statistics router by ``api.py``; it imports nothing from
there. Scope as on the pages: a briefing the caller cannot see is a 404 (it is in the
path); one the caller sees but may not write (no ``statistics.brief`` on its
organization) is a 403, raised by the services; a changed figure sentence, a write to
an issued briefing or invalid text is a 422 with the reason; a write over someone
else's change since the caller's ``If-Match`` (the ``ETag`` of the GET) is a 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from taizhang.core.access import requires
from taizhang.core.schemas import ErrorOut
from taizhang.core.versions import parse_version, version_of
from taizhang.statistics import selectors, services
from taizhang.statistics.briefings import SLOTS
from taizhang.statistics.models import Briefing
from taizhang.statistics.permissions import BRIEF, VIEW, viewer_of

router = Router(tags=["statistics"])


class SectionOut(Schema):
    module: str
    title: str
    figures: str
    progress: str
    practices: str
    shortcomings: str
    next_steps: str


class CorrectionOut(Schema):
    id: int
    section: str | None
    text: str
    reason: str
    made_by: str
    made_at: dt.datetime


class BriefingOut(Schema):
    id: int
    org_id: int
    title: str
    state: str
    year: int
    number: int | None
    number_label: str
    period_start: dt.date
    period_end: dt.date
    digest: str
    version: int
    sections: list[SectionOut]
    corrections: list[CorrectionOut]


class SlotsIn(Schema):
    """A section's narrative; only the slots sent change. ``figures``, when sent, must
    be the computed sentence (a changed one is refused)."""

    progress: str | None = None
    practices: str | None = None
    shortcomings: str | None = None
    next_steps: str | None = None
    figures: str | None = None


class DraftPatchIn(Schema):
    sections: dict[str, SlotsIn]


class CorrectionIn(Schema):
    text: str
    reason: str
    section: str = ""


ERRORS = {403: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _out(briefing: Briefing, response: HttpResponse | None = None) -> dict[str, Any]:
    version = version_of(briefing)
    if response is not None:
        response["ETag"] = f'"{version}"'
    return {
        "id": briefing.pk,
        "org_id": briefing.org_id,
        "title": briefing.title,
        "state": briefing.state,
        "year": briefing.year,
        "number": briefing.number,
        "number_label": briefing.number_label,
        "period_start": briefing.period_start,
        "period_end": briefing.period_end,
        "digest": briefing.digest,
        "version": version,
        "sections": [
            {
                "module": row.module,
                "title": row.title,
                "figures": row.figures_text,
                **{slot: getattr(row, slot) for slot in SLOTS},
            }
            for row in briefing.sections.all()
        ],
        "corrections": [
            {
                "id": c.pk,
                "section": c.section.module if c.section else None,
                "text": c.text,
                "reason": c.reason,
                "made_by": c.made_by.display_name,
                "made_at": c.made_at,
            }
            for c in briefing.corrections.select_related("made_by", "section")
        ],
    }


def _seen(request: HttpRequest) -> int | None:
    return parse_version(request.headers.get("If-Match"))


@router.get("/briefings/{briefing_id}", response=BriefingOut)
@requires(VIEW)
def briefing_read(request: HttpRequest, briefing_id: int, response: HttpResponse) -> Any:
    """One briefing (a draft or an issue); the ``ETag`` is its version for ``If-Match``."""
    return _out(selectors.get_briefing_for_viewer(viewer_of(request), briefing_id), response)


@router.patch("/briefings/{briefing_id}", response={200: BriefingOut, **ERRORS})
@requires(BRIEF)
def briefing_draft_edit(
    request: HttpRequest, briefing_id: int, payload: DraftPatchIn, response: HttpResponse
) -> Any:
    """Write a draft's narrative: ``{"sections": {"activities": {"progress": "…"}}}``."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, briefing_id)
    sections = {module: slots.dict(exclude_none=True) for module, slots in payload.sections.items()}
    services.briefing_draft_edit(
        acting_user=viewer, briefing=briefing, sections=sections, version=_seen(request)
    )
    return _out(selectors.get_briefing_for_viewer(viewer, briefing_id), response)


@router.post("/briefings/{briefing_id}/issue", response={200: BriefingOut, **ERRORS})
@requires(BRIEF)
def briefing_issue(request: HttpRequest, briefing_id: int, response: HttpResponse) -> Any:
    """Issue a draft: numbered 第X期 of its organization and year, and locked."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, briefing_id)
    services.briefing_issue(acting_user=viewer, briefing=briefing, version=_seen(request))
    return _out(selectors.get_briefing_for_viewer(viewer, briefing_id), response)


@router.post("/briefings/{briefing_id}/corrections", response={201: BriefingOut, **ERRORS})
@requires(BRIEF)
def briefing_correct(request: HttpRequest, briefing_id: int, payload: CorrectionIn) -> Any:
    """Log a correction of an issued briefing (optionally of one section)."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, briefing_id)
    services.briefing_correct(
        acting_user=viewer,
        briefing=briefing,
        text=payload.text,
        reason=payload.reason,
        section=payload.section,
        version=_seen(request),
    )
    return Status(201, _out(selectors.get_briefing_for_viewer(viewer, briefing_id)))
