"""``make run``: the newcomer's server, production-like (issue 18). DEBUG is off, so a
missing or hidden record shows the product's Chinese 404 page rather than Django's
debug page; static files come from WhiteNoise, read straight from the apps (no
collectstatic). ``TAIZHANG_DEBUG=1`` turns Django's debug pages back on for a developer
chasing an error."""

import os
import secrets
from pathlib import Path

from .base import *  # noqa: F403
from .base import (
    DATA_KEYS,
    DATABASES,
    MIDDLEWARE,
    VAR_DIR,
    audit_keys_from_text,
    data_keys_from_text,
    owner_only_directory,
    owner_only_file,
)


def _local_secret(name: str) -> str:
    """A secret of this checkout, generated into ``var/`` on first start (owner-only),
    never a default written in the code (issue 19: ``make run`` signed its audit chain
    with a published key, so a rewritten chain verified)."""
    path = Path(VAR_DIR) / name
    if not path.exists():
        # var/ holds the database, the uploads and these keys: the owner's alone.
        owner_only_directory(Path(VAR_DIR), tighten=True)
        owner_only_directory(path.parent, tighten=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


if not os.environ.get("TAIZHANG_SECRET_KEY"):
    SECRET_KEY = _local_secret("secret.key")
if not (os.environ.get("TAIZHANG_AUDIT_KEYS") or os.environ.get("TAIZHANG_AUDIT_KEY")):
    AUDIT_KEYS = audit_keys_from_text(f"1:{_local_secret('audit.key')}")
# The key that encrypts ID numbers and mobiles (ADR 0058), var/keys/data.key (0600).
if not DATA_KEYS:
    DATA_KEYS = data_keys_from_text(f"1:{_local_secret('keys/data.key')}")

# make run's checkout: var/ and the SQLite file (with its -wal and -shm) are the owner's
# alone, also when an older checkout created them readable by all (issue 19).
owner_only_directory(Path(VAR_DIR), tighten=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    for suffix in ("", "-wal", "-shm"):
        owner_only_file(Path(f"{DATABASES['default']['NAME']}{suffix}"), create=not suffix)

DEBUG = os.environ.get("TAIZHANG_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
# runserver only; gunicorn's config.wsgi refuses the dev settings unless TAIZHANG_DEV=1.
WSGI_APPLICATION = "config.dev_wsgi.application"

MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# An error under make run is written to the console with its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "taizhang": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# The demo's three administrators sign in with their password alone, so that a newcomer
# can try them without an authenticator app; production (and the tests) ask for the
# second factor (accounts/totp.py). TAIZHANG_TOTP=1 asks for it here too.
TAIZHANG_TOTP_FOR_ADMINS = os.environ.get("TAIZHANG_TOTP", "") == "1"
