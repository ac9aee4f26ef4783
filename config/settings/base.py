"""Settings shared by every environment.

The database comes from ``TAIZHANG_DATABASE_URL`` (``postgresql://user@host:port/name``);
without it taizhang runs on the embedded SQLite database under ``var/``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TAIZHANG_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("TAIZHANG_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# The ledger modules, in dependency order. URLs, API routers, manifests and demo data
# are discovered from this list, so a new module is added here and nowhere else.
TAIZHANG_MODULES = [
    "core",
    "organizations",
    "people",
    "accounts",
    "projects",
    "investment",
    "problems",
    "demands",
    "activities",
    "trainings",
    "evaluations",
    "pairing",
    "statistics",
    "ingest",
    "extraction",
    "workbench",
    "reminders",
    "notices",
    "reporting",
    "open311",
    "hotline",
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    *[f"taizhang.{name}" for name in TAIZHANG_MODULES],
    "taizhang.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "taizhang.core.middleware.RequestContextMiddleware",
    "taizhang.core.middleware.NoStoreMiddleware",
    "taizhang.core.middleware.SecurityHeadersMiddleware",
    "taizhang.accounts.middleware.PasswordChangeRequiredMiddleware",
    "taizhang.accounts.middleware.IdleSessionMiddleware",
    "taizhang.core.middleware.DenyByDefaultMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "taizhang.core.context_processors.navigation",
                "taizhang.workbench.context_processors.todo_count",
                "taizhang.reminders.context_processors.unread_count",
            ],
        },
    },
]


# WAL lets readers go on while one writer commits (gunicorn workers, timers, a backup);
# the timeout is SQLite's busy timeout in seconds: a writer waits for the lock, not fails.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def owner_only_directory(path: Path, *, tighten: bool = False) -> None:
    """Create ``path`` (and missing parents) with mode 0700. ``tighten``: also take an
    existing directory's group and other bits away (make run's var/; a production
    data directory is the operator's, 0750 for nginx's static files, docs/deploy.md)."""
    path = Path(path)
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    elif tighten and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o700)


def owner_only_file(path: Path, *, create: bool = False) -> None:
    """Give ``path`` mode 0600: created empty with it when missing and ``create``, an
    existing one of ours tightened."""
    path = Path(path)
    if not path.exists():
        if create and path.parent.is_dir():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o600)


def database_from_url(
    url: str | None, *, conn_max_age: int = 0, health_checks: bool = False
) -> dict[str, Any]:
    """Translate ``TAIZHANG_DATABASE_URL`` into Django's DATABASES entry.

    ``postgresql://user:password@host:port/name?sslmode=require&connect_timeout=5``: the
    query string becomes the driver's OPTIONS. ``sqlite:////path/file.sqlite3`` or no URL
    at all gives SQLite (under ``var/`` by default), always with the WAL options above.
    """
    import dj_database_url

    if not url:
        owner_only_directory(VAR_DIR)
        url = f"sqlite:///{VAR_DIR / 'taizhang.sqlite3'}"
    scheme = urlparse(url).scheme
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ValueError(f"Unsupported database URL scheme: {scheme!r}")
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=health_checks)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Persistent SQLite connections gain nothing and keep the WAL files open.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # Created owner-only before SQLite opens it (an empty file is an empty database);
        # SQLite gives its -wal and -shm files the database file's mode.
        if config["NAME"] and config["NAME"] != ":memory:" and "mode=memory" not in url:
            owner_only_file(Path(config["NAME"]), create=True)
    else:
        config["ENGINE"] = "django.db.backends.postgresql"
        config["NAME"] = config["NAME"] or "taizhang"
    return config


DATABASES = {"default": database_from_url(os.environ.get("TAIZHANG_DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["taizhang.accounts.backends.LockoutAwareBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 level 3: three of lower case, capitals, digits and other signs.
    {
        "NAME": "taizhang.accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": int(os.environ.get("TAIZHANG_PASSWORD_MIN_CLASSES", "3"))},
    },
]

# Password expiry (等保 level 3, issue 19): a password older than this many days must be
# changed before any other page opens. 0 turns it off (development and tests); the
# production settings default to 90.
TAIZHANG_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("TAIZHANG_PASSWORD_MAX_AGE_DAYS", "0"))
# 等保 level 3 keeps audit records at least six months: `taizhang audit purge` refuses
# anything younger (core/audit.py retention_days: at least 180 whatever is set).
TAIZHANG_AUDIT_RETENTION_DAYS = int(os.environ.get("TAIZHANG_AUDIT_RETENTION_DAYS", "180"))

# Login security. Failed logins (accounts._login_attempt) count per name from one
# address, per address over all names, and per account from anywhere (the last locks the
# account itself).
TAIZHANG_LOGIN_MAX_FAILURES = 5
TAIZHANG_LOGIN_IP_MAX_FAILURES = 30
TAIZHANG_LOGIN_ACCOUNT_MAX_FAILURES = 50
TAIZHANG_LOGIN_LOCK_MINUTES = 15
TAIZHANG_API_TOKEN_HOURS = 8
# API lists answer at most this many rows a page (a larger limit is a 422, issue 19).
NINJA_PAGINATION_MAX_LIMIT = 1000
# Live login tokens per account; a new one revokes the oldest beyond this.
TAIZHANG_API_TOKENS_PER_USER = 5
SESSION_COOKIE_AGE = 30 * 60
# Idle expiry is renewed by accounts' IdleSessionMiddleware at most once a minute, not
# by a session write on every request (issue 20).
SESSION_SAVE_EVERY_REQUEST = False
TAIZHANG_SESSION_TOUCH_SECONDS = 60
# Absolute session lifetime (等保 level 3, issue 19): a session ends this many hours after
# its sign-in however active it is (accounts.middleware.end_over_age_session); 0: no limit.
TAIZHANG_SESSION_ABSOLUTE_HOURS = int(os.environ.get("TAIZHANG_SESSION_ABSOLUTE_HOURS", "12"))
# Concurrent web sessions (issue 19): a new sign-in ends the oldest beyond the limit. The
# three administrators: TAIZHANG_ADMIN_MAX_SESSIONS; everyone else: TAIZHANG_MAX_SESSIONS
# (0: no limit).
TAIZHANG_ADMIN_MAX_SESSIONS = int(os.environ.get("TAIZHANG_ADMIN_MAX_SESSIONS", "1"))
TAIZHANG_MAX_SESSIONS = int(os.environ.get("TAIZHANG_MAX_SESSIONS", "0"))
# The three administrators sign in with a second factor (accounts/totp.py, issue 19).
TAIZHANG_TOTP_FOR_ADMINS = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# Background tasks (imports, large exports): django-tasks with its database backend, so
# no broker is needed; ``taizhang worker`` runs them (``make run`` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The top bar fetches the viewer's to-do count after each page loads (workbench).
TAIZHANG_TODO_COUNT_IN_TOP_BAR = True
# ... and the unread-message count (reminders), the same way.
TAIZHANG_UNREAD_COUNT_IN_TOP_BAR = True
# The site's address as people reach it, for links in chat-tool robot messages
# (reminders); empty: the robots' messages carry no link.
TAIZHANG_SITE_URL = os.environ.get("TAIZHANG_SITE_URL", "")
# A running task whose worker has not beaten for this long is failed (core/jobs.py).
TAIZHANG_JOB_STALE_SECONDS = float(os.environ.get("TAIZHANG_JOB_STALE_SECONDS", "45"))
# The progress of a running task lives outside the database (core/jobs.py), in files
# under var/ that the worker writes and the web process reads.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "progress"),
    },
}

# Deployment facts that prod.py reads from the environment (docs/deploy.md); these are
# the development values. No proxy is trusted: the audit trail records the direct peer.
TAIZHANG_HTTPS = False
TAIZHANG_TRUSTED_PROXIES: list[str] = []
# Attachments (core.uploads): per file, per request, files per request.
TAIZHANG_UPLOAD_MAX_BYTES = 25 * 1024 * 1024
TAIZHANG_UPLOAD_MAX_TOTAL_BYTES = 50 * 1024 * 1024
TAIZHANG_UPLOAD_MAX_FILES = 10

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"taizhang": {"handlers": ["console"], "level": "INFO"}},
}

# --- audit keys ---
# The audit chain's HMAC keys, versioned so a rotation keeps old events verifiable
# (ADR 0003, docs/backup.md). TAIZHANG_AUDIT_KEYS="2:newkey,1:oldkey": the first is the
# current key, the others only verify what they sealed. TAIZHANG_AUDIT_KEY="key" is
# shorthand for "1:key". They are never derived from SECRET_KEY, so rotating the secret key
# does not read as tampering. Only the test settings use a fixed, published development
# key (the dev settings generate their own into var/, config/settings/dev.py); every
# other settings module (config.settings.prod, a site's
# own module) refuses to start without a key, whatever its DEBUG says.
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

# The text the development secret key had, so chains sealed before key versions existed
# in a development database still verify. Never valid outside the modules below.
AUDIT_DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"
AUDIT_DEVELOPMENT_SETTINGS = ("config.settings.dev", "config.settings.test")
AUDIT_KEY_MIN_LENGTH = 16


def audit_keys_from_text(text: str) -> dict[int, str]:
    """Parse ``"2:key,1:oldkey"`` into ``{2: "key", 1: "oldkey"}``, current first."""
    keys: dict[int, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        version_text, sep, key = item.partition(":")
        if not sep or not version_text.strip().isdigit() or int(version_text) < 1:
            raise ImproperlyConfigured(
                "TAIZHANG_AUDIT_KEYS entries are 'version:key' with a version from 1 up"
            )
        version = int(version_text)
        if version in keys:
            raise ImproperlyConfigured(f"TAIZHANG_AUDIT_KEYS names version {version} twice")
        if len(key) < AUDIT_KEY_MIN_LENGTH:
            raise ImproperlyConfigured(
                f"Audit key version {version} is shorter than {AUDIT_KEY_MIN_LENGTH} characters"
            )
        if key in keys.values():
            raise ImproperlyConfigured("Two audit key versions share the same key")
        keys[version] = key
    if not keys:
        raise ImproperlyConfigured("TAIZHANG_AUDIT_KEYS is set but names no key")
    return keys


def audit_keys_from_environment(settings_module: str) -> dict[int, str]:
    if os.environ.get("TAIZHANG_AUDIT_KEYS", "").strip():
        return audit_keys_from_text(os.environ["TAIZHANG_AUDIT_KEYS"])
    if os.environ.get("TAIZHANG_AUDIT_KEY", "").strip():
        return audit_keys_from_text(f"1:{os.environ['TAIZHANG_AUDIT_KEY'].strip()}")
    if settings_module in AUDIT_DEVELOPMENT_SETTINGS:
        return {1: AUDIT_DEVELOPMENT_KEY}
    raise ImproperlyConfigured(
        f"No audit key for {settings_module or 'these settings'}: set TAIZHANG_AUDIT_KEYS "
        "(or TAIZHANG_AUDIT_KEY) and keep a copy in escrow; see docs/backup.md"
    )


AUDIT_KEYS = audit_keys_from_environment(os.environ.get("DJANGO_SETTINGS_MODULE", ""))

# --- personal data at rest ---
# ID numbers and mobiles are encrypted in the database (ADR 0058, taizhang/core/crypto.py).
# TAIZHANG_DATA_KEYS="2:newkey,1:oldkey": the first encrypts, the others only decrypt
# what they encrypted until `taizhang personal_data rotate` has rewritten it.
# TAIZHANG_DATA_KEY="key" is shorthand for "1:key". Never derived from SECRET_KEY, and
# never a default in the code: production refuses to start without one
# (config/settings/prod.py), `make run` generates var/keys/data.key on first start
# (config/settings/dev.py), and only the test settings carry a fixed, published key.
# TAIZHANG_DATA_CIPHER: aes-gcm (AES-256-GCM, HMAC-SHA256 for the search hashes, the
# default) or sm4 (SM4-GCM, HMAC-SM3) for deployments assessed under 密评.
DATA_KEY_MIN_LENGTH = 32
DATA_CIPHERS = ("aes-gcm", "sm4")


def data_keys_from_text(text: str) -> dict[int, str]:
    """Parse ``"2:key,1:oldkey"`` into ``{2: "key", 1: "oldkey"}``, current first."""
    keys: dict[int, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        version_text, sep, key = item.partition(":")
        key = key.strip()
        if not sep or not version_text.strip().isdigit() or int(version_text) < 1:
            raise ImproperlyConfigured(
                "TAIZHANG_DATA_KEYS entries are 'version:key' with a version from 1 up"
            )
        version = int(version_text)
        if version in keys:
            raise ImproperlyConfigured(f"TAIZHANG_DATA_KEYS names version {version} twice")
        if len(key) < DATA_KEY_MIN_LENGTH:
            raise ImproperlyConfigured(
                f"Data key version {version} is shorter than {DATA_KEY_MIN_LENGTH} characters "
                "(generate one with `taizhang personal_data genkey`)"
            )
        if key in keys.values():
            raise ImproperlyConfigured("Two data key versions share the same key")
        keys[version] = key
    if not keys:
        raise ImproperlyConfigured("TAIZHANG_DATA_KEYS is set but names no key")
    return keys


def data_keys_from_environment() -> dict[int, str]:
    """The keys the environment names; ``{}`` when it names none (the settings module
    then generates, fixes or refuses)."""
    if os.environ.get("TAIZHANG_DATA_KEYS", "").strip():
        return data_keys_from_text(os.environ["TAIZHANG_DATA_KEYS"])
    if os.environ.get("TAIZHANG_DATA_KEY", "").strip():
        return data_keys_from_text(f"1:{os.environ['TAIZHANG_DATA_KEY'].strip()}")
    return {}


def data_cipher_from_environment() -> str:
    name = os.environ.get("TAIZHANG_DATA_CIPHER", "").strip().lower() or "aes-gcm"
    if name not in DATA_CIPHERS:
        raise ImproperlyConfigured(
            f"TAIZHANG_DATA_CIPHER must be one of {', '.join(DATA_CIPHERS)}, not {name!r}"
        )
    return name


DATA_KEYS = data_keys_from_environment()
DATA_CIPHER = data_cipher_from_environment()
