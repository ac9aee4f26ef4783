"""The NinjaAPI at ``/api/v1/``: every module's ``api.router`` mounted under its name.

Deny by default: the API requires a bearer token unless an operation says
``auth=None``, and every operation declares its function with ``@requires`` (a test
walks all operations and fails on any without one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from taizhang.api.auth import BearerToken
from taizhang.core.middleware import audit_denied
from taizhang.core.versions import StaleEdit

logger = logging.getLogger("taizhang.api")


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API map (``docs`` and ``openapi.json``) is for signed-in people and holders
    of a live token only (issue 19): the page sends others to the login, the document
    answers 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            header = request.headers.get("Authorization", "")
            scheme, _sep, token = header.partition(" ")
            if scheme.lower() != "bearer" or BearerToken().authenticate(request, token) is None:
                if request.path.endswith(".json"):
                    detail = _("Sign in, or send Authorization: Bearer <token>.")
                    return JsonResponse({"detail": detail}, status=401)
                return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


api = NinjaAPI(
    title="taizhang API",
    version="1",
    description="Work ledgers of local government and Party organizations.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_decorator=_signed_in,
)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    audit_denied(request)
    return api.create_response(request, {"detail": _("Permission denied.")}, status=403)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": _("The request body is too large.")}, status=413)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A number too large for the database (an offset or id of 2**63 and more): the
    client's mistake, answered as one, never a 500 (issue 19)."""
    logger.warning("API %s: value out of range: %s", request.path, exc)
    return api.create_response(
        request, {"detail": _("A number in the request is out of range.")}, status=422
    )


@api.exception_handler(StaleEdit)
def _stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    """Someone else wrote the record since the client read it (``If-Match``): 409 with
    who, when and which fields, so the client can show the other person's change."""
    event = exc.event
    return api.create_response(
        request,
        {
            "detail": exc.messages[0],
            "version": exc.current,
            "changed_by": event.actor_name if event else "",
            "changed_at": event.occurred_at.isoformat() if event else None,
            "changes": event.changes if event else {},
        },
        status=409,
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


for _name in settings.TAIZHANG_MODULES:
    _module = f"taizhang.{_name}.api"
    if find_spec(_module) is None:
        continue
    _api_module = import_module(_module)
    # A module mounts under its own name unless it declares PREFIX (accounts: "/").
    api.add_router(getattr(_api_module, "PREFIX", f"/{_name}"), _api_module.router)
