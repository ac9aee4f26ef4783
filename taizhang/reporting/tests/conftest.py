from __future__ import annotations

from typing import Any

import pytest

from taizhang.accounts.models import ScopeKind
from tests.support import make_user


@pytest.fixture
def sent(monkeypatch: Any) -> list[dict[str, Any]]:
    """Every message the reporting services send (rule, recipients' usernames, url)."""
    calls: list[dict[str, Any]] = []

    def fake_notify(**kwargs: Any) -> int:
        users = [u.username for u in kwargs["recipients"]]
        calls.append({**kwargs, "recipients": users})
        return len(users)

    monkeypatch.setattr("taizhang.reporting.services.notify", fake_notify)
    return calls


@pytest.fixture
def community(tree: Any) -> Any:
    """The clerk of community A1 (below street A)."""
    return make_user("community_a", ("clerk", ScopeKind.SUBTREE, tree.community_a))
