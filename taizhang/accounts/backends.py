from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from taizhang.accounts.models import User
from taizhang.accounts.services import LoginRefused, user_authenticate


class LockoutAwareBackend(ModelBackend):
    """Django's ``authenticate()`` routed through the lockout-counting service."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if not username or password is None:
            return None
        try:
            return user_authenticate(username=username, password=password, channel="backend")
        except LoginRefused:
            return None
