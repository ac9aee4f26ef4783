"""Demo: build the monthly figures of everything the other modules loaded (statistics is
the last module), then the district's indicators."""

from __future__ import annotations

from typing import Any

from taizhang.statistics import rollups


def load(ctx: Any) -> None:
    rollups.refresh_all()
