"""Pages of the import flow: pick a ledger, download its template, upload, check, import."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import AUTHENTICATED, requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import XLSX
from taizhang.core.imports import Importer, write_template
from taizhang.core.jobs import job_reap, job_snapshot
from taizhang.ingest.forms import UploadForm
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.selectors import batch_list, get_batch_for_viewer
from taizhang.ingest.services import (
    AlreadyImported,
    batch_import,
    batch_touched,
    batch_undo,
    batch_upload,
    importer_for,
    importers_for,
)


def _importer(request: HttpRequest, kind: str) -> Importer:
    try:
        importer = importer_for(kind)
    except KeyError:
        raise Http404 from None
    if not request.user.has_function(importer.permission):  # type: ignore[union-attr]
        raise PermissionDenied
    return importer


@requires(AUTHENTICATED)
def hub(request: HttpRequest) -> HttpResponse:
    """Every import the person may start, and her recent batches."""
    importers = importers_for(request.user)
    batches = batch_list(viewer=viewer_of(request))[:20]
    labels = {i.kind: i.label for i in importers}
    return render(
        request,
        "ingest/hub.html",
        {"importers": importers, "batches": batches, "labels": labels},
    )


@requires(AUTHENTICATED)
def start(request: HttpRequest, kind: str) -> HttpResponse:
    """One ledger's import: the template, the upload, the batches brought in so far."""
    importer = _importer(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = batch_upload(
                kind=kind,
                file_name=upload.name,
                content=upload.read(),
                acting_user=viewer_of(request),
            )
        except AlreadyImported as done:
            messages.info(
                request,
                _(
                    "This file was imported on %(date)s (batch %(batch)s); "
                    "it was not imported again."
                )
                % {"date": f"{done.batch.imported_at:%Y-%m-%d %H:%M}", "batch": done.batch.pk},
            )
            return redirect("ingest:start", kind=kind)
        return redirect("ingest:batch", pk=batch.pk)
    context = {
        "importer": importer,
        "form": form,
        "batches": batch_list(viewer=viewer_of(request), kind=kind)[:20],
    }
    return render(request, "ingest/start.html", context)


@requires(AUTHENTICATED)
def template(request: HttpRequest, kind: str) -> HttpResponse:
    importer = _importer(request, kind)
    response = HttpResponse(write_template(importer), content_type=XLSX)
    name = _("%(ledger)s_import_template.xlsx") % {"ledger": importer.label}
    response["Content-Disposition"] = (
        f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response


@requires(AUTHENTICATED)
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch: progress while it runs, then its errors or its preview and the buttons."""
    found = get_batch_for_viewer(viewer_of(request), pk)
    job = job_reap(found.job) if found.job else None
    if job is not None and job.finished:
        found.refresh_from_db()
    importer = importer_for(found.kind)
    running = found.status in {BatchStatus.CHECKING, BatchStatus.IMPORTING}
    context = {
        "batch": found,
        "importer": importer,
        "job": job,
        "snapshot": job_snapshot(job) if job else None,
        "running": running,
        "touched": batch_touched(found) if found.status == BatchStatus.IMPORTED else 0,
        "can_undo": importer.can_undo,
    }
    template_name = "ingest/_batch.html" if request.htmx else "ingest/batch.html"  # type: ignore[attr-defined]
    return render(request, template_name, context)


@require_POST
@requires(AUTHENTICATED)
def batch_run(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_batch_for_viewer(viewer_of(request), pk)
    try:
        batch_import(batch=found, acting_user=viewer_of(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("ingest:batch", pk=found.pk)


@require_POST
@requires(AUTHENTICATED)
def batch_revert(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_batch_for_viewer(viewer_of(request), pk)
    try:
        batch_undo(batch=found, acting_user=viewer_of(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("The batch was undone: the records it created are removed."))
    return redirect(reverse("ingest:batch", kwargs={"pk": found.pk}))
