from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/accounts/password/", "/accounts/logout/", "/i18n/", "/static/", "/api/")


class PasswordChangeRequiredMiddleware:
    """Send a user with an initial (or reset) password to change it before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            return redirect(reverse("accounts:password_change"))
        return self.get_response(request)
