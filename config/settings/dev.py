"""``make run``: the newcomer's server, production-like (issue 18). DEBUG is off, so a
missing or hidden record shows the product's Chinese 404 page rather than Django's
debug page; static files come from WhiteNoise, read straight from the apps (no
collectstatic). ``TAIZHANG_DEBUG=1`` turns Django's debug pages back on for a developer
chasing an error."""

import os

from .base import *  # noqa: F403
from .base import MIDDLEWARE

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
