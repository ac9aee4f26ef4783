"""Pages of the project ledger: check permission, validate, call one service."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.projects import services
from taizhang.projects.exports import export_projects
from taizhang.projects.forms import (
    ProgressForm,
    ProjectForm,
    ScheduleForm,
    StageMoveForm,
    yuan_to_wan,
)
from taizhang.projects.models import Category, Project, Stage
from taizhang.projects.permissions import MANAGE, VIEW, can
from taizhang.projects.selectors import (
    SORTS,
    get_evidence_for_viewer,
    get_project_for_viewer,
    linked_leader_filter_choices,
    linked_projects,
    project_list,
    project_months,
    project_timeline,
    project_totals,
)


def list_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The list's filters from the query string (the export reads the same ones).

    Unknown values are dropped; ``org``, ``date_from``, ``date_to`` and ``mine`` are the
    shared ledger filters (``organizations/filters.py``): an organization outside the
    scope reads like an unknown one, the filter error is shown and the list is empty.
    """
    filters: dict[str, Any] = {"q": get.get("q", "").strip()[:60]}
    try:
        stage = int(get.get("stage", ""))
        filters["stage"] = stage if stage in Stage.values else None
    except ValueError:
        filters["stage"] = None
    filters["category"] = get.get("category", "") if get.get("category") in Category.values else ""
    filters["ledger"] = ledger_filter_from_query(
        viewer, get, permission=VIEW, date_label=_("Date listed")
    )
    try:
        filters["leader_id"] = int(get["leader"]) if get.get("leader") else None
    except ValueError:
        filters["leader_id"] = None
    filters["overdue"] = get.get("overdue") == "1"
    filters["sort"] = get.get("sort", "") if get.get("sort") in SORTS else ""
    return filters


@requires(VIEW)
def project_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = list_filters(viewer, request.GET)
    projects = project_list(viewer=viewer, **filters)
    page = Paginator(projects, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "totals": project_totals(projects),
        "stages": Stage.choices,
        "categories": Category.choices,
        "leaders": linked_leader_filter_choices(viewer=viewer),
        "sorts": SORTS,
        "can_manage": viewer.has_function(MANAGE),
    }
    return render(request, "projects/list.html", context)


@requires(VIEW)
def project_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an .xlsx 台账 laid out for print (a background task when large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if list_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_projects(request)


@requires(VIEW)
def project_mine(request: HttpRequest) -> HttpResponse:
    """我挂钩的项目: the viewer's linked projects; other modules add their blockers."""
    viewer = viewer_of(request)
    projects = list(linked_projects(viewer=viewer))
    totals = {
        "count": len(projects),
        "total_investment": sum(p.total_investment for p in projects),
        "overdue": sum(1 for p in projects if getattr(p, "is_overdue", False)),
    }
    return render(
        request,
        "projects/mine.html",
        {"projects": projects, "totals": totals, "has_person": bool(viewer.person_id)},
    )


def _detail_context(request: HttpRequest, project: Project, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    may_manage = can(viewer, "edit", project)
    plans = {p.stage: p for p in project.plans.all()}
    context: dict[str, Any] = {
        "project": project,
        "timeline": project_timeline(project),
        "months": project_months(project),
        "can_manage": may_manage,
        "today": timezone.localdate(),
    }
    if may_manage:
        context["move_form"] = forms.get("move_form") or StageMoveForm(
            initial={"to_stage": min(project.stage + 10, Stage.OPERATING)}
        )
        context["progress_form"] = forms.get("progress_form") or ProgressForm(
            viewer=viewer, initial={"reporter": project.responsible_id}
        )
        context["schedule_form"] = forms.get("schedule_form") or ScheduleForm(
            initial={f"planned_{s}": p.planned_on for s, p in plans.items()}
        )
    schedule_form = context.get("schedule_form")
    # The 补录 reason of the move that set each stage's actual date, if it was one.
    late: dict[int, str] = {}
    for entry in sorted(
        (e.change or (e.report.stage_change if e.report else None) for e in context["timeline"]),
        key=lambda c: (c.changed_on, c.pk) if c else (timezone.localdate(), 0),
    ):
        if entry is not None:
            late[entry.to_stage] = entry.late_reason
    context["schedule"] = [
        (
            stage,
            plans.get(stage.value),
            schedule_form[f"planned_{stage.value}"] if schedule_form else None,
            late.get(stage.value, ""),
        )
        for stage in Stage
    ]
    return context


@requires(VIEW)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_viewer(viewer_of(request), pk)
    return render(request, "projects/detail.html", _detail_context(request, project))


def _manageable(request: HttpRequest, pk: int, action: str) -> Project:
    project = get_project_for_viewer(viewer_of(request), pk)
    if not can(viewer_of(request), action, project):
        raise PermissionDenied
    return project


@requires(MANAGE)
def project_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ProjectForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.project_create(**form.service_kwargs(), acting_user=viewer),
        success=_("The project was put on the ledger."),
    )
    if done.ok and done.result is not None:
        return redirect("projects:detail", pk=done.result.pk)
    return render(request, "projects/form.html", {"form": form, "project": None})


@requires(MANAGE)
def project_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    project = _manageable(request, pk, "edit")
    # The version the editor opened (core.versions), read before the values shown: a
    # change by someone else since is shown on the form instead of being overwritten;
    # sending again keeps hers.
    seen = seen_version(request, project)
    initial = {
        field: getattr(project, field)
        for field in services.PROJECT_FIELDS
        if field not in {"total_investment", "annual_planned_investment"}
    }
    initial["co_units"] = list(project.co_units.all())
    initial["total_investment"] = yuan_to_wan(project.total_investment)
    initial["annual_planned_investment"] = yuan_to_wan(project.annual_planned_investment)
    form = ProjectForm(request.POST or None, viewer=viewer, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.project_update(
            project=project, acting_user=viewer, version=seen, **form.service_kwargs()
        ),
        success=_("The project was updated."),
    )
    if done.ok:
        return redirect("projects:detail", pk=project.pk)
    context = {"form": form, "project": project, "version": page_version(form, project, seen)}
    return render(request, "projects/form.html", context)


@requires(MANAGE)
@require_POST
def project_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    project = _manageable(request, pk, "move_stage")
    form = StageMoveForm(request.POST)
    done = submit(
        request,
        form,
        lambda: services.project_stage_move(
            project=project,
            to_stage=form.cleaned_data["to_stage"],
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
            late_reason=form.late_entry_reason(),
            acting_user=viewer,
        ),
        success=_("The stage was moved."),
    )
    if done.ok:
        return redirect("projects:detail", pk=project.pk)
    context = _detail_context(request, project, move_form=form)
    return render(request, "projects/detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def project_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    project = _manageable(request, pk, "report")
    form = ProgressForm(request.POST, request.FILES, viewer=viewer)

    def record() -> Any:
        data = form.cleaned_data
        return services.progress_report_create(
            project=project,
            reported_on=data["reported_on"],
            text=data["text"],
            reporter=data.get("reporter"),
            completed_investment=data.get("completed_investment") or 0,
            to_stage=data.get("to_stage"),
            reason=data.get("reason", ""),
            late_reason=form.late_entry_reason(),
            files=data.get("attachments") or [],
            acting_user=viewer,
        )

    if submit(request, form, record, success=_("The progress was recorded.")).ok:
        return redirect("projects:detail", pk=project.pk)
    context = _detail_context(request, project, progress_form=form)
    return render(request, "projects/detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def project_schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    project = _manageable(request, pk, "schedule")
    form = ScheduleForm(request.POST)
    done = submit(
        request,
        form,
        lambda: services.project_schedule_set(
            project=project, planned=form.planned(), acting_user=viewer
        ),
        success=_("The schedule was saved."),
    )
    if done.ok:
        return redirect("projects:detail", pk=project.pk)
    context = _detail_context(request, project, schedule_form=form)
    return render(request, "projects/detail.html", context, status=422)


@requires(VIEW)
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, to viewers who can see its project."""
    evidence = get_evidence_for_viewer(viewer_of(request), pk)
    return attachment_response(evidence.file.open("rb"), evidence.name)
