"""Pages of indicators beyond the list and ranking (which live in ``views.py``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import requires
from taizhang.core.exports import export_respond
from taizhang.core.forms import int_or_none, submit
from taizhang.core.versions import page_version, seen_version, version_of
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.statistics import composites, selectors, services
from taizhang.statistics.forms import CompositeForm, IndicatorEditForm, WeightsForm
from taizhang.statistics.indicators import INDICATOR_FIELDS
from taizhang.statistics.periods import Period, PeriodError
from taizhang.statistics.permissions import COMPOSITE, INDICATOR, MANAGE, VIEW, viewer_of


def indicator_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """What the indicator pages are asked for (the period, default this year; one
    indicator; the organization whose units are ranked); the export reads the same.
    An unreadable period or an organization outside the scope is a 404, as on the page."""
    text = get.get("period")
    try:
        period = (
            Period.parse(text, today=timezone.localdate())
            if text
            else Period.year(timezone.localdate().year)
        )
    except PeriodError:
        raise Http404 from None
    org_id = get.get("org")
    return {
        "period": period,
        "indicator": int_or_none(get.get("indicator")),
        "org": selectors.get_org_for_viewer(viewer, org_id) if org_id else None,
    }


@requires(VIEW)
def indicator_export(request: HttpRequest) -> HttpResponse:
    """The indicators' targets, actuals and ranks for the period as an .xlsx."""
    return export_respond(request, "statistics.indicator")


@requires(VIEW)
def indicator_evidence_view(request: HttpRequest, pk: int, entry_id: int) -> FileResponse:
    """The evidence file of a manual actual, to viewers who see the unit it was entered
    for; 404 otherwise, and when no file was attached."""
    indicator = selectors.get_indicator_for_viewer(viewer_of(request), pk)
    entry = selectors.get_entry_for_viewer(viewer_of(request), indicator, entry_id)
    if not entry.attachment:
        raise Http404
    return FileResponse(
        entry.attachment.open("rb"),
        as_attachment=True,
        filename=os.path.basename(entry.attachment.name),
    )


@requires(MANAGE)
def indicator_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an indicator's name, unit, direction, ranking rule and description; for
    managers whose scope holds the organization that set it (404 for anyone else)."""
    viewer = viewer_of(request)
    indicator = selectors.get_indicator_for_viewer(viewer, pk)
    if not INDICATOR.can_manage(viewer, indicator):
        raise Http404
    seen = seen_version(request, indicator)  # issue 19: another's change is shown, not lost
    fields = [name for name in INDICATOR_FIELDS if name not in IndicatorEditForm.FIXED]
    form = IndicatorEditForm(
        request.POST or None,
        viewer=viewer,
        initial={name: getattr(indicator, name) for name in fields},
    )
    done = submit(
        request,
        form,
        lambda: services.indicator_update(
            acting_user=viewer, indicator=indicator, version=seen, **form.cleaned_data
        ),
        success=_("The indicator was saved."),
    )
    if done.ok:
        return redirect("statistics:indicator_detail", pk=indicator.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/indicator_edit.html",
        {"indicator": indicator, "form": form, "version": page_version(form, indicator, seen)},
        status=status,
    )


# --- composite scores (综合考评, ADR 0059) -----------------------------------------------


@requires(VIEW)
def composite_list_view(request: HttpRequest) -> HttpResponse:
    """The composites the viewer sees, and (for managers) a form to set one up."""
    viewer = viewer_of(request)
    form = None
    if viewer.has_function(MANAGE):
        form = CompositeForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: composites.composite_create(acting_user=viewer, **form.cleaned_data),
            success=_("The composite score was set up; now give its indicators their weights."),
        )
        if done.ok and done.result is not None:
            return redirect("statistics:composite_detail", pk=done.result.pk)
    elif request.method == "POST":
        raise Http404
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/composite_list.html",
        {"composites": composites.composites_for(viewer), "form": form},
        status=status,
    )


@requires(VIEW)
def composite_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The units below an organization ranked on a composite score, each member's score
    and points beside; the owner's managers set the weights here."""
    viewer = viewer_of(request)
    composite = composites.get_composite_for_viewer(viewer, pk)
    can_weigh = COMPOSITE.can_manage(viewer, composite)
    form = None
    if can_weigh:
        members = composites.members_of(composite)
        form = WeightsForm(
            request.POST or None,
            indicators=list(composites.member_indicators(composite)),
            current={m.indicator_id: m.weight for m in members},
            initial={"version": version_of(composite)},
        )
        done = submit(
            request,
            form,
            lambda: composites.composite_weights_set(
                acting_user=viewer,
                composite=composite,
                weights=form.weights(),
                version=form.cleaned_data.get("version"),
            ),
            success=_("The weights were saved."),
        )
        if done.ok:
            return redirect("statistics:composite_detail", pk=composite.pk)
    elif request.method == "POST":
        raise Http404
    org_id = request.GET.get("org")
    owner = composite.owner
    if org_id or not ORGANIZATION.covers(viewer, owner, VIEW):
        parent = selectors.get_org_for_viewer(viewer, org_id)
    else:
        parent = owner
    members, rows = composites.composite_ranking(viewer, composite, parent)
    total = sum((m.weight for m in members), Decimal(0))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/composite_detail.html",
        {
            "composite": composite,
            "parent": parent,
            "members": members,
            "rows": rows,
            "weights_ok": total == 100,
            "weight_total": total,
            "period": Period.year(composite.year),
            "form": form,
        },
        status=status,
    )
