"""Pages of indicators beyond the list and ranking (which live in ``views.py``)."""

from __future__ import annotations

import os

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from taizhang.core.access import requires
from taizhang.core.forms import submit
from taizhang.statistics import selectors, services
from taizhang.statistics.forms import IndicatorEditForm
from taizhang.statistics.indicators import INDICATOR_FIELDS
from taizhang.statistics.permissions import INDICATOR, MANAGE, VIEW, viewer_of


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
            acting_user=viewer, indicator=indicator, **form.cleaned_data
        ),
        success=_("The indicator was saved."),
    )
    if done.ok:
        return redirect("statistics:indicator_detail", pk=indicator.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/indicator_edit.html",
        {"indicator": indicator, "form": form},
        status=status,
    )
