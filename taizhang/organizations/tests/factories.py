from __future__ import annotations

from typing import Any


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test: an organization is its own row."""
    from taizhang.organizations.models import Grouping

    return {
        "organizations.organization": lambda org: org,
        "organizations.grouping": lambda org: Grouping.objects.create(
            name=f"group of {org.code}", owner=org
        ),
    }
