"""Request-wide middleware: client IP for the audit trail, caching and security headers,
and deny-by-default routing."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from taizhang.core import request_context
from taizhang.core.access import PUBLIC, route_permission

logger = logging.getLogger("taizhang.access")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person at the keyboard, as far as it can be known.

    X-Forwarded-For is a list anyone can write; only the entries appended by proxies we
    run can be believed. So it is read only when the direct peer is a trusted proxy, from
    the right, skipping trusted proxies: the first address that is not one of ours is the
    client. Without trusted proxies (the default) the direct peer is the answer.
    """
    peer: str | None = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TAIZHANG_TRUSTED_PROXIES))
    if peer is None or not networks or not _is_trusted(peer, networks):
        return peer
    forwarded: list[str] = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed chain proves nothing; keep what the socket says
        if not _is_trusted(hop, networks):
            return hop
    return forwarded[0] if forwarded else peer


class RequestContextMiddleware:
    """Puts the client IP where the audit trail reads it (``request_context``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_context.set_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_context.reset_ip(token)


class NoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by a browser or a proxy: pages,
    exports and API answers carry personal data and scoped figures (issue 19). A
    response that set its own caching (static files, the login page) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


# What a page may load: its own scripts, styles and images only. No inline script and no
# eval (every handler lives in static/taizhang/app.js); inline style attributes are
# allowed, because templates and htmx's indicator use them.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Powerful browser features nobody's work needs here (the camera stays for photos of
# evidence taken in the page).
PERMISSIONS_POLICY = ", ".join(
    (
        "camera=(self)",
        "microphone=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response that did not set
    its own (issue 19). ``TAIZHANG_CSP`` replaces the policy; an empty one turns it off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        csp = getattr(settings, "TAIZHANG_CSP", CONTENT_SECURITY_POLICY)
        if csp and not response.has_header("Content-Security-Policy"):
            response["Content-Security-Policy"] = csp
        if not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response


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

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """A refusal is itself on the audit trail (issue 19): who was refused what.
        Django then answers it with the 403 page as before."""
        if isinstance(exception, PermissionDenied):
            audit_denied(request)
        return None


def audit_denied(request: HttpRequest) -> None:
    """Record a refused page or API operation: the method and path, never the body.
    The service's own transaction has rolled back by now; this event commits alone."""
    from taizhang.core.actors import ANONYMOUS
    from taizhang.core.audit import audit_record
    from taizhang.core.models import AuditOutcome

    user = getattr(request, "user", None)
    actor = user if getattr(user, "is_authenticated", False) else ANONYMOUS
    try:
        audit_record(
            actor=actor,
            action="access.denied",
            object_type="route",
            object_repr=f"{request.method} {request.path}"[:200],
            outcome=AuditOutcome.DENIED,
        )
    except Exception:  # noqa: BLE001 - a refusal is answered even if it cannot be recorded
        logger.exception("Could not record a refusal of %s", request.path)
