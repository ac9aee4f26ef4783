from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.accounts.passwords import password_expired

ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/api/")
# Set in the session of an administrator who signed in without a second factor yet:
# every page but the enrolment sends her there (accounts/totp.py).
TOTP_ENROL = "totp_enrol"
TOTP_ALLOWED = (
    "/accounts/second-factor/",
    "/accounts/password/",
    "/accounts/logout/",
    "/i18n/",
    "/static/",
)
# When the session signed in (seconds since the epoch), set at login (``touch_at_login``).
LOGIN_AT = "_login_at"


def absolute_hours() -> int:
    """``TAIZHANG_SESSION_ABSOLUTE_HOURS``: the longest a session lives after its
    sign-in, however active; 0 turns the limit off."""
    return max(int(getattr(settings, "TAIZHANG_SESSION_ABSOLUTE_HOURS", 12) or 0), 0)


def end_over_age_session(request: HttpRequest) -> HttpResponse | None:
    """End a signed-in session older than ``TAIZHANG_SESSION_ABSOLUTE_HOURS`` since its
    sign-in, even an active one (等保 level 3; the idle expiry, ``SESSION_COOKIE_AGE``,
    is separate): audited as a logout with its reason, then the login page says why.

    Read from the session the request has loaded anyway: no query unless it ends. A
    session from before the login time was kept gets it at its next renewal
    (``IdleSessionMiddleware``)."""
    session = getattr(request, "session", None)
    user: Any = getattr(request, "user", None)
    if session is None or not getattr(user, "is_authenticated", False):
        return None
    hours = absolute_hours()
    login_at = session.get(LOGIN_AT)
    if not hours or login_at is None or time.time() - float(login_at) < hours * 3600:
        return None
    from taizhang.accounts.services import session_end

    session_end(user=user, reason="absolute lifetime", login_at=float(login_at), max_hours=hours)
    logout(request)
    if request.path.startswith("/api/"):
        return None  # the API signs in by token; it answers this request itself
    messages.warning(
        request, _("You signed in more than %(hours)s hours ago: sign in again.") % {"hours": hours}
    )
    return redirect(reverse("accounts:login"))


class PasswordChangeRequiredMiddleware:
    """Send a user with an initial (or reset) password, or one older than
    ``TAIZHANG_PASSWORD_MAX_AGE_DAYS``, to change it before anything else. The API is
    left alone: a token is not a password (``token_issue`` refuses new tokens against an
    expired password; tokens issued before keep working until they expire)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The first of accounts' middleware: an over-age session ends before anything.
        ended = end_over_age_session(request)
        if ended is not None:
            return ended
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and (getattr(user, "must_change_password", False) or password_expired(user))
        ):
            return redirect(reverse("accounts:password_change"))
        session = getattr(request, "session", None)
        if (
            user.is_authenticated
            and session is not None
            and session.get(TOTP_ENROL)
            and not request.path.startswith(TOTP_ALLOWED)
        ):
            return redirect(reverse("accounts:totp_setup"))
        return self.get_response(request)


TOUCHED = "_touched"


class IdleSessionMiddleware:
    """Renew a signed-in session's idle expiry (``SESSION_COOKIE_AGE``) at most once per
    ``TAIZHANG_SESSION_TOUCH_SECONDS`` instead of writing the session on every request
    (issue 20): a session still ends after 30 idle minutes, give or take that interval.

    Django saves a session whose content changed, with a fresh expiry; this records the
    time of the last renewal in the session, so only a request after the interval
    changes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and getattr(user, "is_authenticated", False) and session.session_key:
            now = int(time.time())
            interval = getattr(settings, "TAIZHANG_SESSION_TOUCH_SECONDS", 60)
            if now - int(session.get(TOUCHED, 0)) >= interval:
                session[TOUCHED] = now
                # A session signed in before the login time was kept starts counting
                # its absolute lifetime now, in this write that happens anyway.
                session.setdefault(LOGIN_AT, now)
        return response


def touch_at_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A new session counts as renewed when it is made: logging in writes it anyway, so
    the first page after it need not write it again (connected in ``apps.py``). The
    sign-in time is kept with it, for the absolute lifetime (``end_over_age_session``)."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[TOUCHED] = now
        session[LOGIN_AT] = now


def index_session_at_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Index the new session and end the user's oldest beyond her limit
    (``services.session_started``; connected in ``apps.py``)."""
    from taizhang.accounts.services import session_started
    from taizhang.core.request_context import current_ip

    session = getattr(request, "session", None)
    if session is not None and session.session_key and user is not None:
        session_started(user=user, session_key=session.session_key, ip=current_ip())


def forget_session_at_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from taizhang.accounts.services import session_forget

    session = getattr(request, "session", None)
    if session is not None:
        session_forget(session_key=session.session_key)
