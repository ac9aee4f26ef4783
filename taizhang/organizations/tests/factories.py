from __future__ import annotations

from typing import Any


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test: an organization is its own row."""
    return {"organizations.organization": lambda org: org}
