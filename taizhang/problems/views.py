"""Pages of the problem ledger: check permission, validate, call one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.counting import EstimatedPaginator
from taizhang.core.exports import export_respond
from taizhang.core.forms import submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.problems import services
from taizhang.problems.forms import (
    ProblemEditForm,
    ProblemForm,
    ReasonForm,
    StartForm,
    SubmitForm,
    VerifyForm,
)
from taizhang.problems.models import (
    ProblemCategory,
    ProblemEvidence,
    ProblemKind,
    ProblemSource,
    ProblemState,
    StepAction,
)
from taizhang.problems.permissions import available_actions, can, own_work, verifies_lead_unit
from taizhang.problems.selectors import (
    SORTS,
    get_instruction_for_viewer,
    get_problem_for_viewer,
    get_research_for_viewer,
    problem_counts,
    problem_list,
    problem_steps,
)

VIEW = "problems.view"
PAGE_SIZE = 50
TABS: dict[str, dict[str, Any]] = {
    "all": {},
    "mine": {"linked_to_viewer": True},
    "pending": {"awaiting_my_sign_off": True},
    "overdue": {"overdue": True},
}


def _filters(request: HttpRequest) -> dict[str, Any]:
    """Request parameters → selector filters; each may only narrow the viewer's scope."""
    return _query_filters(viewer_of(request), request.GET)


def list_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The list's filters and tab from the query string; the export reads the same ones."""
    tab = get.get("tab", "all")
    tab = tab if tab in TABS else "all"
    filters = _query_filters(viewer, get)
    if tab == "mine" and not filters["sort"]:
        filters["sort"] = "urgent"
    return {**filters, **TABS[tab]}


def _query_filters(viewer: Any, get: Any) -> dict[str, Any]:
    filters: dict[str, Any] = {
        "state": get.get("state", "")
        if get.get("state", "") in {*ProblemState.values, "active"}
        else "",
        "kind": get.get("kind", "")[:10],
        "source": get.get("source", "") if get.get("source", "") in ProblemSource.values else "",
        "category": get.get("category", "")
        if get.get("category", "") in ProblemCategory.values
        else "",
        "q": get.get("q", "").strip()[:60],
        "sort": get.get("sort", "") if get.get("sort", "") in {*SORTS, "urgent"} else "",
        # The shared filters (org and its subtree, dates, mine): organizations/filters.py.
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Date put on the ledger")
        ),
    }
    return filters


def _list(request: HttpRequest, tab: str) -> HttpResponse:
    viewer = viewer_of(request)
    filters = _filters(request)
    if tab == "mine" and not filters["sort"]:
        filters["sort"] = "urgent"
    problems = problem_list(viewer=viewer, **filters, **TABS[tab])
    page = EstimatedPaginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "problems/list.html",
        {
            "page": page,
            "tab": tab,
            "filters": filters,
            "counts": problem_counts(viewer=viewer, **TABS[tab]),
            "kinds": list(ProblemKind.objects.filter(is_active=True)),
            "states": ProblemState.choices,
            "sources": ProblemSource.choices,
            "categories": ProblemCategory.choices,
            "today": timezone.localdate(),
            "export_query": query.urlencode(),
            "can_create": viewer.has_function("problems.manage"),
        },
    )


@requires(VIEW)
def problem_list_view(request: HttpRequest) -> HttpResponse:
    return _list(request, "overdue" if request.GET.get("tab") == "overdue" else "all")


@requires(VIEW)
def problem_mine_view(request: HttpRequest) -> HttpResponse:
    """我挂钩的问题: problems whose linked leader is the viewer's person."""
    return _list(request, "mine")


@requires(VIEW)
def problem_pending_view(request: HttpRequest) -> HttpResponse:
    """本单位待销号: problems awaiting a sign-off the viewer may give."""
    return _list(request, "pending")


@requires(VIEW)
def problem_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as an Excel 挂账销号台账 (a background task when it is large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if list_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "problems.problem")


def _detail_context(request: HttpRequest, problem: Any, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    actions = available_actions(viewer, problem)
    steps = list(problem_steps(problem))
    raised = next((s for s in steps if s.action == StepAction.RAISE), None)
    return {
        "problem": problem,
        "steps": steps,
        "raised_late": raised if raised is not None and raised.late_reason else None,
        "evidence": list(problem.evidence.all()),
        "actions": actions,
        "start_form": forms.get("start_form") or StartForm(),
        "submit_form": forms.get("submit_form") or SubmitForm(),
        "verify_form": forms.get("verify_form") or VerifyForm(),
        "send_back_form": forms.get("send_back_form") or ReasonForm(prefix="back"),
        "reopen_form": forms.get("reopen_form") or ReasonForm(prefix="reopen"),
        "verify_blocked": _verify_blocked(viewer, problem),
        "today": timezone.localdate(),
        "origin_url": _origin_url(problem),
    }


def _origin_url(problem: Any) -> str:
    """A link to the origin record when its module offers ``<app>:detail``."""
    if not problem.origin_type or not problem.origin_id:
        return ""
    try:
        if problem.origin_type == "problems.instruction":
            return reverse("problems:instruction_detail", args=[problem.origin_id])
        if problem.origin_type == "problems.researchtopic":
            return reverse("problems:research_detail", args=[problem.origin_id])
        return reverse(f"{problem.origin_type.split('.')[0]}:detail", args=[problem.origin_id])
    except NoReverseMatch:
        return ""


def _verify_blocked(viewer: Actor, problem: Any) -> str:
    """Why a sign-off button is missing, so the user is not left guessing."""
    if problem.state != ProblemState.PENDING or can(viewer, "verify", problem):
        return ""
    if not verifies_lead_unit(viewer, problem):
        return _("Signing off needs the sign-off function on the lead unit.")
    if getattr(viewer, "person_id", None) is None:
        return _("Your account is not linked to a person; a sign-off needs a named verifier.")
    if viewer.person_id == problem.responsible_id:
        return _("You are the responsible person; someone else must sign off.")
    own = own_work(viewer, problem)
    if own == "raised":
        return _("You put this problem on the ledger; someone else must close it out.")
    if own == "submitted":
        return _("You submitted the evidence of this problem; someone else must close it out.")
    return _("Signing off needs the sign-off function on the lead unit.")


@requires(VIEW)
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_viewer(viewer_of(request), pk)
    return render(request, "problems/detail.html", _detail_context(request, problem))


def _from_instruction(request: HttpRequest, pk: int) -> dict[str, Any]:
    """A problem raised from a leader's instruction starts from it: the handling unit,
    the leader as linked leader, its deadline. A hidden instruction gives nothing."""
    try:
        instruction = get_instruction_for_viewer(viewer_of(request), pk)
    except Http404:
        return {}
    return {
        "org": instruction.org,
        "linked_leader": instruction.leader,
        "deadline": instruction.deadline,
        "source": ProblemSource.INSTRUCTION,
    }


def _from_research(request: HttpRequest, pk: int) -> dict[str, Any]:
    """A problem found by a research topic starts from it: the unit doing the research,
    its leading leader as linked leader, the source 实地调研. A hidden topic gives nothing."""
    try:
        topic = get_research_for_viewer(viewer_of(request), pk)
    except Http404:
        return {}
    return {
        "org": topic.org,
        "linked_leader": topic.lead_leader,
        "source": ProblemSource.SURVEY,
    }


@requires("problems.manage")
def problem_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    initial: dict[str, Any] = {"deadline": timezone.localdate() + dt.timedelta(days=30)}
    origin_type = request.GET.get("origin_type", "")[:60]
    origin_id = request.GET.get("origin_id", "")
    if origin_type and origin_id.isdigit():
        initial.update({"origin_type": origin_type, "origin_id": int(origin_id)})
    if request.GET.get("source") in ProblemSource.values:
        initial["source"] = request.GET["source"]
    if origin_type == "problems.instruction" and origin_id.isdigit():
        initial.update(_from_instruction(request, int(origin_id)))
    if origin_type == "problems.researchtopic" and origin_id.isdigit():
        initial.update(_from_research(request, int(origin_id)))
    form = ProblemForm(request.POST or None, viewer=viewer, initial=initial)

    def create() -> Any:
        data = form.cleaned_data
        late = form.late_entry()
        return services.problem_create(
            org=data["org"],
            title=data["title"],
            description=data["description"],
            kind=data["kind"],
            source=data["source"],
            category=data["category"],
            lead_unit=data["lead_unit"],
            co_units=list(data["co_units"]),
            linked_leader=data["linked_leader"],
            responsible=data["responsible"],
            deadline=data["deadline"],
            solved_on_spot=data["solved_on_spot"],
            origin_type=data["origin_type"] or "",
            origin_id=data["origin_id"],
            raised_on=late[0] if late else None,
            late_reason=late[1] if late else "",
            acting_user=viewer,
        )

    done = submit(request, form, create, success=_("The problem is on the ledger."))
    if done.ok and done.result is not None:
        return redirect("problems:detail", pk=done.result.pk)
    return render(
        request,
        "problems/form.html",
        {"form": form, "origin_type": initial.get("origin_type", "")},
    )


@requires("problems.manage")
def problem_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the details of a problem that is not yet submitted for sign-off."""
    viewer, problem = _act(request, pk, "edit")
    if problem.state not in (ProblemState.OPEN, ProblemState.IN_PROGRESS):
        messages.error(request, _("Only a problem that is not yet submitted can be edited."))
        return redirect("problems:detail", pk=problem.pk)
    seen = seen_version(request, problem)  # issue 19: another's change is shown, not lost
    initial = {
        "title": problem.title,
        "description": problem.description,
        "kind": problem.kind_id,
        "category": problem.category,
        "lead_unit": problem.lead_unit_id,
        "co_units": [u.pk for u in problem.co_units.all()],
        "linked_leader": problem.linked_leader_id,
        "responsible": problem.responsible_id,
        "deadline": problem.deadline,
        "solved_on_spot": problem.solved_on_spot,
    }
    form = ProblemEditForm(request.POST or None, viewer=viewer, initial=initial)

    def update() -> Any:
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if "co_units" in changed:
            changed["co_units"] = list(changed["co_units"])
        if changed:
            services.problem_update(problem=problem, acting_user=viewer, version=seen, **changed)
        return problem

    if submit(request, form, update, success=_("The problem is updated.")).ok:
        return redirect("problems:detail", pk=problem.pk)
    context = {"form": form, "problem": problem, "version": page_version(form, problem, seen)}
    return render(request, "problems/form.html", context)


def _act(request: HttpRequest, pk: int, action: str) -> tuple[Any, Any]:
    """The problem, if the viewer may see it (404) and take ``action`` on it (403)."""
    viewer = viewer_of(request)
    problem = get_problem_for_viewer(viewer, pk)
    if not can(viewer, action, problem):
        raise PermissionDenied
    return viewer, problem


def _late(form: Any) -> dict[str, Any]:
    """A step the clerk marked 补录: its real moment and reason for the service."""
    late = form.late_entry()
    if late is None:
        return {}
    return {"when": services.late_moment(late[0]), "late_reason": late[1]}


def _run(
    request: HttpRequest, problem: Any, form_key: str, form: Any, call: Any, ok: str
) -> HttpResponse:
    if submit(request, form, lambda: call(form), success=ok).ok:
        return redirect("problems:detail", pk=problem.pk)
    context = _detail_context(request, problem, **{form_key: form})
    context["action_errors"] = [str(e) for errors in form.errors.values() for e in errors]
    return render(request, "problems/detail.html", context, status=422)


@requires("problems.manage")
@require_POST
def problem_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, problem = _act(request, pk, "start")
    return _run(
        request,
        problem,
        "start_form",
        StartForm(request.POST),
        lambda form: services.problem_start(
            problem=problem,
            measures=form.cleaned_data["measures"],
            acting_user=viewer,
            **_late(form),
        ),
        _("Work on the problem has started."),
    )


@requires("problems.manage")
@require_POST
def problem_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, problem = _act(request, pk, "submit")
    return _run(
        request,
        problem,
        "submit_form",
        SubmitForm(request.POST, request.FILES),
        lambda form: services.problem_submit(
            problem=problem,
            evidence_text=form.cleaned_data["evidence_text"],
            files=form.cleaned_data["attachments"],
            acting_user=viewer,
            **_late(form),
        ),
        _("The evidence is submitted for sign-off."),
    )


@requires("problems.verify")
@require_POST
def problem_verify_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, problem = _act(request, pk, "verify")
    return _run(
        request,
        problem,
        "verify_form",
        VerifyForm(request.POST),
        lambda form: services.problem_verify(
            problem=problem, note=form.cleaned_data["note"], acting_user=viewer, **_late(form)
        ),
        _("The problem is closed out."),
    )


@requires("problems.verify")
@require_POST
def problem_send_back_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, problem = _act(request, pk, "send_back")
    return _run(
        request,
        problem,
        "send_back_form",
        ReasonForm(request.POST, prefix="back"),
        lambda form: services.problem_send_back(
            problem=problem, reason=form.cleaned_data["reason"], acting_user=viewer
        ),
        _("The problem is sent back for more work."),
    )


@requires("problems.verify")
@require_POST
def problem_reopen_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, problem = _act(request, pk, "reopen")
    return _run(
        request,
        problem,
        "reopen_form",
        ReasonForm(request.POST, prefix="reopen"),
        lambda form: services.problem_reopen(
            problem=problem, reason=form.cleaned_data["reason"], acting_user=viewer
        ),
        _("The problem is back on the ledger."),
    )


@requires(VIEW)
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    """An evidence file, served only to viewers who may see its problem."""
    problem = get_problem_for_viewer(viewer_of(request), pk)
    evidence = get_object_or_404(ProblemEvidence, pk=evidence_id, problem=problem)
    return attachment_response(evidence.file.open("rb"), evidence.original_name)
