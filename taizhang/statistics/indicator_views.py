"""Pages of indicators beyond the list and ranking (which live in ``views.py``)."""

from __future__ import annotations

import os

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from taizhang.core.access import requires
from taizhang.core.forms import add_service_errors
from taizhang.organizations.scope import scope_for
from taizhang.statistics import indicators
from taizhang.statistics.forms import IndicatorEditForm

VIEW = "statistics.view"
MANAGE = "statistics.manage"


@requires(VIEW)
def indicator_evidence_view(request: HttpRequest, pk: int, entry_id: int) -> FileResponse:
    """The evidence file of a manual actual, to viewers who see the unit it was entered
    for; 404 otherwise, and when no file was attached."""
    indicator = indicators.get_indicator_for_viewer(request.user, pk)
    entry = indicators.get_entry_for_viewer(request.user, indicator, entry_id)
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
    viewer = request.user
    indicator = indicators.get_indicator_for_viewer(viewer, pk)
    if not scope_for(viewer, MANAGE).covers(indicator.owner):
        raise Http404
    fields = [name for name in indicators.INDICATOR_FIELDS if name not in IndicatorEditForm.FIXED]
    form = IndicatorEditForm(
        request.POST or None,
        viewer=viewer,
        initial={name: getattr(indicator, name) for name in fields},
    )
    if request.method == "POST" and form.is_valid():
        try:
            indicators.indicator_update(actor=viewer, indicator=indicator, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect("statistics:indicator_detail", pk=indicator.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/indicator_edit.html",
        {"indicator": indicator, "form": form},
        status=status,
    )
