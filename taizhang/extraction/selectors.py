"""Reads of report intakes and drafts: through the intake's scope policy, always."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from taizhang.core.actors import Actor
from taizhang.extraction.models import Draft, DraftState, ReportIntake
from taizhang.extraction.permissions import DRAFT, INTAKE
from taizhang.organizations.models import Organization


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


def reported_figures(org: Organization, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """The figures confirmed from reports as reported by ``org`` over exactly
    ``[start, end]``, for a briefing's 「各单位报送情况」 (``core.registry.REPORTED_ITEMS``):
    据报告《…》, not a ledger figure. The latest confirmation of a metric wins."""
    rows = (
        Draft.objects.filter(
            kind="reported_figure",
            state=DraftState.CONFIRMED,
            fields__confirmed__org=org.pk,
            fields__confirmed__period_start=start.isoformat(),
            fields__confirmed__period_end=end.isoformat(),
        )
        .select_related("intake")
        .order_by("-decided_at", "-pk")
    )
    found: dict[str, dict[str, str]] = {}
    for draft in rows:
        figure = draft.fields["confirmed"]
        if figure["metric"] in found:
            continue
        found[figure["metric"]] = {
            "key": f"reported:{figure['metric']}",
            "label": figure["metric"],
            "value": figure["value"],
            "text": f"{figure['value']}{figure.get('unit') or ''}",
            "task": gettext("the report “%(title)s”") % {"title": draft.intake.title},
        }
    return list(found.values())
