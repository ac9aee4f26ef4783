"""The platform's endpoint (``POST /hotline/v1/work-orders``) and the system
administrator's pages (endpoints, pushes).

The endpoint is public as a route: the platform is no user. It is authenticated here by
the signature of the endpoint named in ``X-Key-Id`` and acts through that endpoint's
service account. Every refusal is one error shape, ``{"error": {"code", "message",
"fields"}}``, in the language of ``Accept-Language`` (Chinese by default); a refused
signature is also on the audit trail (``access.denied``).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from taizhang.core.access import public, requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.middleware import audit_denied
from taizhang.core.versions import page_version, seen_version
from taizhang.core.webhooks import mask_secret, mask_url
from taizhang.hotline import selectors, services
from taizhang.hotline.forms import EndpointForm, WorkOrderForm, flatten
from taizhang.hotline.models import HotlineEndpoint, PushStatus
from taizhang.hotline.permissions import CONFIGURE, ENDPOINT, PUSH
from taizhang.hotline.signing import KEY_ID, SIGNATURE, TIMESTAMP, signature_ok, timestamp_fresh

MAX_BODY = 64 * 1024
PAGE_SIZE = 20


def error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "no-store"
    return response


def _fields(err: ValidationError) -> dict[str, list[str]]:
    if hasattr(err, "error_dict"):
        return {name: [str(m) for m in errs] for name, errs in err.message_dict.items()}
    return {"__all__": [str(m) for m in err.messages]}


def _endpoint(request: HttpRequest, body: bytes) -> HotlineEndpoint | JsonResponse:
    """The endpoint whose key signed the request, or the answer refusing it."""
    key_id = request.headers.get(KEY_ID, "").strip()
    timestamp = request.headers.get(TIMESTAMP, "").strip()
    signature = request.headers.get(SIGNATURE, "").strip()
    if not (key_id and timestamp and signature):
        audit_denied(request)
        return error(
            401,
            "signature_missing",
            _("Sign the request: X-Key-Id, X-Timestamp and X-Signature are required."),
        )
    endpoint = HotlineEndpoint.objects.filter(code=key_id).select_related("org", "account").first()
    if endpoint is None or not signature_ok(endpoint.shared_key, timestamp, body, signature):
        # An unknown key id is answered like a wrong signature: nothing to probe.
        audit_denied(request)
        return error(401, "signature_invalid", _("The signature does not match the request."))
    if not timestamp_fresh(timestamp):
        audit_denied(request)
        return error(
            401,
            "timestamp_expired",
            _("The request's timestamp is more than 5 minutes from the server's clock."),
        )
    if not endpoint.active or not endpoint.account.is_active:
        audit_denied(request)
        return error(403, "endpoint_inactive", _("This endpoint is not active."))
    return endpoint


@public
@csrf_exempt
def work_order_view(request: HttpRequest) -> HttpResponse:
    """Receive a work order; answer its demand number (201 new, 200 known)."""
    if request.method != "POST":
        response = error(405, "method_not_allowed", _("Only POST is answered here."))
        response["Allow"] = "POST"
        return response
    body = request.body
    if len(body) > MAX_BODY:
        return error(413, "too_large", _("The request is larger than 64 KiB."))
    found = _endpoint(request, body)
    if isinstance(found, JsonResponse):
        return found
    endpoint = found
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        return error(400, "invalid_json", _("The body is not a JSON object."))
    form = WorkOrderForm(flatten(data))
    if not form.is_valid():
        fields = {name: [str(m) for m in errs] for name, errs in form.errors.items()}
        return error(422, "invalid", _("The work order has invalid fields."), fields)
    try:
        order, created = services.work_order_receive(
            endpoint=endpoint,
            order=services.WorkOrderIn(**form.cleaned_data),
            acting_user=endpoint.account,
        )
    except PermissionDenied:
        audit_denied(request)
        return error(403, "not_allowed", _("The endpoint's account may not record demands here."))
    except ValidationError as err:
        return error(422, "invalid", _("The work order has invalid fields."), _fields(err))
    demand = order.demand
    answer: dict[str, Any] = {
        "order_no": order.order_no,
        "demand_number": demand.number,
        "due_on": demand.due_on.isoformat(),
        "duplicate": not created,
    }
    response = JsonResponse(answer, status=201 if created else 200)
    response["Cache-Control"] = "no-store"
    return response


# --- the administrator's pages ----------------------------------------------------------


@requires(CONFIGURE)
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    rows = [
        (e, mask_secret(e.shared_key), mask_url(e.push_url))
        for e in selectors.endpoint_list(viewer=viewer)
    ]
    return render(
        request,
        "hotline/endpoints.html",
        {"rows": rows, "failed": selectors.push_failed_count(viewer=viewer)},
    )


def _key_page(request: HttpRequest, endpoint: HotlineEndpoint) -> HttpResponse:
    """The shared key, once: to give to the platform."""
    return render(request, "hotline/endpoint_key.html", {"endpoint": endpoint})


@requires(CONFIGURE)
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = EndpointForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.hotline_endpoint_create(**form.cleaned_data, acting_user=viewer),
        success=_("Hotline endpoint added."),
    )
    if done.ok:
        if done.result is not None and not form.cleaned_data.get("shared_key"):
            return _key_page(request, done.result)
        return redirect("hotline:endpoints")
    return render(request, "hotline/endpoint_form.html", {"form": form, "endpoint": None})


@requires(CONFIGURE)
def endpoint_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    endpoint = ENDPOINT.get(viewer, pk)
    seen = seen_version(request, endpoint)  # issue 19: another's change is shown, not lost
    form = EndpointForm(request.POST or None, viewer=viewer, endpoint=endpoint)
    done = submit(
        request,
        form,
        lambda: services.hotline_endpoint_update(
            endpoint=endpoint, acting_user=viewer, version=seen, **form.cleaned_data
        ),
        success=_("Hotline endpoint saved."),
    )
    if done.ok:
        if form.cleaned_data.get("new_key"):
            return _key_page(request, endpoint)
        return redirect("hotline:endpoints")
    context = {"form": form, "endpoint": endpoint, "version": page_version(form, endpoint, seen)}
    return render(request, "hotline/endpoint_form.html", context)


@requires(CONFIGURE)
def push_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "")
    page = Paginator(selectors.push_list(viewer=viewer, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "hotline/pushes.html",
        {"page": page, "status": status, "statuses": PushStatus.choices},
    )


@requires(CONFIGURE)
@require_POST
def push_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    push = PUSH.get(viewer, pk)
    try:
        services.push_retry(push=push, acting_user=viewer)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("The push will be sent again."))
    return redirect("hotline:pushes")
