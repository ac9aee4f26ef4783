"""Run inside a process started with production settings (see test_production.py).

Prints one JSON line with what a browser and a load balancer would see. Not a test file:
settings are read at import, so each HTTPS mode needs its own process.
"""

from __future__ import annotations

import json
import logging
import re
import sys

import django

from config.settings.selection import choose_settings

choose_settings()  # as config.wsgi does: production unless told otherwise
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from taizhang.accounts.models import User  # noqa: E402
from taizhang.core.access import public  # noqa: E402
from taizhang.core.models import AuditEvent  # noqa: E402

PASSWORD = "Probe-Passw0rd-2026"
secure = settings.TAIZHANG_HTTPS
scheme = "https" if secure else "http"
out: dict[str, object] = {"debug": settings.DEBUG, "https": secure}

USERNAME = f"probe-{scheme}"  # one per mode: the two probes run side by side
User.objects.create_user(username=USERNAME, password=PASSWORD, must_change_password=False)

browser = Client(REMOTE_ADDR="127.0.0.1")
out["plain_http_status"] = browser.get("/accounts/login/").status_code
out["plain_http_location"] = browser.get("/accounts/login/").get("Location", "")
page = browser.get("/accounts/login/", secure=secure)
out["login_page"] = page.status_code
html = page.content.decode()
assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
out["assets"] = {url: browser.get(url, secure=secure).status_code for url in assets}
out["healthz"] = browser.get("/healthz", secure=secure).status_code
out["healthz_plain"] = Client().get("/healthz").status_code
csrf = browser.cookies["csrftoken"]
out["csrf_cookie_secure"] = bool(csrf["secure"])
answer = browser.post(
    "/accounts/login/",
    {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
    secure=secure,
    headers={"Origin": f"{scheme}://testserver"},
    REMOTE_ADDR="127.0.0.1",
    HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
)
out["login_post"] = answer.status_code
out["session_cookie_secure"] = bool(browser.cookies["sessionid"]["secure"])
out["hsts"] = answer.get("Strict-Transport-Security", "")
out["home_after_login"] = browser.get("/", secure=secure).status_code
event = AuditEvent.objects.order_by("-id").first()
out["last_audit_ip"] = event.ip if event else None


@public
def boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("probe failure for the log")


class Urls:
    urlpatterns = [path("boom/", boom)]


with override_settings(ROOT_URLCONF=Urls):
    out["boom"] = Client(raise_request_exception=False).get("/boom/", secure=secure).status_code
out["bad_host"] = Client().get("/healthz", HTTP_HOST="evil.example", secure=secure).status_code
for handler in logging.getLogger("django").handlers:
    handler.flush()
sys.stdout.write("PROBE " + json.dumps(out) + "\n")
