"""Pages of reporting tasks: check permission, validate, call one service."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import require, requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import int_or_none, submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.reporting import services
from taizhang.reporting.forms import (
    FillForm,
    OrgsForm,
    ReasonForm,
    RelayForm,
    TaskForm,
    below,
    builder_kinds,
    rows_of,
)
from taizhang.reporting.models import OPEN_STATES, AssignmentState, FieldKind, TaskState
from taizhang.reporting.permissions import ANSWER, FILL, ISSUE, VIEW, may_fill, may_issue, may_relay
from taizhang.reporting.selectors import (
    assignments_to_fill,
    board,
    fill_rows,
    get_assignment_for_viewer,
    get_task_for_viewer,
    metric_choices,
    relay_status,
    relayed_org_ids,
    review_rows,
    sees_issuer,
    tasks_issued,
)


@requires(VIEW)
def task_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return render(
        request,
        "reporting/list.html",
        {
            "to_fill": assignments_to_fill(viewer=viewer)[:100],
            "issued": tasks_issued(viewer=viewer)[:100],
            "can_issue": viewer.has_function(ISSUE),
            "today": timezone.localdate(),
        },
    )


def _builder_context(form: TaskForm, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "form": form,
        "rows": rows,
        "kinds": builder_kinds(),
        "metrics": sorted(form.metrics.items(), key=lambda item: item[1]),
    }


def _blank_row(i: int | str, kind: str = FieldKind.NUMBER) -> dict[str, Any]:
    return {"i": i, "label": "", "kind": kind, "unit": "", "choices": "", "metric": ""}


@requires(ISSUE)
def task_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = TaskForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.task_create(
            issuer=form.cleaned_data["issuer"],
            title=form.cleaned_data["title"],
            instructions=form.cleaned_data["instructions"],
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
            deadline=form.cleaned_data["deadline"],
            fields=form.field_ins,
            acting_user=viewer,
        ),
        success=_("The task was saved as a draft: check it and send it."),
    )
    if done.ok and done.result is not None:
        return redirect("reporting:detail", pk=done.result.pk)
    rows = form.rows if form.is_bound else [_blank_row(1, "ledger"), {**_blank_row(2)}]
    return render(request, "reporting/form.html", _builder_context(form, rows))


@requires(ISSUE)
def task_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    task = get_task_for_viewer(viewer, pk)
    require(may_issue(viewer, task) and task.state == TaskState.DRAFT)
    seen = seen_version(request, task)  # issue 19: another's change is shown, not lost
    form = TaskForm(request.POST or None, viewer=viewer, task=task)
    done = submit(
        request,
        form,
        lambda: services.task_update(
            task=task,
            title=form.cleaned_data["title"],
            instructions=form.cleaned_data["instructions"],
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
            deadline=form.cleaned_data["deadline"],
            fields=form.field_ins,
            acting_user=viewer,
            version=seen,
        ),
        success=_("Changes saved."),
    )
    if done.ok:
        return redirect("reporting:detail", pk=task.pk)
    rows = form.rows if form.is_bound else rows_of(task)
    context = _builder_context(form, rows)
    context["task"] = task
    context["version"] = page_version(form, task, seen)
    return render(request, "reporting/form.html", context)


@requires(ISSUE)
def field_row_view(request: HttpRequest) -> HttpResponse:
    """One more row of the field builder (htmx)."""
    viewer = viewer_of(request)
    return render(
        request,
        "reporting/_field_row.html",
        {
            "row": _blank_row(time.monotonic_ns()),
            "kinds": builder_kinds(),
            "metrics": sorted(metric_choices(viewer), key=lambda item: item[1]),
        },
    )


@requires(VIEW)
def task_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft (its fields, edit and send); a sent task's page is its board."""
    viewer = viewer_of(request)
    task = get_task_for_viewer(viewer, pk)
    if task.state != TaskState.DRAFT:
        if sees_issuer(viewer, task):
            return redirect("reporting:board", pk=task.pk)
        mine = assignments_to_fill(viewer=viewer).filter(task=task).first()
        if mine is None:
            raise Http404
        return redirect("reporting:fill", pk=mine.pk)
    form = OrgsForm(request.POST or None, org=task.issuer)
    done = submit(
        request,
        form,
        lambda: services.task_send(
            task=task, orgs=list(form.cleaned_data["orgs"]), acting_user=viewer
        ),
        success=_("The task was sent."),
    )
    if done.ok:
        return redirect("reporting:board", pk=task.pk)
    return render(
        request,
        "reporting/detail.html",
        {
            "task": task,
            "fields": list(task.fields.all()),
            "form": form,
            "can_issue": may_issue(viewer, task),
        },
    )


@requires(VIEW)
def task_board_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress board: one row per receiving unit, counts, accepted totals."""
    viewer = viewer_of(request)
    task = get_task_for_viewer(viewer, pk)
    if not sees_issuer(viewer, task):
        raise Http404
    return render(
        request,
        "reporting/board.html",
        {
            "task": task,
            "board": board(task),
            "can_issue": may_issue(viewer, task) and task.state == TaskState.SENT,
            "open_states": OPEN_STATES,
            "parent": task.parent_assignment,
        },
    )


@require_POST
@requires(ISSUE)
def task_urge_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    task = get_task_for_viewer(viewer, pk)
    one = int_or_none(request.POST.get("assignment"))
    assignment = task.assignments.select_related("org").filter(pk=one).first() if one else None
    if one and assignment is None:
        raise Http404
    try:
        n = services.task_urge(task=task, assignment=assignment, acting_user=viewer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Urged %(n)s units to report.") % {"n": n})
    return redirect("reporting:board", pk=task.pk)


@require_POST
@requires(ISSUE)
def task_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    task = get_task_for_viewer(viewer, pk)
    try:
        services.task_close(task=task, acting_user=viewer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The task was closed."))
    return redirect("reporting:board", pk=task.pk)


@requires(VIEW)
def board_export_view(request: HttpRequest) -> HttpResponse:
    return export_respond(request, "reporting.board")


@requires(VIEW)
def answers_export_view(request: HttpRequest) -> HttpResponse:
    return export_respond(request, "reporting.answers")


@requires(FILL)
def fill_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's form: prefilled from the records (and the units below), with the
    difference from the records shown; save as draft or submit."""
    viewer = viewer_of(request)
    assignment = get_assignment_for_viewer(viewer, pk)
    rows = fill_rows(assignment)
    editable = (
        may_fill(viewer, assignment)
        and assignment.state in OPEN_STATES
        and assignment.task.state == TaskState.SENT
    )
    form = FillForm(request.POST or None, request.FILES or None, rows=rows)
    if request.method == "POST":
        require(editable)
        if request.POST.get("action") == "submit":
            done = submit(
                request,
                form,
                lambda: services.assignment_submit(
                    assignment=assignment,
                    values=form.values(),
                    files=form.files_by_field(),
                    acting_user=viewer,
                ),
                success=_("The report was submitted for review."),
            )
        else:
            done = submit(
                request,
                form,
                lambda: services.answer_save(
                    assignment=assignment,
                    values=form.values(),
                    files=form.files_by_field(),
                    acting_user=viewer,
                ),
                success=_("Saved as a draft; submit it when complete."),
            )
        if done.ok:
            return redirect("reporting:fill", pk=assignment.pk)
    relayed = relay_status(assignment)
    return render(
        request,
        "reporting/fill.html",
        {
            "assignment": assignment,
            "task": assignment.task,
            "form": form,
            "editable": editable,
            "relayed": relayed,
            "can_relay": editable
            and may_relay(viewer, assignment)
            and below(assignment.org).exclude(pk__in=relayed_org_ids(assignment)).exists(),
        },
    )


@requires(FILL)
def relay_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Relay the task on to the units below the receiving unit."""
    viewer = viewer_of(request)
    assignment = get_assignment_for_viewer(viewer, pk)
    require(may_relay(viewer, assignment))
    form = RelayForm(
        request.POST or None,
        org=assignment.org,
        exclude=relayed_org_ids(assignment),
        initial=None if request.POST else {"deadline": assignment.task.deadline},
    )
    done = submit(
        request,
        form,
        lambda: services.task_relay(
            assignment=assignment,
            orgs=list(form.cleaned_data["orgs"]),
            deadline=form.cleaned_data["deadline"],
            acting_user=viewer,
        ),
        success=_("The task was relayed to the units below."),
    )
    if done.ok and done.result is not None:
        return redirect("reporting:board", pk=done.result.pk)
    return render(
        request,
        "reporting/relay.html",
        {"assignment": assignment, "task": assignment.task, "form": form},
    )


@requires(VIEW)
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's answers next to the records' figures; accept or send back."""
    viewer = viewer_of(request)
    assignment = get_assignment_for_viewer(viewer, pk)
    task = assignment.task
    if not sees_issuer(viewer, task):
        raise Http404
    return render(
        request,
        "reporting/review.html",
        {
            "assignment": assignment,
            "task": task,
            "rows": review_rows(assignment),
            "can_review": may_issue(viewer, task)
            and assignment.state == AssignmentState.SUBMITTED
            and task.state == TaskState.SENT,
            "reason_form": ReasonForm(),
            "relayed": relay_status(assignment),
        },
    )


@require_POST
@requires(ISSUE)
def accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    assignment = get_assignment_for_viewer(viewer, pk)
    try:
        services.assignment_accept(assignment=assignment, acting_user=viewer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The report was accepted."))
    return redirect("reporting:board", pk=assignment.task_id)


@requires(ISSUE)
def send_back_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    assignment = get_assignment_for_viewer(viewer, pk)
    form = ReasonForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda: services.assignment_send_back(
            assignment=assignment, reason=form.cleaned_data["reason"], acting_user=viewer
        ),
        success=_("The report was sent back to the unit."),
    )
    if done.ok:
        return redirect("reporting:board", pk=assignment.task_id)
    if not sees_issuer(viewer, assignment.task):
        raise Http404
    return render(
        request,
        "reporting/review.html",
        {
            "assignment": assignment,
            "task": assignment.task,
            "rows": review_rows(assignment),
            "can_review": may_issue(viewer, assignment.task),
            "reason_form": form,
            "relayed": relay_status(assignment),
        },
    )


@requires(VIEW)
def answer_file_view(request: HttpRequest, pk: int) -> FileResponse:
    viewer = viewer_of(request)
    answer = ANSWER.get(viewer, pk)
    if not answer.file:
        raise Http404
    return attachment_response(answer.file.open("rb"), answer.file_name)
