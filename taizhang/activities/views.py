"""Pages for activities, campaigns and 双报到: check permission, validate, call one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.activities import services
from taizhang.activities.forms import (
    ActivityEditForm,
    ActivityForm,
    AttachmentForm,
    AttendanceForm,
    CampaignForm,
    RaiseProblemForm,
    TeamForm,
    VolunteerForm,
)
from taizhang.activities.models import (
    ActivityAttachment,
    ActivityKind,
    AttendanceMode,
    VenueCategory,
)
from taizhang.activities.permissions import can
from taizhang.activities.selectors import (
    SORTS,
    activity_attendees,
    activity_figures,
    activity_list,
    attendance_hidden_ids,
    attendee_candidates,
    campaign_list,
    campaign_progress,
    get_activity_for_viewer,
    get_campaign_for_viewer,
    members_present,
    visible_persons,
    volunteer_figures,
    volunteer_service_list,
)
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.counting import EstimatedPaginator
from taizhang.core.exports import export_respond
from taizhang.core.forms import submit
from taizhang.core.uploads import attachment_response
from taizhang.core.versions import page_version, seen_version
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.organizations.permissions import GROUPING
from taizhang.organizations.selectors import get_grouping_for_viewer
from taizhang.people.permissions import PERSON

VIEW = "activities.view"
MANAGE = "activities.manage"
PAGE_SIZE = 50


def _year(get: Any) -> int:
    try:
        year = int(get.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def list_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The list's filters from the query string; the export reads the same ones.

    The organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``). A date range, when given, replaces the
    year's window (for the list and its figures)."""
    year = _year(get)
    # A grouping outside the viewer's scope is the same 404 as a missing one.
    grouping = get_grouping_for_viewer(viewer, get["grouping"]) if get.get("grouping") else None
    sort = get.get("sort", "")
    ledger = ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("Date held"))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if ledger.date_from or ledger.date_to:
        start = ledger.date_from or dt.date(2000, 1, 1)
        end = ledger.date_to or dt.date(2100, 12, 31)
    return {
        "year": year,
        "kind": _choice(ActivityKind, get.get("kind", "")),
        "venue_category": _choice(VenueCategory, get.get("venue", "")),
        "grouping": grouping,
        "start": start,
        "end": end,
        "ledger": ledger,
        "q": get.get("q", "").strip()[:60],
        "sort": sort if sort in SORTS else "",
    }


@requires(VIEW)
def activity_export(request: HttpRequest) -> HttpResponse:
    """The filtered ledger as an .xlsx (a background task when it is large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if list_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "activities.activity")


def campaign_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The campaign list's filters; its export reads the same ones.

    The organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``), dates on the day the campaign starts."""
    return {
        "q": get.get("q", "").strip()[:60],
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Campaign starts")
        ),
    }


@requires(VIEW)
def campaign_export(request: HttpRequest) -> HttpResponse:
    """The campaigns of the list as an .xlsx, with their teams and progress.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if campaign_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "activities.campaign")


def volunteer_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The 双报到 ledger's filters; its export reads the same ones.

    The organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``), dates on the day served. A date range, when
    given, replaces the year's window (for the list and its figures)."""
    year = _year(get)
    ledger = ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("Date served"))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if ledger.date_from or ledger.date_to:
        start = ledger.date_from or dt.date(2000, 1, 1)
        end = ledger.date_to or dt.date(2100, 12, 31)
    return {
        "year": year,
        "start": start,
        "end": end,
        "ledger": ledger,
        "q": get.get("q", "").strip()[:60],
    }


@requires(VIEW)
def volunteer_export(request: HttpRequest) -> HttpResponse:
    """The filtered 双报到 ledger as an .xlsx.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if volunteer_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "activities.volunteer_service")


def _choice(model: Any, value: str) -> Any:
    return model.objects.filter(pk=int(value)).first() if value.isdigit() else None


@requires(VIEW)
def activity_list_view(request: HttpRequest) -> HttpResponse:
    """The ledger of activities with the year's figures for the chosen subtree."""
    viewer = viewer_of(request)
    get = request.GET
    filters = list_filters(viewer, get)
    year, ledger, grouping = filters["year"], filters["ledger"], filters["grouping"]
    org = ledger.org
    kind, venue, sort, q = filters["kind"], filters["venue_category"], filters["sort"], filters["q"]
    start, end = filters["start"], filters["end"]
    activities = activity_list(viewer=viewer, **{k: v for k, v in filters.items() if k != "year"})
    page = EstimatedPaginator(activities, PAGE_SIZE, late_rows=True).get_page(get.get("page"))
    return render(
        request,
        "activities/list.html",
        {
            "page": page,
            "year": year,
            "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
            "org": org,
            "filters": {
                "kind": kind,
                "venue": venue,
                "sort": sort,
                "q": q,
                "grouping": grouping,
                "ledger": ledger,
            },
            "groupings": list(GROUPING.queryset(viewer).order_by("name")),
            "kinds": list(ActivityKind.objects.filter(is_active=True)),
            "venues": list(VenueCategory.objects.filter(is_active=True)),
            # A refused filter shows no rows, so no figures either.
            "figures": None
            if ledger.refused
            else activity_figures(viewer=viewer, org=org, start=start, end=end),
            "can_create": viewer.has_function(MANAGE),
        },
    )


@requires(MANAGE)
def activity_create_view(request: HttpRequest) -> HttpResponse:
    """Record an activity; with a list of attendees the sign-in sheet follows."""
    viewer = viewer_of(request)
    initial: dict[str, Any] = {"held_on": timezone.localdate(), "attendance_mode": "list"}
    form = ActivityForm(request.POST or None, viewer=viewer, initial=initial)

    def record() -> Any:
        d = form.cleaned_data
        return services.activity_create(
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
                speaker_name=d["speaker_name"],
                speaker_title=d["speaker_title"],
                co_orgs=d["co_orgs"],
                co_host_names=d["co_host_names"],
                sessions=d["sessions"],
                materials=d["materials"],
                summary=d["summary"],
                team=d["team"],
                campaign=d["team"].campaign if d["team"] else None,
                grouping=d["grouping"],
                attendance_mode=d["attendance_mode"],
                headcount=d["headcount"] or 0,
            ),
            acting_user=viewer,
        )

    done = submit(request, form, record, success=_("The activity is recorded."))
    activity = done.result
    if activity is not None:
        if activity.attendance_mode == AttendanceMode.LIST:
            messages.info(request, _("Now tick who attended on the sign-in sheet."))
        return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/form.html", {"form": form})


def _detail_context(request: HttpRequest, activity: Any, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    # Persons are named only as the one person rule allows (PERSON): the others count
    # in the figures without a name.
    attendees = list(activity_attendees(activity, viewer=viewer))
    can_attend = can(viewer, "attendance", activity)
    speaker = activity.speaker
    context: dict[str, Any] = {
        "activity": activity,
        "attendees": attendees,
        "hidden_attendees": len(attendance_hidden_ids(activity, viewer=viewer)),
        "members_present": members_present(activity),
        "speaker": speaker if speaker is not None and PERSON.covers(viewer, speaker) else None,
        "speaker_hidden": speaker is not None and not PERSON.covers(viewer, speaker),
        "co_orgs": list(activity.co_orgs.all()),
        "attachments": list(activity.attachments.all()),
        "grouping_visible": activity.grouping is not None
        and GROUPING.covers(viewer, activity.grouping),
        "can_attend": can_attend,
        "can_raise": can(viewer, "raise_problem", activity),
        "problems": [],
        "volunteer_services": list(
            activity.volunteer_services.filter(person__in=visible_persons(viewer))
            .select_related("person")
            .order_by("-served_on", "-pk")[:50]
        ),
    }
    if can_attend:
        chosen = {p.pk for p in attendees}
        sent = forms.get("attendance_form")
        if sent is not None and sent.is_bound:
            # A sheet sent back with an error keeps every tick the clerk made.
            chosen = {int(pk) for pk in sent.data.getlist("attendees") if str(pk).isdigit()}
        context["candidates"] = attendee_candidates(activity, viewer=viewer)
        context["chosen"] = chosen
        context["attendance_form"] = forms.get("attendance_form") or AttendanceForm(
            viewer=viewer,
            activity=activity,
            initial={
                "attendance_mode": activity.attendance_mode,
                "headcount": activity.participants,
            },
        )
    if can_attend:
        context["attachment_form"] = forms.get("attachment_form") or AttachmentForm()
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
    activity = get_activity_for_viewer(viewer_of(request), pk)
    return render(request, "activities/detail.html", _detail_context(request, activity))


@requires(MANAGE)
def activity_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the details of an activity (not its organization or attendance)."""
    viewer = viewer_of(request)
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "edit", activity):
        raise PermissionDenied
    seen = seen_version(request, activity)  # issue 19: another's change is shown, not lost
    initial = {
        name: getattr(activity, name)
        for name in ("kind", "title", "held_on", "start_time", "end_time", "mode", "venue")
    }
    initial.update(
        venue_category=activity.venue_category,
        speaker=activity.speaker.name
        if activity.speaker and PERSON.covers(viewer, activity.speaker)
        else "",
        speaker_name=activity.speaker_name,
        speaker_title=activity.speaker_title,
        co_orgs=list(activity.co_orgs.all()),
        co_host_names=activity.co_host_names,
        sessions=activity.sessions,
        materials=activity.materials,
        summary=activity.summary,
        grouping=activity.grouping,
    )
    form = ActivityEditForm(request.POST or None, viewer=viewer, activity=activity, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.activity_update(
            activity=activity, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("The activity is corrected."),
    )
    if done.ok:
        return redirect("activities:detail", pk=activity.pk)
    context = {"form": form, "activity": activity, "version": page_version(form, activity, seen)}
    return render(request, "activities/edit.html", context)


@requires(MANAGE)
@require_POST
def activity_attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the sign-in sheet (or a headcount) of an activity."""
    viewer = viewer_of(request)
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "attendance", activity):
        raise PermissionDenied
    form = AttendanceForm(request.POST, viewer=viewer, activity=activity)
    done = submit(
        request,
        form,
        lambda: services.activity_attendance_set(
            activity=activity,
            attendance_mode=form.cleaned_data["attendance_mode"],
            attendees=form.cleaned_data["persons"],
            headcount=form.cleaned_data["headcount"] or 0,
            acting_user=viewer,
        ),
        success=_("The attendance is saved."),
    )
    if done.ok:
        return redirect("activities:detail", pk=activity.pk)
    context = _detail_context(request, activity, attendance_form=form)
    return render(request, "activities/detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def activity_attachments_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach evidence (photos, the scanned sign-in sheet, minutes) to an activity."""
    viewer = viewer_of(request)
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "edit", activity):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    done = submit(
        request,
        form,
        lambda: services.activity_attachments_add(
            activity=activity,
            kind=form.cleaned_data["kind"],
            files=form.cleaned_data["attachments"],
            acting_user=viewer,
        ),
        success=_("The files are attached."),
    )
    if done.ok:
        return redirect("activities:detail", pk=activity.pk)
    context = _detail_context(request, activity, attachment_form=form)
    return render(request, "activities/detail.html", context, status=422)


def _attachment(viewer: Any, pk: int, attachment_pk: int) -> tuple[Any, ActivityAttachment]:
    """An attachment of an activity the viewer sees: one 404 for missing and hidden."""
    activity = get_activity_for_viewer(viewer, pk)
    attachment = ActivityAttachment.objects.filter(pk=attachment_pk, activity=activity).first()
    if attachment is None:
        raise Http404
    return activity, attachment


@requires(VIEW)
def activity_attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """An attachment as a download (never inline, never sniffed), to those who see the
    activity."""
    _activity, attachment = _attachment(viewer_of(request), pk, attachment_pk)
    return attachment_response(attachment.file.open("rb"), attachment.original_name)


@requires(MANAGE)
@require_POST
def activity_attachment_remove_view(
    request: HttpRequest, pk: int, attachment_pk: int
) -> HttpResponse:
    viewer = viewer_of(request)
    activity, attachment = _attachment(viewer, pk, attachment_pk)
    if not can(viewer, "edit", activity):
        raise PermissionDenied
    services.activity_attachment_remove(attachment=attachment, acting_user=viewer)
    messages.success(request, _("The file is removed."))
    return redirect("activities:detail", pk=activity.pk)


@requires("problems.manage")
@require_POST
def activity_raise_problem_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a problem found on a 调研 visit on the problem list."""
    viewer = viewer_of(request)
    activity = get_activity_for_viewer(viewer, pk)
    if not can(viewer, "raise_problem", activity):
        raise PermissionDenied
    form = RaiseProblemForm(request.POST)
    done = submit(
        request,
        form,
        lambda: services.activity_raise_problem(
            activity=activity,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            deadline=form.cleaned_data["deadline"],
            acting_user=viewer,
        ),
        success=_("The problem is on the problem list."),
    )
    if done.result is not None:
        return redirect("problems:detail", pk=done.result.pk)
    context = _detail_context(request, activity, problem_form=form)
    return render(request, "activities/detail.html", context, status=422)


@requires(VIEW)
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = campaign_filters(viewer, request.GET)
    campaigns = list(campaign_list(viewer=viewer, **filters)[:200])
    return render(
        request,
        "activities/campaigns.html",
        {
            "campaigns": campaigns,
            "ledger": filters["ledger"],
            "can_create": viewer.has_function(MANAGE),
        },
    )


@requires(MANAGE)
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = CampaignForm(request.POST or None, viewer=viewer)

    def launch() -> Any:
        d = form.cleaned_data
        return services.campaign_create(
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

    done = submit(request, form, launch, success=_("The campaign is set up; now form its teams."))
    if done.result is not None:
        return redirect("activities:campaign", pk=done.result.pk)
    return render(request, "activities/campaign_form.html", {"form": form})


def _campaign_context(request: HttpRequest, campaign: Any, team_form: Any = None) -> dict[str, Any]:
    viewer = viewer_of(request)
    can_manage = can(viewer, "manage", campaign)
    return {
        "campaign": campaign,
        "progress": campaign_progress(campaign, viewer=viewer),
        "recent": list(activity_list(viewer=viewer, campaign=campaign)[:20]),
        "can_manage": can_manage,
        "team_form": team_form
        or (TeamForm(viewer=viewer, campaign=campaign) if can_manage else None),
    }


@requires(VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for_viewer(viewer_of(request), pk)
    return render(request, "activities/campaign.html", _campaign_context(request, campaign))


@requires(MANAGE)
@require_POST
def campaign_team_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    campaign = get_campaign_for_viewer(viewer, pk)
    if not can(viewer, "manage", campaign):
        raise PermissionDenied
    form = TeamForm(request.POST, viewer=viewer, campaign=campaign)
    done = submit(
        request,
        form,
        lambda: services.campaign_team_create(
            campaign=campaign,
            name=form.cleaned_data["name"],
            org=form.cleaned_data["org"],
            quota=form.cleaned_data["quota"],
            leader=form.cleaned_data["leader_person"],
            members=form.cleaned_data["member_persons"],
            acting_user=viewer,
        ),
        success=_("The team is formed."),
    )
    if done.ok:
        return redirect("activities:campaign", pk=campaign.pk)
    context = _campaign_context(request, campaign, team_form=form)
    return render(request, "activities/campaign.html", context, status=422)


@requires(VIEW)
def volunteer_list_view(request: HttpRequest) -> HttpResponse:
    """双报到: members' service in communities, with the year's person-times and hours."""
    viewer = viewer_of(request)
    filters = volunteer_filters(viewer, request.GET)
    year, ledger, q = filters.pop("year"), filters["ledger"], filters["q"]
    records = volunteer_service_list(viewer=viewer, **filters)
    can_record = viewer.has_function(MANAGE)
    form = None
    if can_record:
        form = VolunteerForm(
            request.POST or None, viewer=viewer, initial={"served_on": timezone.localdate()}
        )
        volunteer_form = form

        def record() -> Any:
            d = volunteer_form.cleaned_data
            return services.volunteer_service_record(
                org=d["org"],
                person=d["person_obj"],
                served_on=d["served_on"],
                hours=d["hours"],
                content=d["content"],
                acting_user=viewer,
            )

        try:
            done = submit(request, form, record, success=_("The service is recorded."))
        except PermissionDenied:
            form.add_error("org", _("You may not record service in this community."))
        else:
            if done.ok:
                return redirect("activities:volunteer")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "activities/volunteer.html",
        {
            "page": EstimatedPaginator(records, PAGE_SIZE).get_page(request.GET.get("page")),
            "figures": volunteer_figures(records),
            "year": year,
            "org": ledger.org,
            "ledger": ledger,
            "q": q,
            "form": form,
        },
        status=422 if form is not None and form.errors else 200,
    )
