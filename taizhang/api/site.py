"""The NinjaAPI at ``/api/v1/``: every module's ``api.router`` mounted under its name.

Deny by default: the API requires a bearer token unless an operation says
``auth=None``, and every operation declares its function with ``@requires`` (a test
walks all operations and fails on any without one).
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from taizhang.api.auth import BearerToken

api = NinjaAPI(
    title="taizhang API",
    version="1",
    description="Work ledgers of local government and Party organizations.",
    auth=BearerToken(),
    urls_namespace="api",
)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "Permission denied"}, status=403)


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
