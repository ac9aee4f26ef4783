"""Pages of leaders' instructions (领导批示/交办): check permission, validate, call one
service. An instruction is read through ``INSTRUCTION_POLICY``; the problems raised from
it through the problem ledger's own policy."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version
from taizhang.problems import services
from taizhang.problems.forms import InstructionCompleteForm, InstructionForm
from taizhang.problems.models import Instruction, InstructionState, ProblemSource
from taizhang.problems.permissions import INSTRUCTION_POLICY, MANAGE, VIEW
from taizhang.problems.selectors import (
    get_instruction_for_viewer,
    instruction_list,
    instruction_problems_for_viewer,
)


@requires(VIEW)
def instruction_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    state = request.GET.get("state", "")
    if state not in InstructionState.values:
        state = ""
    overdue = request.GET.get("overdue") == "1"
    query = (request.GET.get("q") or "").strip()[:100]
    filters = {"state": state, "overdue": overdue, "q": query}
    rows = instruction_list(viewer=viewer, state=state, overdue=overdue, q=query)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "states": InstructionState.choices,
        "can_manage": viewer.has_function(MANAGE),
    }
    return render(request, "problems/instruction_list.html", context)


def _detail(
    request: HttpRequest,
    instruction: Instruction,
    *,
    complete_form: InstructionCompleteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = viewer_of(request)
    can_manage = INSTRUCTION_POLICY.can_manage(viewer, instruction)
    is_open = instruction.state == InstructionState.OPEN
    raise_url = (
        reverse("problems:create")
        + "?"
        + urlencode(
            {
                "origin_type": "problems.instruction",
                "origin_id": str(instruction.pk),
                "source": ProblemSource.INSTRUCTION,
            }
        )
    )
    context = {
        "instruction": instruction,
        "problems": instruction_problems_for_viewer(viewer, instruction),
        "can_manage": can_manage and is_open,
        "complete_form": (complete_form or InstructionCompleteForm())
        if can_manage and is_open
        else None,
        "raise_url": raise_url,
    }
    return render(request, "problems/instruction_detail.html", context, status=status)


@requires(VIEW)
def instruction_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_instruction_for_viewer(viewer_of(request), pk))


def _manageable(request: HttpRequest, pk: int) -> Instruction:
    instruction = get_instruction_for_viewer(viewer_of(request), pk)
    if not INSTRUCTION_POLICY.can_manage(viewer_of(request), instruction):
        raise PermissionDenied
    return instruction


@requires(MANAGE)
def instruction_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = InstructionForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.instruction_create(**form.cleaned_data, acting_user=viewer),
        success=_("The leader's instruction was recorded."),
    )
    if done.ok and done.result is not None:
        return redirect("problems:instruction_detail", pk=done.result.pk)
    return render(request, "problems/instruction_form.html", {"form": form, "instruction": None})


@requires(MANAGE)
def instruction_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    instruction = _manageable(request, pk)
    seen = seen_version(request, instruction)  # before the values shown are read
    initial = {field: getattr(instruction, field) for field in services.INSTRUCTION_FIELDS}
    form = InstructionForm(request.POST or None, viewer=viewer, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.instruction_update(
            instruction=instruction, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("The leader's instruction was updated."),
    )
    if done.ok:
        return redirect("problems:instruction_detail", pk=instruction.pk)
    context = {
        "form": form,
        "instruction": instruction,
        "version": page_version(form, instruction, seen),
    }
    return render(request, "problems/instruction_form.html", context)


@requires(MANAGE)
@require_POST
def instruction_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    instruction = _manageable(request, pk)
    form = InstructionCompleteForm(request.POST)
    done = submit(
        request,
        form,
        lambda: services.instruction_complete(
            instruction=instruction, acting_user=viewer, **form.cleaned_data
        ),
        success=_("The instruction was completed and its result recorded."),
    )
    if done.ok:
        return redirect("problems:instruction_detail", pk=instruction.pk)
    return _detail(request, instruction, complete_form=form, status=422)
