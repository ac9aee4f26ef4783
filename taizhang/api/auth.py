from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from taizhang.accounts.services import token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_user(token)
        if user is None or user.must_change_password:
            return None
        request.user = user
        return user
