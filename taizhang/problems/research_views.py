"""Pages of research topics (调研课题): check permission, validate, call one service. A
topic is read through ``RESEARCH_POLICY``; the problems raised from it through the
problem ledger's own policy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.problems import services
from taizhang.problems.forms import (
    ResearchAdvanceForm,
    ResearchOutcomeForm,
    ResearchReportForm,
    ResearchTopicForm,
)
from taizhang.problems.models import ResearchStage, ResearchTopic
from taizhang.problems.permissions import MANAGE, RESEARCH_POLICY, VIEW
from taizhang.problems.selectors import (
    get_research_for_viewer,
    research_list,
    research_problems_for_viewer,
    research_stage_counts,
)


@requires(VIEW)
def research_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    stage = request.GET.get("stage", "")
    if stage not in ResearchStage.values:
        stage = ""
    query = (request.GET.get("q") or "").strip()[:100]
    rows = research_list(viewer=viewer, stage=stage, q=query)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": {"stage": stage, "q": query},
        "stages": ResearchStage.choices,
        "counts": research_stage_counts(viewer=viewer, q=query),
        "can_manage": viewer.has_function(MANAGE),
    }
    return render(request, "problems/research_list.html", context)


def _detail(
    request: HttpRequest, topic: ResearchTopic, *, status: int = 200, **forms: Any
) -> HttpResponse:
    viewer = viewer_of(request)
    can_manage = RESEARCH_POLICY.can_manage(viewer, topic)
    steps = {step.stage: step for step in topic.steps.all()}
    strip = [
        {"value": value, "label": label, "step": steps.get(value), "current": value == topic.stage}
        for value, label in ResearchStage.choices
    ]
    raise_url = (
        reverse("problems:create")
        + "?"
        + urlencode({"origin_type": "problems.researchtopic", "origin_id": str(topic.pk)})
    )
    next_stage = topic.next_stage
    context = {
        "topic": topic,
        "strip": strip,
        "team": list(topic.team.all()),
        "outcomes": list(topic.outcomes.all()),
        "problems": research_problems_for_viewer(viewer, topic),
        "can_manage": can_manage,
        "next_stage": next_stage,
        "next_label": ResearchStage(next_stage).label if next_stage else "",
        "advance_form": (forms.get("advance_form") or ResearchAdvanceForm(prefix="move"))
        if can_manage and next_stage
        else None,
        "report_form": (
            forms.get("report_form")
            or ResearchReportForm(
                prefix="report",
                initial={"report_title": topic.report_title or topic.title}
                | ({"report_on": topic.report_on} if topic.report_on else {})
                | {"report_text": topic.report_text},
            )
        )
        if can_manage and topic.stage == ResearchStage.REPORT
        else None,
        "outcome_form": (forms.get("outcome_form") or ResearchOutcomeForm(prefix="outcome"))
        if can_manage and topic.stage == ResearchStage.OUTCOME
        else None,
        "raise_url": raise_url,
    }
    return render(request, "problems/research_detail.html", context, status=status)


@requires(VIEW)
def research_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_research_for_viewer(viewer_of(request), pk))


def _manageable(request: HttpRequest, pk: int) -> ResearchTopic:
    topic = get_research_for_viewer(viewer_of(request), pk)
    if not RESEARCH_POLICY.can_manage(viewer_of(request), topic):
        raise PermissionDenied
    return topic


@requires(MANAGE)
def research_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ResearchTopicForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.research_topic_create(**form.cleaned_data, acting_user=viewer),
        success=_("The research topic was recorded."),
    )
    if done.ok and done.result is not None:
        return redirect("problems:research_detail", pk=done.result.pk)
    return render(request, "problems/research_form.html", {"form": form, "topic": None})


@requires(MANAGE)
def research_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    topic = _manageable(request, pk)
    seen = seen_version(request, topic)  # before the values shown are read
    initial = {field: getattr(topic, field) for field in services.RESEARCH_EDITABLE - {"team"}}
    initial["team"] = list(topic.team.all())
    form = ResearchTopicForm(request.POST or None, viewer=viewer, editing=True, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.research_topic_update(
            topic=topic, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("The research topic was updated."),
    )
    if done.ok:
        return redirect("problems:research_detail", pk=topic.pk)
    context = {"form": form, "topic": topic, "version": page_version(form, topic, seen)}
    return render(request, "problems/research_form.html", context)


@requires(MANAGE)
@require_POST
def research_advance_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    topic = _manageable(request, pk)
    form = ResearchAdvanceForm(request.POST, prefix="move")

    def advance() -> ResearchTopic:
        late = form.late_entry()
        return services.research_topic_advance(
            topic=topic,
            stage=request.POST.get("stage", ""),
            on=late[0] if late else None,
            late_reason=late[1] if late else "",
            note=form.cleaned_data["note"],
            acting_user=viewer,
        )

    done = submit(request, form, advance, success=_("The research topic moved on."))
    if done.ok:
        return redirect("problems:research_detail", pk=topic.pk)
    return _detail(request, topic, advance_form=form, status=422)


@requires(MANAGE)
@require_POST
def research_report_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    topic = _manageable(request, pk)
    form = ResearchReportForm(request.POST, request.FILES, prefix="report")

    def record() -> ResearchTopic:
        data = form.cleaned_data
        return services.research_report_record(
            topic=topic,
            report_title=data["report_title"],
            report_on=data["report_on"],
            report_text=data["report_text"],
            files=request.FILES.getlist("report-report_file"),
            acting_user=viewer,
        )

    done = submit(request, form, record, success=_("The research report was recorded."))
    if done.ok:
        return redirect("problems:research_detail", pk=topic.pk)
    return _detail(request, topic, report_form=form, status=422)


@requires(MANAGE)
@require_POST
def research_outcome_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    topic = _manageable(request, pk)
    form = ResearchOutcomeForm(request.POST, prefix="outcome")
    done = submit(
        request,
        form,
        lambda: services.research_outcome_add(topic=topic, acting_user=viewer, **form.cleaned_data),
        success=_("The outcome was recorded."),
    )
    if done.ok:
        return redirect("problems:research_detail", pk=topic.pk)
    return _detail(request, topic, outcome_form=form, status=422)


@requires(VIEW)
def research_report_download(request: HttpRequest, pk: int) -> FileResponse:
    """The report file, served only to viewers who may see its topic."""
    topic = get_research_for_viewer(viewer_of(request), pk)
    if not topic.report_file:
        raise Http404
    return attachment_response(topic.report_file.open("rb"), topic.report_file_name)
