"""The WSGI entry point for gunicorn (``config.wsgi:application``).

It runs the production settings unless told otherwise, and refuses settings with DEBUG on,
and the development settings (published keys, files served from the source tree) even
with DEBUG off, unless ``TAIZHANG_DEV=1``: such a server must never be started by an
environment file that names the wrong module.
``runserver`` goes through ``config/dev_wsgi.py`` (the dev settings' WSGI_APPLICATION).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from config.settings.selection import choose_settings, dev_requested

choose_settings()
application = get_wsgi_application()

DEVELOPMENT_SETTINGS = ("config.settings.dev", "config.settings.test")

if (settings.DEBUG or settings.SETTINGS_MODULE in DEVELOPMENT_SETTINGS) and not dev_requested():
    raise ImproperlyConfigured(
        "config.wsgi refuses to serve settings with DEBUG on or the development settings "
        f"({settings.SETTINGS_MODULE}). Use config.settings.prod, or set TAIZHANG_DEV=1 "
        "to serve the development settings on purpose."
    )
