"""Pages for demands: check permission, validate, call one service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import submit
from taizhang.demands import services
from taizhang.demands.forms import (
    AssignForm,
    DemandForm,
    FollowUpForm,
    MergeForm,
    RaiseProblemForm,
    ReplyForm,
)
from taizhang.demands.models import Channel, DemandCategory, DemandState
from taizhang.demands.permissions import DEMAND, FOLLOW_UP, available_actions, can
from taizhang.demands.selectors import (
    SORTS,
    can_view_personal,
    demand_counts,
    demand_list,
    demand_steps,
    demand_timings,
    get_demand_for_viewer,
    service_figures,
)
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.problems.selectors import problems_for_origin

VIEW = "demands.view"
MANAGE = "demands.manage"
PAGE_SIZE = 50
TABS: dict[str, dict[str, Any]] = {
    "all": {},
    "to_handle": {"to_handle": True},
    "overdue": {"overdue": True},
    "enterprise": {"enterprise_only": True},
}


def list_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """The list's query string as ``demand_list`` arguments (the tab included): the
    list page and its Excel export read the same filters."""
    state = get.get("state", "")
    channel = get.get("channel", "")
    sort = get.get("sort", "")
    tab = get.get("tab", "all")
    return {
        "state": state if state in {*DemandState.values, "active"} else "",
        "channel": channel if channel in Channel.values else "",
        "category": get.get("category", "")[:10],
        "q": get.get("q", "").strip()[:60],
        "sort": sort if sort in SORTS else "",
        # The shared filters (org and its subtree, dates, mine): organizations/filters.py.
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Date received")
        ),
        **TABS.get(tab, {}),
    }


@requires(VIEW)
def demand_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    tab = request.GET.get("tab", "all")
    tab = tab if tab in TABS else "all"
    filters = list_filters(viewer, request.GET)
    demands = demand_list(viewer=viewer, **filters)
    page = Paginator(demands, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "demands/list.html",
        {
            "page": page,
            "tab": tab,
            "filters": filters,
            "counts": demand_counts(viewer=viewer, **TABS[tab]),
            "categories": list(DemandCategory.objects.filter(is_active=True)),
            "states": DemandState.choices,
            "channels": Channel.choices,
            "can_create": viewer.has_function(MANAGE),
        },
    )


@requires(VIEW)
def demand_export_view(request: HttpRequest) -> HttpResponse:
    """The filtered list as Excel; requesters' contact data is always masked here.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if list_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "demands.demand")


def _detail_context(request: HttpRequest, demand: Any, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    steps = list(demand_steps(demand))
    return {
        "demand": demand,
        "steps": steps,
        "late_steps": [s for s in steps if s.late_reason],
        "requesters": list(demand.requesters.all()),
        "actions": available_actions(viewer, demand),
        "can_reveal": can_view_personal(viewer, demand),
        "problems": list(
            problems_for_origin(
                viewer=viewer, origin_type=demand._meta.label_lower, origin_id=demand.pk
            )
        )
        if viewer.has_function("problems.view")
        else [],
        "assign_form": forms.get("assign_form") or AssignForm(viewer=viewer),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "problem_form": forms.get("problem_form")
        or RaiseProblemForm(initial={"deadline": timezone.localdate() + dt.timedelta(days=30)}),
        "merged": list(demand.merged.all()),
    }


@requires(VIEW)
def demand_detail(request: HttpRequest, pk: int) -> HttpResponse:
    demand = get_demand_for_viewer(viewer_of(request), pk)
    return render(request, "demands/detail.html", _detail_context(request, demand))


@requires(MANAGE)
def demand_create_view(request: HttpRequest) -> HttpResponse:
    """受理: staff record a demand on behalf of a resident or an enterprise."""
    viewer = viewer_of(request)
    initial = {"requester_kind": "person"}
    if request.GET.get("channel") in Channel.values:
        initial["channel"] = request.GET["channel"]
    form = DemandForm(request.POST or None, viewer=viewer, initial=initial)

    def create() -> Any:
        data = form.cleaned_data
        enterprise = data["enterprise"] if data["requester_kind"] == "enterprise" else None
        return services.demand_create(
            org=data["org"],
            location=data["location"],
            channel=data["channel"],
            category=data["category"],
            title=data["title"],
            content=data["content"],
            requesters=[
                services.RequesterIn(
                    kind=data["requester_kind"],
                    name=data["requester_name"],
                    mobile=data["requester_mobile"] or "",
                    address=data["requester_address"],
                    enterprise=enterprise,
                )
            ],
            acting_user=viewer,
        )

    done = submit(request, form, create, success=_("The demand is received."))
    if done.ok and done.result is not None:
        return redirect("demands:detail", pk=done.result.pk)
    return render(request, "demands/form.html", {"form": form})


def _act(request: HttpRequest, pk: int, action: str) -> tuple[Any, Any]:
    """The demand, if the viewer may see it (404) and take ``action`` on it (403)."""
    viewer = viewer_of(request)
    demand = get_demand_for_viewer(viewer, pk)
    if not can(viewer, action, demand):
        raise PermissionDenied
    return viewer, demand


def _run(
    request: HttpRequest, demand: Any, form_key: str, form: Any, call: Any, ok: str
) -> HttpResponse:
    done = submit(request, form, lambda: call(form.cleaned_data), success=ok)
    if done.ok:
        if form_key == "problem_form" and done.result is not None:
            return redirect("problems:detail", pk=done.result.pk)
        return redirect("demands:detail", pk=demand.pk)
    context = _detail_context(request, demand, **{form_key: form})
    context["action_errors"] = [str(e) for errors in form.errors.values() for e in errors]
    return render(request, "demands/detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def demand_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "assign")
    return _run(
        request,
        demand,
        "assign_form",
        AssignForm(request.POST, viewer=viewer),
        lambda d: services.demand_assign(
            demand=demand, handling_org=d["handling_org"], reason=d["reason"], acting_user=viewer
        ),
        _("The demand is assigned."),
    )


@requires(MANAGE)
@require_POST
def demand_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "start")
    try:
        services.demand_start(demand=demand, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your unit is handling the demand."))
    return redirect("demands:detail", pk=demand.pk)


@requires(MANAGE)
@require_POST
def demand_reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "reply")
    return _run(
        request,
        demand,
        "reply_form",
        ReplyForm(request.POST),
        lambda d: services.demand_reply(
            demand=demand,
            reply_text=d["reply_text"],
            when=d["occurred_at"],
            late_reason=d["late_reason"],
            acting_user=viewer,
        ),
        _("The reply is recorded."),
    )


@requires(FOLLOW_UP)
@require_POST
def demand_follow_up_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "follow_up")
    return _run(
        request,
        demand,
        "follow_up_form",
        FollowUpForm(request.POST),
        lambda d: services.demand_follow_up(
            demand=demand,
            satisfaction=d["satisfaction"],
            note=d["note"],
            when=d["occurred_at"],
            late_reason=d["late_reason"],
            acting_user=viewer,
        ),
        _("The follow-up is recorded."),
    )


@requires(MANAGE)
@require_POST
def demand_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "merge")
    form = MergeForm(request.POST)

    def merge(data: dict[str, Any]) -> Any:
        into = DEMAND.resolve(viewer, data["into"], field="into")
        return services.demand_merge(duplicate=demand, into=into, acting_user=viewer)

    return _run(request, demand, "merge_form", form, merge, _("The duplicate is merged."))


@requires("problems.manage")
@require_POST
def demand_raise_problem_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, demand = _act(request, pk, "raise_problem")
    return _run(
        request,
        demand,
        "problem_form",
        RaiseProblemForm(request.POST),
        lambda d: services.demand_raise_problem(
            demand=demand, title=d["title"], deadline=d["deadline"], acting_user=viewer
        ),
        _("The problem is on the problem list."),
    )


@requires(VIEW)
@require_POST
def demand_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the requesters' contact data in place; the reveal is audited (a refused one
    too). Allowed with the personal-data right or to whoever took the demand and follows
    it up."""
    viewer = viewer_of(request)
    demand = get_demand_for_viewer(viewer, pk)
    revealed = services.demand_reveal(demand=demand, acting_user=viewer)
    if revealed is None:
        raise PermissionDenied
    by_pk = {row["pk"]: row for row in revealed}
    return render(
        request,
        "demands/_requesters.html",
        {"demand": demand, "requesters": list(demand.requesters.all()), "revealed": by_pk},
    )


@requires(VIEW)
def demand_stats_view(request: HttpRequest) -> HttpResponse:
    """Time to reply and to close per category and organization; the year's figures."""
    viewer = viewer_of(request)
    try:
        year = int(request.GET.get("year", timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    return render(
        request,
        "demands/stats.html",
        {
            "year": year,
            "figures": service_figures(viewer=viewer, year=year),
            "by_category": demand_timings(viewer=viewer, by="category", year=year),
            "by_org": demand_timings(viewer=viewer, by="org", year=year),
        },
    )
