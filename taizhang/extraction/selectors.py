"""Reads of report intakes and drafts: through the intake's scope policy, always."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from taizhang.core.actors import Actor
from taizhang.extraction.models import Draft, DraftState, ReportIntake
from taizhang.extraction.permissions import DRAFT, INTAKE


def intake_list(*, viewer: Actor) -> QuerySet[ReportIntake]:
    """The intakes booked on organizations the viewer sees, newest first, with the
    count of their drafts by state."""
    return (
        INTAKE.queryset(viewer)
        .select_related("org", "created_by")
        .annotate(
            draft_count=Count("drafts"),
            pending_count=Count("drafts", filter=Q(drafts__state=DraftState.PENDING)),
            confirmed_count=Count("drafts", filter=Q(drafts__state=DraftState.CONFIRMED)),
        )
        .order_by("-pk")
    )


def get_intake_for_viewer(viewer: Actor, pk: Any) -> ReportIntake:
    """One intake, or the same 404 whether it is missing or out of scope."""
    base = ReportIntake.objects.select_related("org", "job", "created_by")
    return INTAKE.get(viewer, pk, base=base)


def get_draft_for_viewer(viewer: Actor, pk: Any) -> Draft:
    return DRAFT.get(viewer, pk, base=Draft.objects.select_related("intake", "intake__org"))


def intake_drafts(intake: ReportIntake) -> list[Draft]:
    drafts = list(intake.drafts.select_related("decided_by").order_by("position", "pk"))
    for draft in drafts:
        draft.intake = intake  # the review reads the intake through every draft
    return drafts
