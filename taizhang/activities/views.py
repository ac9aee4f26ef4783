"""Pages for activities, campaigns and 双报到: check permission, validate, call one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.activities import services
from taizhang.activities.forms import (
    ActivityEditForm,
    ActivityForm,
    AttendanceForm,
    CampaignForm,
    RaiseProblemForm,
    TeamForm,
    VolunteerForm,
)
from taizhang.activities.models import ActivityKind, AttendanceMode, VenueCategory
from taizhang.activities.permissions import can
from taizhang.activities.selectors import (
    SORTS,
    activity_attendees,
    activity_figures,
    activity_list,
    attendee_candidates,
    campaign_list,
    campaign_progress,
    get_activity_for_viewer,
    get_campaign_for_viewer,
    volunteer_figures,
    volunteer_service_list,
)
from taizhang.core.access import requires
from taizhang.core.forms import add_service_errors
from taizhang.organizations.selectors import get_organization_for_viewer

VIEW = "activities.view"
MANAGE = "activities.manage"
PAGE_SIZE = 50


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _choice(model: Any, value: str) -> Any:
    return model.objects.filter(pk=int(value)).first() if value.isdigit() else None


@requires(VIEW)
def activity_list_view(request: HttpRequest) -> HttpResponse:
    """The ledger of activities with the year's figures for the chosen subtree."""
    viewer: Any = request.user
    get = request.GET
    year = _year(request)
    org = get_organization_for_viewer(viewer, get["org"]) if get.get("org") else None
    kind = _choice(ActivityKind, get.get("kind", ""))
    venue = _choice(VenueCategory, get.get("venue", ""))
    sort = get.get("sort", "")
    sort = sort if sort in SORTS else ""
    q = get.get("q", "").strip()[:60]
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    activities = activity_list(
        viewer=viewer,
        kind=kind,
        venue_category=venue,
        subtree_of=org,
        start=start,
        end=end,
        q=q,
        sort=sort,
    )
    page = Paginator(activities, PAGE_SIZE).get_page(get.get("page"))
    return render(
        request,
        "activities/list.html",
        {
            "page": page,
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
            "org": org,
            "filters": {"kind": kind, "venue": venue, "sort": sort, "q": q},
            "kinds": list(ActivityKind.objects.filter(is_active=True)),
            "venues": list(VenueCategory.objects.filter(is_active=True)),
            "figures": activity_figures(viewer=viewer, org=org, start=start, end=end),
            "can_create": viewer.has_function(MANAGE),
        },
    )


@requires(MANAGE)
def activity_create_view(request: HttpRequest) -> HttpResponse:
    """Record an activity; with a list of attendees the sign-in sheet follows."""
    viewer: Any = request.user
    initial: dict[str, Any] = {"held_on": timezone.localdate(), "attendance_mode": "list"}
    form = ActivityForm(request.POST or None, viewer=viewer, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            activity = services.activity_create(
                data=services.ActivityIn(
                    org=d["org"],
                    kind=d["kind"],
                    title=d["title"],
                    held_on=d["held_on"],
                    start_time=d["start_time"],
                    end_time=d["end_time"],
                    mode=d["mode"],
                    venue=d["venue"],
                    venue_category=d["venue_category"],
                    speaker=d["speaker_person"],
                    materials=d["materials"],
                    summary=d["summary"],
                    team=d["team"],
                    campaign=d["team"].campaign if d["team"] else None,
                    attendance_mode=d["attendance_mode"],
                    headcount=d["headcount"] or 0,
                ),
                acting_user=viewer,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The activity is recorded."))
            if activity.attendance_mode == AttendanceMode.LIST:
                messages.info(request, _("Now tick who attended on the sign-in sheet."))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/form.html", {"form": form})


def _detail_context(request: HttpRequest, activity: Any, **forms: Any) -> dict[str, Any]:
    viewer: Any = request.user
    attendees = list(activity_attendees(activity))
    can_attend = can(viewer, "attendance", activity)
    context: dict[str, Any] = {
        "activity": activity,
        "attendees": attendees,
        "members_present": sum(1 for p in attendees if hasattr(p, "membership")),
        "co_orgs": list(activity.co_orgs.all()),
        "can_attend": can_attend,
        "can_raise": can(viewer, "raise_problem", activity),
        "problems": [],
        "volunteer_services": list(activity.volunteer_services.select_related("person")[:50]),
    }
    if can_attend:
        chosen = {p.pk for p in attendees}
        context["candidates"] = attendee_candidates(activity)
        context["chosen"] = chosen
        context["attendance_form"] = forms.get("attendance_form") or AttendanceForm(
            viewer=viewer,
            activity=activity,
            initial={
                "attendance_mode": activity.attendance_mode,
                "headcount": activity.participants,
            },
        )
    if activity.is_survey and viewer.has_function("problems.view"):
        from taizhang.problems.selectors import problems_for_origin

        context["problems"] = list(
            problems_for_origin(
                viewer=viewer, origin_type=activity._meta.label_lower, origin_id=activity.pk
            )
        )
    if context["can_raise"]:
        context["problem_form"] = forms.get("problem_form") or RaiseProblemForm(
            initial={"deadline": timezone.localdate() + dt.timedelta(days=30)}
        )
    return context


@requires(VIEW)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_viewer(request.user, pk)
    return render(request, "activities/detail.html", _detail_context(request, activity))


@requires(MANAGE)
def activity_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the details of an activity (not its organization or attendance)."""
    viewer: Any = request.user
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "edit", activity):
        raise PermissionDenied
    initial = {
        name: getattr(activity, name)
        for name in ("kind", "title", "held_on", "start_time", "end_time", "mode", "venue")
    }
    initial.update(
        venue_category=activity.venue_category,
        speaker=activity.speaker.name if activity.speaker else "",
        materials=activity.materials,
        summary=activity.summary,
    )
    form = ActivityEditForm(request.POST or None, viewer=viewer, activity=activity, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(activity=activity, acting_user=viewer, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The activity is corrected."))
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/edit.html", {"form": form, "activity": activity})


@requires(MANAGE)
@require_POST
def activity_attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the sign-in sheet (or a headcount) of an activity."""
    viewer: Any = request.user
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "attendance", activity):
        raise PermissionDenied
    form = AttendanceForm(request.POST, viewer=viewer, activity=activity)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.activity_attendance_set(
                activity=activity,
                attendance_mode=d["attendance_mode"],
                attendees=d["persons"],
                headcount=d["headcount"] or 0,
                acting_user=viewer,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The attendance is saved."))
            return redirect("activities:detail", pk=activity.pk)
    context = _detail_context(request, activity, attendance_form=form)
    return render(request, "activities/detail.html", context, status=422)


@requires("problems.manage")
@require_POST
def activity_raise_problem_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a problem found on a 调研 visit on the problem list."""
    viewer: Any = request.user
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "raise_problem", activity):
        raise PermissionDenied
    form = RaiseProblemForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            problem = services.activity_raise_problem(
                activity=activity,
                title=d["title"],
                description=d["description"],
                deadline=d["deadline"],
                acting_user=viewer,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The problem is on the problem list."))
            return redirect("problems:detail", pk=problem.pk)
    context = _detail_context(request, activity, problem_form=form)
    return render(request, "activities/detail.html", context, status=422)


@requires(VIEW)
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    viewer: Any = request.user
    campaigns = list(campaign_list(viewer=viewer, q=request.GET.get("q", "").strip()[:60])[:200])
    return render(
        request,
        "activities/campaigns.html",
        {"campaigns": campaigns, "can_create": viewer.has_function(MANAGE)},
    )


@requires(MANAGE)
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    viewer: Any = request.user
    form = CampaignForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = services.campaign_create(
                org=d["org"],
                title=d["title"],
                kind=d["kind"],
                target_count=d["target_count"],
                start_date=d["start_date"],
                end_date=d["end_date"],
                venue_categories=list(d["venue_categories"]),
                description=d["description"],
                acting_user=viewer,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The campaign is set up; now form its teams."))
            return redirect("activities:campaign", pk=campaign.pk)
    return render(request, "activities/campaign_form.html", {"form": form})


def _campaign_context(request: HttpRequest, campaign: Any, team_form: Any = None) -> dict[str, Any]:
    viewer: Any = request.user
    can_manage = can(viewer, "manage", campaign)
    return {
        "campaign": campaign,
        "progress": campaign_progress(campaign),
        "recent": list(activity_list(viewer=viewer, campaign=campaign)[:20]),
        "can_manage": can_manage,
        "team_form": team_form
        or (TeamForm(viewer=viewer, campaign=campaign) if can_manage else None),
    }


@requires(VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_viewer(request.user, pk)
    return render(request, "activities/campaign.html", _campaign_context(request, campaign))


@requires(MANAGE)
@require_POST
def campaign_team_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    campaign = get_campaign_for_viewer(viewer, pk)
    if not can(viewer, "manage", campaign):
        raise PermissionDenied
    form = TeamForm(request.POST, viewer=viewer, campaign=campaign)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.campaign_team_create(
                campaign=campaign,
                name=d["name"],
                org=d["org"],
                quota=d["quota"],
                leader=d["leader_person"],
                members=d["member_persons"],
                acting_user=viewer,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The team is formed."))
            return redirect("activities:campaign", pk=campaign.pk)
    context = _campaign_context(request, campaign, team_form=form)
    return render(request, "activities/campaign.html", context, status=422)


@requires(VIEW)
def volunteer_list_view(request: HttpRequest) -> HttpResponse:
    """双报到: members' service in communities, with the year's person-times and hours."""
    viewer: Any = request.user
    year = _year(request)
    org = (
        get_organization_for_viewer(viewer, request.GET["org"]) if request.GET.get("org") else None
    )
    q = request.GET.get("q", "").strip()[:60]
    records = volunteer_service_list(
        viewer=viewer,
        subtree_of=org,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 31),
        q=q,
    )
    can_record = viewer.has_function(MANAGE)
    form = None
    if can_record:
        form = VolunteerForm(
            request.POST or None, viewer=viewer, initial={"served_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.volunteer_service_record(
                    org=d["org"],
                    person=d["person_obj"],
                    served_on=d["served_on"],
                    hours=d["hours"],
                    content=d["content"],
                    acting_user=viewer,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied:
                form.add_error("org", _("You may not record service in this community."))
            else:
                messages.success(request, _("The service is recorded."))
                return redirect("activities:volunteer")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "activities/volunteer.html",
        {
            "page": Paginator(records, PAGE_SIZE).get_page(request.GET.get("page")),
            "figures": volunteer_figures(records),
            "year": year,
            "org": org,
            "q": q,
            "form": form,
        },
        status=422 if form is not None and form.errors else 200,
    )
