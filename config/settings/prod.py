"""Production settings: every deployment choice comes from the environment.

The variables are documented in one table in ``docs/deploy.md``; ``deploy/taizhang.env``
is the environment file systemd reads. Settings are read once, at import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, VAR_DIR, database_from_url


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be on or off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    try:
        return int(raw) if raw else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from error


DEBUG = False

SECRET_KEY = env_str("TAIZHANG_SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "TAIZHANG_SECRET_KEY is not set. Production settings refuse to start without it "
        "(see docs/deploy.md). For development use `make run` or set TAIZHANG_DEV=1."
    )

# Personal data is encrypted with a key outside the database (ADR 0058): no key, no start,
# so a deployment never writes ID numbers under a key nobody kept.
if not DATA_KEYS:  # noqa: F405
    raise ImproperlyConfigured(
        "TAIZHANG_DATA_KEYS is not set. Production settings refuse to start without the key "
        "that encrypts ID numbers and mobiles: generate one with `taizhang personal_data "
        "genkey`, keep a copy in escrow apart from the backups (see docs/deploy.md)."
    )

ALLOWED_HOSTS = env_list("TAIZHANG_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("TAIZHANG_CSRF_TRUSTED_ORIGINS")

DATABASES = {
    "default": database_from_url(
        env_str("TAIZHANG_DATABASE_URL") or None,
        conn_max_age=env_int("TAIZHANG_DB_CONN_MAX_AGE", 60),
        health_checks=env_bool("TAIZHANG_DB_HEALTH_CHECKS", True),
    )
}

# HTTPS on: the site is reached over TLS (usually nginx terminating it). Off: a plain-HTTP
# intranet, where Secure cookies would never be sent back and every login would fail CSRF.
TAIZHANG_HTTPS = env_bool("TAIZHANG_HTTPS", True)
SESSION_COOKIE_SECURE = TAIZHANG_HTTPS
CSRF_COOKIE_SECURE = TAIZHANG_HTTPS
SECURE_SSL_REDIRECT = TAIZHANG_HTTPS
# Let nginx answer its own health probe over HTTP without a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TAIZHANG_HTTPS:
    SECURE_HSTS_SECONDS = env_int("TAIZHANG_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("TAIZHANG_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("TAIZHANG_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preload is a request to be hard-coded into browsers, a choice for the owner of
        # the whole domain, not a default; W021 only says the flag is off.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Addresses of the reverse proxies whose X-Forwarded-For is believed (IPs or networks).
# gunicorn's forwarded_allow_ips reads the same variable (deploy/gunicorn.conf.py), so the
# scheme (X-Forwarded-Proto) is trusted from the same peers only.
TAIZHANG_TRUSTED_PROXIES = env_list("TAIZHANG_TRUSTED_PROXIES")

MEDIA_ROOT = Path(env_str("TAIZHANG_MEDIA_ROOT") or VAR_DIR / "media")
STATIC_ROOT = Path(env_str("TAIZHANG_STATIC_ROOT") or VAR_DIR / "static")
TAIZHANG_UPLOAD_MAX_BYTES = env_int("TAIZHANG_UPLOAD_MAX_MB", 25) * 1024 * 1024
TAIZHANG_UPLOAD_MAX_TOTAL_BYTES = env_int("TAIZHANG_UPLOAD_MAX_TOTAL_MB", 50) * 1024 * 1024

# 等保 level 3 (issue 19): a password older than this many days must be changed (0: off).
TAIZHANG_PASSWORD_MAX_AGE_DAYS = env_int("TAIZHANG_PASSWORD_MAX_AGE_DAYS", 90)
# A session ends this many hours after its sign-in, however active (0: no limit).
TAIZHANG_SESSION_ABSOLUTE_HOURS = env_int("TAIZHANG_SESSION_ABSOLUTE_HOURS", 12)
# Live web sessions per account: administrators, everyone else (0: no limit).
TAIZHANG_ADMIN_MAX_SESSIONS = env_int("TAIZHANG_ADMIN_MAX_SESSIONS", 1)
TAIZHANG_MAX_SESSIONS = env_int("TAIZHANG_MAX_SESSIONS", 0)

MIDDLEWARE = [
    MIDDLEWARE[0],  # SecurityMiddleware first: redirects to HTTPS before anything else
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, compressed copies, cached for a year by browsers.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TAIZHANG_LOG_FILE = env_str("TAIZHANG_LOG_FILE")
TAIZHANG_LOG_LEVEL = env_str("TAIZHANG_LOG_LEVEL", "INFO").upper()
_log_handler: dict[str, object] = (
    # WatchedFileHandler reopens the file after logrotate moves it (deploy/logrotate).
    {"class": "logging.handlers.WatchedFileHandler", "filename": TAIZHANG_LOG_FILE}
    if TAIZHANG_LOG_FILE
    else {"class": "logging.StreamHandler", "stream": sys.stderr}
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}
    },
    "handlers": {"app": {**_log_handler, "formatter": "plain"}},
    "root": {"handlers": ["app"], "level": "WARNING"},
    "loggers": {
        # django.request logs every 500 with its traceback at ERROR and 4xx at WARNING;
        # django.security logs refused hosts, CSRF failures and suspicious operations.
        "django": {"handlers": ["app"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["app"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["app"], "level": "INFO", "propagate": False},
        "taizhang": {"handlers": ["app"], "level": TAIZHANG_LOG_LEVEL, "propagate": False},
    },
}
