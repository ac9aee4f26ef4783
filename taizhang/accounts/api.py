from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from taizhang.accounts.services import LoginRefused, token_issue, token_logout
from taizhang.api.errors import CODES
from taizhang.core.access import login_required, public
from taizhang.core.schemas import ErrorOut, error_body
from taizhang.organizations.scope import functions_of, grant_facts, scope_for

PREFIX = "/"
router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str = Field("", description="The six-digit second-factor code (administrators only)")


class TokenOut(Schema):
    token: str


@router.post("auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 423: ErrorOut})
@public
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange a username and password for a bearer token (same lockout as the login form)."""
    try:
        token = token_issue(username=payload.username, password=payload.password, otp=payload.otp)
    except LoginRefused as refused:
        status = 423 if refused.locked else 401
        return Status(status, error_body(CODES[status], refused.reason))
    return Status(200, {"token": token})


class LoggedOut(Schema):
    revoked: bool


@router.post("auth/logout", response={200: LoggedOut, 401: ErrorOut})
@login_required
def logout(request: HttpRequest) -> Any:
    """Revoke the bearer token this request carries: it authenticates nothing after."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        message = _("Send the token as Authorization: Bearer <token>.")
        return Status(401, error_body("unauthorized", message))
    return Status(200, {"revoked": token_logout(token=token.strip())})


class GrantOut(Schema):
    role: str
    role_label: str
    scope_kind: str
    organization_id: int | None
    organization: str
    explanation: str


class FunctionScopeOut(Schema):
    permission: str
    subtree_roots: list[str]
    organization_ids: list[int]
    own_records: bool


class MeOut(Schema):
    username: str
    name: str
    grants: list[GrantOut]
    functions: list[FunctionScopeOut]


@router.get("me", response=MeOut)
@login_required
def me(request: HttpRequest) -> Any:
    """Your grants and, per function, the scope they give you."""
    user: Any = request.user
    result = []
    for permission in functions_of(user):
        scope = scope_for(user, permission)
        result.append(
            {
                "permission": permission,
                "subtree_roots": list(scope.subtree_paths),
                "organization_ids": sorted(scope.org_ids),
                "own_records": scope.own_records,
            }
        )
    return {
        "username": user.username,
        "name": user.display_name,
        "grants": [
            {
                "role": f.role,
                "role_label": f.role_label,
                "scope_kind": f.kind,
                "organization_id": f.org_id,
                "organization": f.org_name,
                "explanation": f.describe(),
            }
            for f in grant_facts(user)
        ],
        "functions": result,
    }
