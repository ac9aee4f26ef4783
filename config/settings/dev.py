from .base import *  # noqa: F403

DEBUG = True
# runserver only; gunicorn's config.wsgi refuses DEBUG unless TAIZHANG_DEV=1.
WSGI_APPLICATION = "config.dev_wsgi.application"
