"""Pages for training classes: check permission, validate, call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import submit
from taizhang.core.versions import parse_version, version_of
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.trainings import services
from taizhang.trainings.forms import (
    ClassForm,
    EnrollForm,
    QuotaForm,
    ReadForm,
    ReflectionForm,
    SeriesForm,
    SessionForm,
    SheetForm,
)
from taizhang.trainings.models import Reflection
from taizhang.trainings.permissions import TRAINING_SERIES, can
from taizhang.trainings.selectors import (
    SORTS,
    class_reflections,
    class_report,
    class_roster,
    class_sessions,
    get_enrollment,
    get_session,
    get_training_class_for_viewer,
    get_training_series_for_viewer,
    next_class_number,
    series_classes,
    series_press_line,
    series_progress,
    session_sheet,
    trainee_record,
    training_class_list,
    training_series_list,
)

VIEW = "trainings.view"
MANAGE = "trainings.manage"


def _act(request: HttpRequest, pk: int, action: str) -> tuple[Actor, Any]:
    """The class, if the viewer may see it (404) and take ``action`` on it (403)."""
    viewer = viewer_of(request)
    klass = get_training_class_for_viewer(viewer, pk)
    if not can(viewer, action, klass):
        raise PermissionDenied
    return viewer, klass


def class_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The class list's filters (and ``class``, one class's roster); the exports read
    the same ones. A class outside the scope is the same 404 as a missing one. The
    organization (and its subtree), the date range and "mine" are the shared ledger
    filters (``organizations/filters.py``)."""
    sort = get.get("sort", "")
    klass = get_training_class_for_viewer(viewer, get["class"]) if get.get("class") else None
    return {
        "ledger": ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("First day")),
        "q": get.get("q", "").strip()[:60],
        "sort": sort if sort in SORTS else "",
        "klass": klass,
    }


@requires(VIEW)
def class_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = class_filters(viewer, request.GET)
    filters.pop("klass")
    ledger = filters["ledger"]
    classes = list(training_class_list(viewer=viewer, **filters)[:200])
    today = timezone.localdate()
    series = list(training_series_list(viewer=viewer, on=today)[:20])
    return render(
        request,
        "trainings/list.html",
        {
            "classes": classes,
            "series": series,
            "ledger": ledger,
            "can_create": viewer.has_function(MANAGE),
        },
    )


@requires(VIEW)
def class_export(request: HttpRequest) -> HttpResponse:
    """The classes of the list as an .xlsx (a background task when it is large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if class_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "trainings.training_class")


@requires(VIEW)
def roster_export(request: HttpRequest) -> HttpResponse:
    """The trainees of the listed classes (or of ``?class=``) with their 结业; filters
    the page would refuse: 404."""
    if class_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "trainings.enrollment")


@requires(MANAGE)
def class_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    initial: dict[str, Any] = {}
    if request.GET.get("series"):
        # "Open the next class" from a series page: the series, its organizer, its next 期次.
        chosen = get_training_series_for_viewer(viewer, request.GET["series"])
        initial = {
            "series": chosen.pk,
            "org": chosen.org_id,
            "number": next_class_number(chosen.org, chosen),
            "title": chosen.title,
        }
    form = ClassForm(request.POST or None, viewer=viewer, initial=initial)
    done = submit(
        request,
        form,
        lambda: services.training_class_create(acting_user=viewer, **form.cleaned_data),
        success=_("The class is open; now plan its curriculum."),
    )
    if done.ok and done.result is not None:
        return redirect("trainings:detail", pk=done.result.pk)
    return render(request, "trainings/form.html", {"form": form})


def _detail_context(request: HttpRequest, klass: Any, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    roster = class_roster(klass)
    context: dict[str, Any] = {
        "klass": klass,
        "sessions": class_sessions(klass),
        "roster": roster,
        "quotas": class_report(klass).by_org,
        "can_edit": can(viewer, "edit", klass),
        "today": timezone.localdate(),
    }
    if context["can_edit"]:
        context["session_form"] = forms.get("session_form") or SessionForm(
            viewer=viewer, initial={"day": klass.start_date}
        )
        context["quota_form"] = forms.get("quota_form") or QuotaForm(viewer=viewer)
        context["enroll_form"] = forms.get("enroll_form") or EnrollForm(viewer=viewer)
    return context


@requires(VIEW)
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    klass = get_training_class_for_viewer(viewer_of(request), pk)
    return render(request, "trainings/detail.html", _detail_context(request, klass))


def _post(
    request: HttpRequest, klass: Any, key: str, form: Any, call: Any, ok: str, to: str = ""
) -> HttpResponse:
    if submit(request, form, lambda: call(form.cleaned_data), success=ok).ok:
        return redirect(to or reverse("trainings:detail", args=[klass.pk]))
    context = _detail_context(request, klass, **{key: form})
    return render(request, "trainings/detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def session_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, klass = _act(request, pk, "edit")
    return _post(
        request,
        klass,
        "session_form",
        SessionForm(request.POST, viewer=viewer),
        lambda d: services.training_session_create(
            training_class=klass,
            kind=d["kind"],
            title=d["title"],
            day=d["day"],
            start_time=d["start_time"],
            end_time=d["end_time"],
            speaker=d["speaker_person"],
            speaker_note=d["speaker_note"],
            location=d["location"],
            acting_user=viewer,
        ),
        _("The session is on the curriculum."),
    )


@requires(MANAGE)
@require_POST
def quota_set_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, klass = _act(request, pk, "edit")
    return _post(
        request,
        klass,
        "quota_form",
        QuotaForm(request.POST, viewer=viewer),
        lambda d: services.class_quota_set(
            training_class=klass, org=d["org"], quota=d["quota"], acting_user=viewer
        ),
        _("The places are allotted."),
    )


@requires(MANAGE)
@require_POST
def enroll_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, klass = _act(request, pk, "enroll")
    return _post(
        request,
        klass,
        "enroll_form",
        EnrollForm(request.POST, viewer=viewer),
        lambda d: services.enrollment_create(
            training_class=klass, persons=d["persons"], acting_user=viewer
        ),
        _("The trainees are enrolled."),
    )


@requires(VIEW)
def session_sheet_view(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """A session's sign-in sheet; the organizer ticks who came."""
    viewer = viewer_of(request)
    klass = get_training_class_for_viewer(viewer, pk)
    session = get_session(klass, session_pk)
    can_check = can(viewer, "check_in", klass)
    status = 200
    if request.method == "POST":
        if not can_check:
            raise PermissionDenied
        form = SheetForm(request.POST, training_class=klass)
        if form.is_valid():
            try:
                services.session_sheet_save(
                    session=session, present=list(form.cleaned_data["present"]), acting_user=viewer
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The sign-in sheet is saved."))
                return redirect("trainings:sheet", pk=klass.pk, session_pk=session.pk)
        status = 422
    sheet = session_sheet(session)
    return render(
        request,
        "trainings/sheet.html",
        {
            "klass": klass,
            "session": session,
            "sheet": sheet,
            "present": sum(1 for row in sheet if getattr(row, "is_present", False)),
            "can_check": can_check,
        },
        status=status,
    )


def _reflections_context(request: HttpRequest, klass: Any, form: Any = None) -> dict[str, Any]:
    viewer = viewer_of(request)
    can_submit = can(viewer, "submit_reflection", klass)
    return {
        "klass": klass,
        "reflections": class_reflections(klass),
        "can_read": can(viewer, "read_reflection", klass),
        "form": form or (ReflectionForm(training_class=klass) if can_submit else None),
    }


@requires(VIEW)
def reflections_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Written reflections: hand one in for a trainee, read and comment."""
    viewer = viewer_of(request)
    klass = get_training_class_for_viewer(viewer, pk)
    if request.method == "POST":
        if not can(viewer, "submit_reflection", klass):
            raise PermissionDenied
        form = ReflectionForm(request.POST, training_class=klass)
        done = submit(
            request,
            form,
            lambda: services.reflection_submit(
                enrollment=form.cleaned_data["enrollment"],
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                acting_user=viewer,
            ),
            success=_("The reflection is handed in."),
        )
        if done.ok:
            return redirect("trainings:reflections", pk=klass.pk)
        context = _reflections_context(request, klass, form)
        return render(request, "trainings/reflections.html", context, status=422)
    return render(request, "trainings/reflections.html", _reflections_context(request, klass))


@requires(MANAGE)
@require_POST
def reflection_read_view(request: HttpRequest, pk: int, reflection_pk: int) -> HttpResponse:
    viewer, klass = _act(request, pk, "read_reflection")
    reflection = Reflection.objects.filter(
        pk=reflection_pk, enrollment__training_class=klass
    ).first()
    if reflection is None:
        raise Http404
    form = ReadForm(request.POST)
    if form.is_valid():
        services.reflection_read(
            reflection=reflection, comment=form.cleaned_data["comment"], acting_user=viewer
        )
        messages.success(request, _("The reflection is marked as read."))
    return redirect("trainings:reflections", pk=klass.pk)


@requires(MANAGE)
@require_POST
def complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """结业: apply the completion rule and publish the graduate list."""
    viewer, klass = _act(request, pk, "complete")
    try:
        services.training_class_complete(training_class=klass, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("trainings:detail", pk=klass.pk)
    messages.success(request, _("The class is completed; the graduate list is final."))
    return redirect("trainings:report", pk=klass.pk)


@requires(VIEW)
def report_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The class report: the figures a press release would use, and the graduates."""
    klass = get_training_class_for_viewer(viewer_of(request), pk)
    report = class_report(klass)
    graduates = [row for row in class_roster(klass) if row.graduated] if klass.completed_on else []
    return render(
        request, "trainings/report.html", {"klass": klass, "report": report, "graduates": graduates}
    )


@requires(VIEW)
def trainee_view(request: HttpRequest, person_pk: int) -> HttpResponse:
    """A trainee's record across classes."""
    person, rows = trainee_record(viewer=viewer_of(request), person_pk=person_pk)
    return render(request, "trainings/trainee.html", {"person": person, "rows": rows})


@requires(MANAGE)
@require_POST
def withdraw_view(request: HttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    viewer, klass = _act(request, pk, "enroll")
    enrollment = get_enrollment(klass, enrollment_pk)
    services.enrollment_withdraw(enrollment=enrollment, acting_user=viewer)
    messages.success(request, _("The trainee is withdrawn from the class."))
    return redirect("trainings:detail", pk=klass.pk)


# --- training series (培训系列) ------------------------------------------------------------


@requires(VIEW)
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A series: its plan, its progress against it and its classes in 期次 order."""
    viewer = viewer_of(request)
    series = get_training_series_for_viewer(viewer, pk)
    progress = series_progress(series, timezone.localdate())
    return render(
        request,
        "trainings/series.html",
        {
            "series": series,
            "progress": progress,
            "press_line": series_press_line(series, progress),
            "classes": list(series_classes(viewer, series)),
            "can_edit": TRAINING_SERIES.covers(viewer, series, MANAGE),
        },
    )


@requires(MANAGE)
def series_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = SeriesForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.training_series_create(acting_user=viewer, **form.cleaned_data),
        success=_("The series is started; open its first class."),
    )
    if done.ok and done.result is not None:
        return redirect("trainings:series", pk=done.result.pk)
    return render(request, "trainings/series_form.html", {"form": form, "series": None})


@requires(MANAGE)
def series_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    series = get_training_series_for_viewer(viewer, pk)
    if not TRAINING_SERIES.covers(viewer, series, MANAGE):
        raise PermissionDenied
    # The version the editor opened (core.versions): a change by someone else since is
    # shown on the form instead of being overwritten.
    seen = (
        parse_version(request.POST.get("version"))
        if request.method == "POST"
        else version_of(series)
    )
    initial = {
        "title": series.title,
        "planned_classes": series.planned_classes,
        "planned_trainees": series.planned_trainees,
        "description": series.description,
        "version": seen,
    }
    form = SeriesForm(request.POST or None, viewer=viewer, editing=True, initial=initial)

    def save() -> Any:
        data = dict(form.cleaned_data)
        data.pop("version", None)
        return services.training_series_update(
            series=series, acting_user=viewer, version=seen, **data
        )

    done = submit(request, form, save, success=_("The series is saved."))
    if done.ok:
        return redirect("trainings:series", pk=series.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "trainings/series_form.html", {"form": form, "series": series}, status=status
    )
