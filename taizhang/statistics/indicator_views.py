"""Pages of indicators beyond the list and ranking (which live in ``views.py``)."""

from __future__ import annotations

import os

from django.http import FileResponse, Http404, HttpRequest

from taizhang.core.access import requires
from taizhang.statistics import indicators

VIEW = "statistics.view"


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
