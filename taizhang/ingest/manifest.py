"""The ingest module registers its job handlers; the importers come from each module."""

import taizhang.ingest.services  # noqa: F401  (registers the check and import handlers)
