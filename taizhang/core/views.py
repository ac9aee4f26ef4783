from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from taizhang.core.access import AUTHENTICATED, login_required, public, requires
from taizhang.core.actors import viewer_of
from taizhang.core.audit import audit_record
from taizhang.core.audit_display import describe
from taizhang.core.audit_forms import PARAMS as AUDIT_PARAMS
from taizhang.core.audit_forms import AuditFilterForm
from taizhang.core.audit_pages import AUDIT_EXPORT, VERIFY_JOB
from taizhang.core.audit_review import audit_review_mark, events_to_review, reviewed_up_to
from taizhang.core.calendar import published_years, special_days
from taizhang.core.calendar_forms import WorkdayOverrideForm
from taizhang.core.calendar_services import (
    CONFIGURE_CALENDAR,
    workday_override_create,
    workday_override_delete,
)
from taizhang.core.exports import export_respond, xlsx_response
from taizhang.core.forms import int_or_none, submit
from taizhang.core.jobs import job_reap, job_snapshot, job_start
from taizhang.core.models import AuditEvent, Job, JobStatus, WorkdayOverride
from taizhang.core.registry import NAV_ITEMS, PERMISSIONS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What the user is responsible for and what they may do."""
    # The user model (accounts) explains its own grants: core imports no module above it.
    user: Any = request.user
    functions = user.functions()
    context = {
        "grants": user.grant_facts(),
        "functions": [PERMISSIONS[code] for code in functions if code in PERMISSIONS],
        "shortcuts": [item for item in NAV_ITEMS if item.permission in functions],
    }
    return render(request, "core/home.html", context)


@requires("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, in people's words (``core/audit_display.py``).
    Only the audit administrator holds ``audit.view``. ``?review=1`` shows the events
    she has still to read (``core.audit_review``); the filters narrow either list."""
    viewer = viewer_of(request)
    to_review = events_to_review(viewer)
    review = request.GET.get("review") == "1"
    form = AuditFilterForm(
        request.GET if any(request.GET.get(k) for k in AUDIT_PARAMS) else None, viewer=viewer
    )
    events = form.narrow(to_review if review else AuditEvent.objects.all()).order_by("-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    filters = {key: request.GET.get(key, "")[:80] for key in AUDIT_PARAMS if request.GET.get(key)}
    # Reading the trail is itself on the trail (issue 19): who looked, at what.
    audit_record(
        actor=viewer,
        action="audit.read",
        object_type="core.auditevent",
        object_repr=f"page {page.number}",
        changes={
            "review": [None, review],
            "action": [None, filters.get("action", "")],
            **({"filters": filters} if filters else {}),
        },
    )
    pending = to_review.count()
    context = {
        "page": page,
        "rows": describe(page.object_list),
        "form": form,
        "review": review,
        "pending": pending,
        "filter_query": urlencode(filters),
        # The mark covers what is listed now; events written after the page was shown
        # stay on the list.
        "review_up_to": to_review.order_by("-pk").values_list("pk", flat=True).first(),
        "reviewed_up_to": reviewed_up_to(viewer),
    }
    return render(request, "core/audit_list.html", context)


@requires("audit.view")
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered trail as an Excel file (a background task above the export limit);
    the export is itself an audit event."""
    form = AuditFilterForm(
        request.GET if any(request.GET.get(k) for k in AUDIT_PARAMS) else None,
        viewer=viewer_of(request),
    )
    if form.is_bound and not form.is_valid():
        raise Http404
    return export_respond(request, AUDIT_EXPORT)


@requires("audit.view")
@require_POST
def audit_verify_start(request: HttpRequest) -> HttpResponse:
    """Verify the whole chain in the background and show the result on the task's page."""
    job = job_start(
        kind=VERIFY_JOB,
        label=_("Verify the audit chain"),
        params={},
        acting_user=viewer_of(request),
    )
    return redirect("core:job", pk=job.pk)


@requires("audit.view")
@require_POST
def audit_review(request: HttpRequest) -> HttpResponse:
    """Mark the events to review as read, up to the newest one the page listed."""
    up_to = int_or_none(request.POST.get("up_to"))
    try:
        if up_to is None:
            raise ValidationError(_("There is no such audit event."))
        audit_review_mark(acting_user=viewer_of(request), up_to=up_to)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as read up to event #%(id)s.") % {"id": up_to})
    return redirect(f"{reverse('core:audit_list')}?review=1")


set_language = public(django_set_language)


@requires(CONFIGURE_CALENDAR)
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The year's holidays and make-up working days, and the overrides kept here."""
    today = timezone.localdate()
    year = int_or_none(request.GET.get("year") or request.POST.get("year")) or today.year
    year = min(max(year, 2000), 2100)
    form = WorkdayOverrideForm(request.POST or None, initial={"is_workday": "0"})
    done = submit(
        request,
        form,
        lambda: workday_override_create(
            date=form.cleaned_data["date"],
            is_workday=form.cleaned_data["is_workday"] == "1",
            name=form.cleaned_data["name"],
            note=form.cleaned_data["note"],
            acting_user=viewer_of(request),
        ),
        success=_("Override saved: deadlines computed from now on follow it."),
    )
    if done.ok and done.result is not None:
        return redirect(f"{reverse('core:calendar')}?year={done.result.date.year}")
    context = {
        "year": year,
        "days": special_days(year),
        "published": year in published_years(),
        "published_years": published_years(),
        "form": form,
    }
    return render(request, "core/calendar.html", context)


@requires(CONFIGURE_CALENDAR)
@require_POST
def calendar_override_delete(request: HttpRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(WorkdayOverride, pk=pk)
    year = override.date.year
    workday_override_delete(override=override, acting_user=viewer_of(request))
    messages.success(request, _("Override removed."))
    return redirect(f"{reverse('core:calendar')}?year={year}")


def _own_job(request: HttpRequest, pk: int) -> Job:
    """The viewer's own background task; another person's answers 404 like a missing one."""
    job = Job.objects.filter(pk=pk, created_by_id=request.user.pk).first()
    if job is None:
        raise Http404
    return job


@requires(AUTHENTICATED)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A background task: its progress while it runs, then its result or its file."""
    job = job_reap(_own_job(request, pk))
    context = {"job": job, "snapshot": job_snapshot(job)}
    name = "core/_job.html" if getattr(request, "htmx", False) else "core/job.html"
    return render(request, name, context)


@requires(AUTHENTICATED)
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if job.status != JobStatus.SUCCEEDED or not job.file:
        raise Http404
    with job.file.open("rb") as handle:
        content = handle.read()
    return xlsx_response(content, filename=job.file_name, ascii_filename=f"export-{job.pk}.xlsx")
