"""Pages of the groundbreaking batches (集中开工): check permission, validate, call one
service. A batch is read through ``BATCH_POLICY``; its projects through the project
ledger's policy, so a clerk sees only the projects of her own scope in a district batch."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version
from taizhang.projects import services
from taizhang.projects.forms import BatchForm, BatchProjectsForm
from taizhang.projects.models import StartBatch
from taizhang.projects.permissions import BATCH_POLICY, MANAGE, VIEW
from taizhang.projects.selectors import (
    batch_candidates,
    batch_list,
    batch_projects,
    get_batch_for_viewer,
    get_project_for_viewer,
)

# Candidates offered at once on a batch's page; a search narrows them.
CANDIDATES_SHOWN = 200


@requires(VIEW)
def batch_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    page = Paginator(batch_list(viewer=viewer), 30).get_page(request.GET.get("page"))
    context = {"page": page, "can_manage": viewer.has_function(MANAGE)}
    return render(request, "projects/batch_list.html", context)


def _candidates_form(
    request: HttpRequest, batch: StartBatch, data: object = None
) -> BatchProjectsForm:
    query = (request.GET.get("q") or "").strip()
    candidates = batch_candidates(viewer=viewer_of(request))
    if query:
        candidates = candidates.filter(name__icontains=query)
    if data is None:
        candidates = candidates[:CANDIDATES_SHOWN]
    return BatchProjectsForm(data, candidates=candidates, auto_id="id_add_%s")


def _detail(
    request: HttpRequest,
    batch: StartBatch,
    *,
    add_form: BatchProjectsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = viewer_of(request)
    projects = batch_projects(viewer=viewer, batch=batch)
    totals = projects.order_by().aggregate(count=Count("pk"), investment=Sum("total_investment"))
    can_manage = BATCH_POLICY.can_manage(viewer, batch)
    context = {
        "batch": batch,
        "projects": projects,
        "totals": {key: value or 0 for key, value in totals.items()},
        "can_manage": can_manage,
        "add_form": (add_form or _candidates_form(request, batch)) if can_manage else None,
        "q": request.GET.get("q", ""),
    }
    return render(request, "projects/batch_detail.html", context, status=status)


@requires(VIEW)
def batch_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_batch_for_viewer(viewer_of(request), pk))


def _manageable(request: HttpRequest, pk: int) -> StartBatch:
    batch = get_batch_for_viewer(viewer_of(request), pk)
    if not BATCH_POLICY.can_manage(viewer_of(request), batch):
        raise PermissionDenied
    return batch


@requires(MANAGE)
def batch_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = BatchForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.batch_create(**form.cleaned_data, acting_user=viewer),
        success=_("The groundbreaking batch was recorded."),
    )
    if done.ok and done.result is not None:
        return redirect("projects:batch_detail", pk=done.result.pk)
    return render(request, "projects/batch_form.html", {"form": form, "batch": None})


@requires(MANAGE)
def batch_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    batch = _manageable(request, pk)
    seen = seen_version(request, batch)  # before the values shown are read
    initial = {field: getattr(batch, field) for field in services.BATCH_FIELDS}
    form = BatchForm(request.POST or None, viewer=viewer, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.batch_update(
            batch=batch, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("The groundbreaking batch was updated."),
    )
    if done.ok:
        return redirect("projects:batch_detail", pk=batch.pk)
    context = {"form": form, "batch": batch, "version": page_version(form, batch, seen)}
    return render(request, "projects/batch_form.html", context)


@requires(MANAGE)
@require_POST
def batch_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    batch = _manageable(request, pk)
    form = _candidates_form(request, batch, request.POST)
    done = submit(
        request,
        form,
        lambda: services.batch_add_projects(
            batch=batch,
            projects=list(form.cleaned_data["projects"]),
            break_ground=form.cleaned_data["break_ground"],
            acting_user=viewer,
        ),
        success=_("The projects were put into the batch."),
    )
    if done.ok:
        return redirect("projects:batch_detail", pk=batch.pk)
    return _detail(request, batch, add_form=form, status=422)


@requires(MANAGE)
@require_POST
def batch_remove_view(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    batch = _manageable(request, pk)
    project = get_project_for_viewer(viewer, project_pk)
    try:
        services.batch_remove_project(batch=batch, project=project, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(
            request, _("%(project)s was taken out of the batch.") % {"project": project}
        )
    return redirect("projects:batch_detail", pk=batch.pk)
