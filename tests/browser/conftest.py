"""Browser journeys: Debian's Chromium driven by Playwright against a live server.

Each journey builds its own data through services inside a transactional database and
logs in through the real login form. Set ``TAIZHANG_SCREENSHOTS=dir`` to keep a
screenshot of each journey's last page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("TAIZHANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def no_top_bar_count(settings: Any) -> None:
    """The live server shares one in-memory SQLite connection between its threads, which
    cannot serve the page's own request and the top bar's count request at once
    ("database table is locked"); the count is tested in taizhang/workbench."""
    settings.TAIZHANG_TODO_COUNT_IN_TOP_BAR = False
    settings.TAIZHANG_UNREAD_COUNT_IN_TOP_BAR = False


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'make test' to install it")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, request: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    target = os.environ.get("TAIZHANG_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Log in through the real form and wait for the home page. An administrator gives
    her second factor as a person would: the first time she enrols the app with the key
    the page shows, afterwards she types the app's code (computed here with pyotp)."""

    from taizhang.accounts.models import TotpDevice

    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    steps = "accounts/second-factor/|accounts/login/code/|accounts/password/"
    page.wait_for_url(re.compile(f"^{re.escape(base_url)}/({steps})?$"))
    if page.url.endswith("/accounts/second-factor/"):
        enrol_second_factor(page, base_url)
        return
    if page.url.endswith("/accounts/login/code/"):
        page.fill("#id_code", fresh_code(TotpDevice.objects.get(user__username=username)))
        page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def fresh_code(device: Any) -> str:
    """The app's code for a step not used yet: the next step's when this one was used
    (the product accepts one step of drift), so a journey never waits 30 seconds."""
    import time

    import pyotp

    totp = pyotp.TOTP(device.secret)
    now = time.time()
    return totp.at(now) if int(now // 30) > device.last_step else totp.at(now + 30)


def enrol_second_factor(page: Any, base_url: str) -> None:
    """On the enrolment page, type the code of the key shown, as the app would."""
    import pyotp

    page.wait_for_url(f"{base_url}/accounts/second-factor/")
    secret = page.locator(".totp-secret").inner_text().strip()
    page.fill("#id_code", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")
