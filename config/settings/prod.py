import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["TAIZHANG_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("TAIZHANG_ALLOWED_HOSTS", "localhost").split(",")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
