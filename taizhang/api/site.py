"""The NinjaAPI at ``/api/v1/``: every module's ``api.router`` mounted under its name.

Deny by default: the API requires a bearer token unless an operation says
``auth=None``, and every operation declares its function with ``@requires`` (a test
walks all operations and fails on any without one).

One error shape (issue 17): every error is ``core.schemas.ErrorOut``,
``{"error": {"code", "message", "fields"}}``, in the request's language; the handlers
below turn ninja's, pydantic's and Django's exceptions into it, an unknown path under
``/api/`` (``not_found``) and a method an operation does not take (405) included, and
the OpenAPI document states the errors of every operation (``TaizhangAPI``).
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
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from taizhang.api.auth import BearerToken
from taizhang.api.errors import (
    CODES,
    document_errors,
    invalid_message,
    pydantic_fields,
)
from taizhang.core.access import public
from taizhang.core.middleware import audit_denied
from taizhang.core.schemas import error_body
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
                    return JsonResponse(error_body("unauthorized", detail), status=401)
                return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def method_not_allowed(allowed: Any) -> HttpResponse:
    response = JsonResponse(
        error_body("method_not_allowed", _("This method is not allowed here.")), status=405
    )
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def _json_405(view: Callable[..., Any]) -> Callable[..., Any]:
    """ninja answers a method no operation of the path takes with a plain-text 405."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            return method_not_allowed(allowed)
        return response

    return wrapper


class TaizhangAPI(NinjaAPI):
    """NinjaAPI with the error contract: JSON 405s and the errors in the document."""

    def _get_urls(self) -> list[Any]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_405(pattern.callback)
        return urls

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        document_errors(schema)
        return schema


api = TaizhangAPI(
    title="taizhang API",
    version="1",
    description=(
        "Work ledgers of local government and Party organizations. Every error is "
        '`{"error": {"code", "message", "fields"}}` in the language of Accept-Language '
        "(Chinese by default); money is in yuan, areas in square metres."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_decorator=_signed_in,
)


def _error(request: HttpRequest, status: int, code: str, message: Any, **kw: Any) -> HttpResponse:
    return api.create_response(request, error_body(code, message, **kw), status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = _("Sign in, or send Authorization: Bearer <token>.")
    return _error(request, 401, "unauthorized", message)


@api.exception_handler(AuthorizationError)
@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    audit_denied(request)
    return _error(request, 403, "forbidden", _("Permission denied."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found, or not in your scope."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = CODES.get(exc.status_code, "error")
    if exc.status_code == 400:
        return _error(request, 400, code, _("The request body cannot be read (not valid JSON?)."))
    return _error(request, exc.status_code, code, _("The request cannot be answered."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "too_large", _("The request body is too large."))


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A number too large for the database (an offset or id of 2**63 and more): the
    client's mistake, answered as one, never a 500 (issue 19)."""
    logger.warning("API %s: value out of range: %s", request.path, exc)
    return _error(request, 422, "out_of_range", _("A number in the request is out of range."))


@api.exception_handler(StaleEdit)
def _stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    """Someone else wrote the record since the client read it (``If-Match``): 409 with
    who, when and which fields, so the client can show the other person's change."""
    event = exc.event
    return _error(
        request,
        409,
        "stale_edit",
        exc.messages[0],
        version=exc.current,
        changed_by=event.actor_name if event else "",
        changed_at=event.occurred_at.isoformat() if event else None,
        changes=event.changes if event else {},
    )


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """Parameters or body that do not fit the schema (pydantic): messages per field."""
    fields = pydantic_fields(exc.errors)
    return _error(request, 422, "invalid", invalid_message(fields), fields=fields)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service or the API refused the input (Django's ValidationError)."""
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    return _error(request, 422, "invalid", invalid_message(fields), fields=fields)


@public
def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under ``/api/`` no operation answers: JSON, never the HTML 404 page."""
    return JsonResponse(error_body("not_found", _("There is no such API path.")), status=404)


for _name in settings.TAIZHANG_MODULES:
    _module = f"taizhang.{_name}.api"
    if find_spec(_module) is None:
        continue
    _api_module = import_module(_module)
    # A module mounts under its own name unless it declares PREFIX (accounts: "/").
    api.add_router(getattr(_api_module, "PREFIX", f"/{_name}"), _api_module.router)

# Deletions for a sync (tombstones), beside every module's lists.
from taizhang.api.deleted import router as _deleted_router  # noqa: E402

api.add_router("/deleted", _deleted_router)
