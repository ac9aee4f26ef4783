from __future__ import annotations

from itertools import count
from typing import Any

from taizhang.accounts.models import Grant, ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM

_serial = count(1)


def make_grant(org: Any, role: str = "clerk", kind: str = ScopeKind.ORG) -> Grant:
    """A grant of ``role`` on ``org`` to a fresh account."""
    user = user_create(
        username=f"grantee{next(_serial)}", password="Grantee-Pass-2026", acting_user=SYSTEM
    )
    return grant_create(user=user, role=role, scope_kind=kind, organization=org, acting_user=SYSTEM)


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test: a grant is booked on its organization."""
    return {"accounts.grant": lambda org: make_grant(org)}
