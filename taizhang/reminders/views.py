"""Pages of the reminders module: my messages; the administrator's rules, robots and
deliveries. Each view checks the function, validates a form, calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import AUTHENTICATED, requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.notify import RULES
from taizhang.core.versions import page_version, seen_version
from taizhang.reminders import selectors, services
from taizhang.reminders.channels import mask_secret, mask_url
from taizhang.reminders.forms import EndpointForm, RuleForm
from taizhang.reminders.models import DeliveryStatus, ReminderRule
from taizhang.reminders.permissions import (
    CONFIGURE,
    DELIVERY,
    ENDPOINT,
    can_configure_rules,
    message_get,
)

PAGE_SIZE = 20


def local_url(url: str) -> str:
    """A message's link if it is a path on this site; never an outside address."""
    url = (url or "").strip()
    if (
        url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and url_has_allowed_host_and_scheme(url, allowed_hosts=set())
    ):
        return url
    return reverse("reminders:messages")


# --- my messages -----------------------------------------------------------------------


@requires(AUTHENTICATED)
def message_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    page = Paginator(selectors.message_list(viewer=viewer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reminders/messages.html",
        {"page": page, "unread": selectors.unread_count(viewer=viewer)},
    )


@requires(AUTHENTICATED)
@require_POST
def message_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Clicking a message: it is read, and the reader goes where it points (on this site)."""
    viewer = viewer_of(request)
    message = services.message_mark_read(message=message_get(viewer, pk), acting_user=viewer)
    return redirect(local_url(message.url))


@requires(AUTHENTICATED)
@require_POST
def message_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    services.message_mark_read(message=message_get(viewer, pk), acting_user=viewer)
    return redirect(local_url(request.POST.get("next", "")))


@requires(AUTHENTICATED)
@require_POST
def message_read_all_view(request: HttpRequest) -> HttpResponse:
    count = services.messages_mark_all_read(acting_user=viewer_of(request))
    if count:
        messages.success(request, _("All messages marked as read."))
    return redirect("reminders:messages")


@requires(AUTHENTICATED)
def unread_count_view(request: HttpRequest) -> HttpResponse:
    """The number for the top bar, or nothing when everything is read."""
    count = selectors.unread_count(viewer=viewer_of(request))
    return render(request, "reminders/_count.html", {"count": count})


# --- the rules dictionary ----------------------------------------------------------------


def _require_rules(request: HttpRequest) -> None:
    if not can_configure_rules(viewer_of(request)):
        raise PermissionDenied


@requires(CONFIGURE)
def rule_list_view(request: HttpRequest) -> HttpResponse:
    _require_rules(request)
    return render(request, "reminders/rules.html", {"rows": selectors.rule_rows()})


@requires(CONFIGURE)
def rule_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_rules(request)
    viewer = viewer_of(request)
    rule = get_object_or_404(ReminderRule, pk=pk)
    seen = seen_version(request, rule)  # issue 19: another's change is shown, not lost
    declared = RULES.get(rule.code)
    deadline_rule = declared is None or declared.days_before is not None
    form = RuleForm(
        request.POST or None,
        deadline_rule=deadline_rule,
        initial={
            "enabled": rule.enabled,
            "days_before": rule.days_before,
            "to_webhook": rule.to_webhook,
        },
    )
    done = submit(
        request,
        form,
        lambda: services.reminder_rule_update(
            rule=rule,
            enabled=form.cleaned_data["enabled"],
            days_before=form.cleaned_data.get("days_before"),
            to_webhook=form.cleaned_data["to_webhook"],
            acting_user=viewer,
            version=seen,
        ),
        success=_("Reminder rule saved."),
    )
    if done.ok:
        return redirect("reminders:rules")
    context = {
        "rule": rule,
        "declared": declared,
        "form": form,
        "version": page_version(form, rule, seen),
    }
    return render(request, "reminders/rule_edit.html", context)


# --- webhook endpoints ---------------------------------------------------------------------


@requires(CONFIGURE)
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    rows = [
        (endpoint, mask_url(endpoint.url), mask_secret(endpoint.secret))
        for endpoint in selectors.endpoint_list(viewer=viewer)
    ]
    return render(
        request,
        "reminders/endpoints.html",
        {"rows": rows, "failed": selectors.delivery_failed_count(viewer=viewer)},
    )


@requires(CONFIGURE)
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = EndpointForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.webhook_endpoint_create(**form.cleaned_data, acting_user=viewer),
        success=_("Robot added."),
    )
    if done.ok:
        return redirect("reminders:endpoints")
    return render(request, "reminders/endpoint_form.html", {"form": form, "endpoint": None})


@requires(CONFIGURE)
def endpoint_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    endpoint = ENDPOINT.get(viewer, pk)
    seen = seen_version(request, endpoint)  # issue 19: another's change is shown, not lost
    form = EndpointForm(request.POST or None, viewer=viewer, endpoint=endpoint)

    def save() -> object:
        data = dict(form.cleaned_data)
        if not data.get("url"):
            data.pop("url", None)
        return services.webhook_endpoint_update(
            endpoint=endpoint, acting_user=viewer, version=seen, **data
        )

    done = submit(request, form, save, success=_("Robot saved."))
    if done.ok:
        return redirect("reminders:endpoints")
    return render(
        request,
        "reminders/endpoint_form.html",
        {
            "form": form,
            "endpoint": endpoint,
            "masked_url": mask_url(endpoint.url),
            "version": page_version(form, endpoint, seen),
        },
    )


@requires(CONFIGURE)
@require_POST
def endpoint_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    services.webhook_endpoint_delete(endpoint=ENDPOINT.get(viewer, pk), acting_user=viewer)
    messages.success(request, _("Robot removed."))
    return redirect("reminders:endpoints")


# --- deliveries ------------------------------------------------------------------------------


@requires(CONFIGURE)
def delivery_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "")
    rows = selectors.delivery_list(viewer=viewer, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reminders/deliveries.html",
        {"page": page, "status": status, "statuses": DeliveryStatus.choices},
    )


@requires(CONFIGURE)
@require_POST
def delivery_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    delivery = DELIVERY.get(viewer, pk)
    try:
        services.delivery_retry(delivery=delivery, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The delivery will be tried again."))
    return redirect("reminders:deliveries")
