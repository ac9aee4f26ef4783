"""Which settings module a process runs with when it was not told.

Production is the default everywhere (``config/wsgi.py``, the ``taizhang`` command), so a
server started without configuration never runs with DEBUG on. The development settings
are used only when asked: ``DJANGO_SETTINGS_MODULE=config.settings.dev`` (the Makefile's
development targets set it) or ``TAIZHANG_DEV=1``.
"""

from __future__ import annotations

import os

PROD = "config.settings.prod"
DEV = "config.settings.dev"


def dev_requested() -> bool:
    return os.environ.get("TAIZHANG_DEV", "").strip().lower() in {"1", "true", "yes", "on"}


def choose_settings() -> str:
    """Set and return DJANGO_SETTINGS_MODULE: prod unless dev was asked for."""
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEV if dev_requested() else PROD)
