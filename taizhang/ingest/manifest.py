"""The ingest module registers its job handlers and its panel on the home page; the
importers themselves come from each ledger module's manifest."""

from __future__ import annotations

from typing import Any

import taizhang.ingest.services  # noqa: F401  (registers the check and import handlers)
from taizhang.core.registry import register_slot


def _home_panel(viewer: Any, _obj: Any) -> dict[str, Any] | None:
    from taizhang.ingest.selectors import batch_list
    from taizhang.ingest.services import importers_for

    importers = importers_for(viewer)
    if not importers:
        return None
    return {"importers": importers, "batches": list(batch_list(viewer=viewer)[:3])}


register_slot("core.home", "ingest/_home.html", _home_panel, order=50)
