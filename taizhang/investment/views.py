"""Pages of investment attraction: check permission, validate, call one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import int_or_none, submit
from taizhang.core.versions import page_version, seen_version
from taizhang.investment import services
from taizhang.investment.forms import (
    AdvanceForm,
    CompetitionForm,
    ConvertForm,
    EventForm,
    FollowUpForm,
    LeadForm,
    LostForm,
    SubsidyForm,
    TeamForm,
)
from taizhang.investment.models import Lead, LeadStage, Source
from taizhang.investment.permissions import MANAGE, VIEW, can
from taizhang.investment.selectors import (
    LEAD_SORTS,
    competition_list,
    event_list,
    event_signings,
    filter_org_choices,
    follow_ups,
    funnel,
    get_competition_for_viewer,
    get_event_for_viewer,
    get_lead_for_viewer,
    lead_history,
    lead_list,
    lead_totals,
    scoreboard,
    subsidy_list,
    subsidy_policies,
    subsidy_summary,
    team_choices,
    this_year,
    with_next_step,
)
from taizhang.organizations.filters import ledger_filter_from_query


def lead_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The lead list's filters from the query string; the export reads the same ones.
    The organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``)."""
    stage = int_or_none(get.get("stage"))
    return {
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Date recorded")
        ),
        "stage": stage if stage in LeadStage.values else None,
        "source": get.get("source", "") if get.get("source") in Source.values else "",
        "team_id": int_or_none(get.get("team")),
        "lost": {"1": True, "0": False}.get(get.get("lost", "0")),
        "q": get.get("q", "").strip()[:60],
        "sort": get.get("sort", "") if get.get("sort") in LEAD_SORTS else "",
    }


def event_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The event list's filters (the year); the export reads the same ones.
    The organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``); a date range, when given, replaces the year
    (``year`` is then None)."""
    ledger = ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("Date held"))
    ranged = ledger.date_from is not None or ledger.date_to is not None
    return {
        "year": None if ranged else int_or_none(get.get("year")) or this_year(),
        "ledger": ledger,
    }


def subsidy_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The payment list's filters; an organization outside the viewer's scope is a 404."""
    org = None
    if get.get("org"):
        org = filter_org_choices(viewer=viewer).filter(pk=int_or_none(get["org"]) or 0).first()
        if org is None:
            raise Http404
    return {
        "year": int_or_none(get.get("year")) or this_year(),
        "org": org,
        "q": get.get("q", "").strip()[:60],
    }


@requires(VIEW)
def lead_export(request: HttpRequest) -> HttpResponse:
    """The filtered lead ledger as an .xlsx (a background task when it is large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if lead_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "investment.lead")


@requires(VIEW)
def event_export(request: HttpRequest) -> HttpResponse:
    """The year's (or the date range's) events with their signings as an .xlsx.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if event_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "investment.event")


@requires(VIEW)
def subsidy_export(request: HttpRequest) -> HttpResponse:
    """The filtered payments as an .xlsx."""
    return export_respond(request, "investment.subsidy")


@requires(VIEW)
def competition_export(request: HttpRequest) -> HttpResponse:
    """A competition's scoreboard (``?competition=<id>``) as an .xlsx."""
    return export_respond(request, "investment.competition")


@requires(VIEW)
def lead_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    get = request.GET
    filters = lead_filters(viewer, get)
    leads = lead_list(viewer=viewer, **filters)
    page = Paginator(with_next_step(leads), 30).get_page(get.get("page"))
    year = this_year()
    context = {
        "page": page,
        "filters": filters,
        "lost_param": get.get("lost", "0"),
        "totals": lead_totals(leads),
        "today": timezone.localdate(),
        "funnel_year": year,
        "funnel": funnel(leads, dt.date(year, 1, 1), dt.date(year, 12, 31)),
        "stages": LeadStage.choices,
        "sources": Source.choices,
        "teams": team_choices(viewer=viewer),
        "can_manage": viewer.has_function(MANAGE),
    }
    return render(request, "investment/lead_list.html", context)


@requires(MANAGE)
def lead_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = LeadForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.lead_create(**form.service_kwargs(), acting_user=viewer),
        success=_("The lead was recorded."),
    )
    if done.ok and done.result is not None:
        return redirect("investment:lead_detail", pk=done.result.pk)
    return render(request, "investment/lead_form.html", {"form": form})


@requires(MANAGE)
def lead_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    lead = _lead_for(request, pk, "edit")
    seen = seen_version(request, lead)  # issue 19: another's change is shown, not lost
    initial = {
        "enterprise": lead.enterprise,
        "project_name": lead.project_name,
        "sector": lead.sector,
        "source": lead.source,
        "amount": lead.amount,
        "org": lead.org_id,
        "team": lead.team_id,
        "note": lead.note,
    }
    form = LeadForm(request.POST or None, viewer=viewer, initial=initial, editing=True)
    done = submit(
        request,
        form,
        lambda: services.lead_update(
            lead=lead, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("The lead was updated."),
    )
    if done.ok:
        return redirect("investment:lead_detail", pk=lead.pk)
    context = {"form": form, "lead": lead, "version": page_version(form, lead, seen)}
    return render(request, "investment/lead_form.html", context)


def _lead_context(request: HttpRequest, lead: Lead, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    context: dict[str, Any] = {
        "lead": lead,
        "history": lead_history(lead),
        "follow_ups": follow_ups(lead),
        "today": timezone.localdate(),
        "stages": LeadStage,
        "can_manage": can(viewer, "advance", lead) and not lead.is_lost,
        "can_convert": (
            can(viewer, "convert", lead)
            and not lead.is_lost
            and lead.stage >= LeadStage.LANDED
            and lead.project_id is None
        ),
    }
    if context["can_manage"]:
        nxt = min(lead.stage + 10, LeadStage.STARTED)
        context["advance_form"] = forms.get("advance_form") or AdvanceForm(
            viewer=viewer, initial={"to_stage": nxt, "event": lead.event_id}
        )
        context["lost_form"] = forms.get("lost_form") or LostForm()
        context["follow_up_form"] = forms.get("follow_up_form") or FollowUpForm(viewer=viewer)
    if context["can_convert"]:
        context["convert_form"] = forms.get("convert_form") or ConvertForm(viewer=viewer)
    return context


@requires(VIEW)
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for_viewer(viewer_of(request), pk)
    return render(request, "investment/lead_detail.html", _lead_context(request, lead))


def _lead_for(request: HttpRequest, pk: int, action: str) -> Lead:
    lead = get_lead_for_viewer(viewer_of(request), pk)
    if not can(viewer_of(request), action, lead):
        raise PermissionDenied
    return lead


@requires(MANAGE)
@require_POST
def lead_advance_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    lead = _lead_for(request, pk, "advance")
    form = AdvanceForm(request.POST, viewer=viewer)

    def advance() -> Lead:
        data = form.cleaned_data
        return services.lead_advance(
            lead=lead,
            to_stage=data["to_stage"],
            on=data["on"],
            signed_amount=data.get("signed_amount"),
            event=data.get("event"),
            reason=data.get("reason", ""),
            late_reason=form.service_kwargs()["late_reason"],
            acting_user=viewer,
        )

    if submit(request, form, advance, success=_("The lead moved on.")).ok:
        return redirect("investment:lead_detail", pk=lead.pk)
    context = _lead_context(request, lead, advance_form=form)
    return render(request, "investment/lead_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def follow_up_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a visit, talks, a call or a promotion meeting on a lead."""
    viewer = viewer_of(request)
    lead = _lead_for(request, pk, "follow_up")
    form = FollowUpForm(request.POST, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.follow_up_add(lead=lead, **form.cleaned_data, acting_user=viewer),
        success=_("The follow-up was logged."),
    )
    if done.ok and done.result is not None:
        return redirect(done.result.get_absolute_url())
    context = _lead_context(request, lead, follow_up_form=form)
    return render(request, "investment/lead_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def lead_lost_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    lead = _lead_for(request, pk, "lose")
    form = LostForm(request.POST)
    done = submit(
        request,
        form,
        lambda: services.lead_mark_lost(
            lead=lead,
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["on"],
            late_reason=form.service_kwargs()["late_reason"],
            acting_user=viewer,
        ),
        success=_("The lead was marked as lost."),
    )
    if done.ok:
        return redirect("investment:lead_detail", pk=lead.pk)
    context = _lead_context(request, lead, lost_form=form)
    return render(request, "investment/lead_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def lead_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a landed lead into a key project in one step."""
    viewer = viewer_of(request)
    lead = _lead_for(request, pk, "convert")
    form = ConvertForm(request.POST, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.lead_convert_to_project(
            lead=lead, **form.cleaned_data, acting_user=viewer
        ),
        success=_("The lead is now a key project."),
    )
    if done.ok and done.result is not None:
        return redirect("projects:detail", pk=done.result.pk)
    context = _lead_context(request, lead, convert_form=form)
    return render(request, "investment/lead_detail.html", context, status=422)


@requires(VIEW)
def event_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = event_filters(viewer, request.GET)
    year, ledger = filters["year"], filters["ledger"]
    events = list(event_list(viewer=viewer, year=year, ledger=ledger))
    totals = {
        "events": len(events),
        "signings": sum(getattr(e, "signings", 0) for e in events),
        "signed_amount": sum(getattr(e, "signed_amount", 0) or 0 for e in events),
    }
    form = None
    if viewer.has_function(MANAGE):
        event_form = form = EventForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.event_create(**event_form.cleaned_data, acting_user=viewer),
            success=_("The event was recorded."),
        )
        if done.ok and done.result is not None:
            return redirect("investment:event_detail", pk=done.result.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "investment/event_list.html",
        {
            "events": events,
            "totals": totals,
            "year": year,
            "ledger": ledger,
            "form": form,
            "can_manage": viewer.has_function(MANAGE),
        },
    )


@requires(VIEW)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    event = get_event_for_viewer(viewer, pk)
    signings = event_signings(viewer=viewer, event=event)
    return render(request, "investment/event_detail.html", {"event": event, "signings": signings})


@requires(VIEW)
def competition_list_view(request: HttpRequest) -> HttpResponse:
    """The latest competition's scoreboard, or the list (``?all=1``) with a form to add one."""
    viewer = viewer_of(request)
    competitions = competition_list(viewer=viewer)
    first = competitions.first()
    if request.method == "GET" and first is not None and not request.GET.get("all"):
        return redirect("investment:competition_detail", pk=first.pk)
    form = None
    if viewer.has_function(MANAGE):
        competition_form = form = CompetitionForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.competition_create(
                **competition_form.service_kwargs(), acting_user=viewer
            ),
            success=_("The competition was set up."),
        )
        if done.ok and done.result is not None:
            return redirect("investment:competition_detail", pk=done.result.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "investment/competition_list.html",
        {"competitions": competitions, "form": form},
    )


@requires(VIEW)
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    competition = get_competition_for_viewer(viewer, pk)
    form = None
    if can(viewer, "edit", competition):
        team_form = form = TeamForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.team_create(
                competition=competition, **team_form.cleaned_data, acting_user=viewer
            ),
            success=_("The team was added."),
        )
        if done.ok:
            return redirect("investment:competition_detail", pk=competition.pk)
    elif request.method == "POST":
        raise PermissionDenied
    ranked, unranked = scoreboard(competition)
    points = [(stage, competition.points_for(stage)) for stage in LeadStage]
    return render(
        request,
        "investment/competition_detail.html",
        {
            "competition": competition,
            "ranked": ranked,
            "unranked": unranked,
            "points": points,
            "form": form,
            "others": competition_list(viewer=viewer).exclude(pk=competition.pk),
        },
    )


@requires(VIEW)
def subsidy_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = subsidy_filters(viewer, request.GET)
    year, org, q = filters["year"], filters["org"], filters["q"]
    subsidies = subsidy_list(viewer=viewer, year=year, org=org, q=q)
    form = None
    if viewer.has_function(MANAGE):
        subsidy_form = form = SubsidyForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.subsidy_create(**subsidy_form.cleaned_data, acting_user=viewer),
            success=_("The payment was recorded."),
        )
        if done.ok and done.result is not None:
            return redirect(f"{request.path}?year={done.result.paid_on.year}")
    elif request.method == "POST":
        raise PermissionDenied
    context = {
        "page": Paginator(subsidies, 30).get_page(request.GET.get("page")),
        "summary": subsidy_summary(subsidies),
        "policies": subsidy_policies(subsidies),
        "year": year,
        "q": q,
        "org": org,
        "orgs": filter_org_choices(viewer=viewer),
        "form": form,
        "can_manage": viewer.has_function(MANAGE),
    }
    return render(request, "investment/subsidy_list.html", context)
