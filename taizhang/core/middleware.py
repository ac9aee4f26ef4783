"""Request-wide middleware: client IP for the audit trail, and deny-by-default routing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from taizhang.core import request_context
from taizhang.core.access import PUBLIC, route_permission

logger = logging.getLogger("taizhang.access")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_context.set_ip(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            request_context.reset_ip(token)


class DenyByDefaultMiddleware:
    """Refuse any view that has not declared the permission it needs.

    Views declare it with ``@requires("module.action")`` or ``@public``; the API
    declares it per operation and is checked by the API itself (``taizhang.api``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if settings.DEBUG and request.path.startswith(settings.STATIC_URL):
            return None
        permission = route_permission(view_func)
        if permission is None:
            logger.error("Route %s declares no permission; refused", request.path)
            raise PermissionDenied("This route declares no permission.")
        if permission == PUBLIC:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # The view's own @requires wrapper checks the function itself.
        return None
