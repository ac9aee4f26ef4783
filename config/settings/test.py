from .base import *  # noqa: F403
from .base import DATA_KEYS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# Off whatever the environment says; a test that needs it sets it.
TAIZHANG_PASSWORD_MAX_AGE_DAYS = 0

# Tasks run inside the test at enqueue time; a test that needs a real worker process
# (tests/ingest kill test) starts ``taizhang worker`` with the database backend itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# A fixed, published data key for the tests only (ADR 0058); TAIZHANG_DATA_KEYS wins.
if not DATA_KEYS:
    DATA_KEYS = {1: "test-only-data-key-not-for-any-real-data-0000"}
