"""The extraction module registers nothing yet: it is a pure library of rules used by
``taizhang ingest report`` and ``taizhang ingest evaluate``. The review page (the next
slice) will register its permission, job handler and navigation here."""
