"""Session controls (等保 level 3, issue 19): the absolute lifetime of a session
(``TAIZHANG_SESSION_ABSOLUTE_HOURS``) and concurrent sessions."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from taizhang.accounts.middleware import LOGIN_AT
from taizhang.accounts.models import UserSession
from taizhang.core.models import AuditEvent
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

HOUR = 3600


def _login(client, username: str = "street_a", password: str = PASSWORD) -> str:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client.session.session_key


class Clock:
    """The clock of the session rules (``time.time``) moved on by ``clock(seconds)``;
    Django's own expiry reads ``timezone.now`` and stays, so the idle expiry does not
    interfere."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.start = time.time()
        self.monkeypatch = monkeypatch

    def __call__(self, seconds: float) -> None:
        moment = self.start + seconds
        self.monkeypatch.setattr(time, "time", lambda: moment)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def test_the_login_time_is_kept_in_the_session(client, tree, personas):
    before = int(time.time())
    _login(client)
    assert before <= client.session[LOGIN_AT] <= int(time.time())


def test_an_active_session_ends_after_the_absolute_lifetime(client, tree, personas, clock):
    """Used every few hours, so never idle, the session still ends 12 hours after its
    sign-in: the next page goes to the login page, which says why in Chinese; the
    session row is gone and the end is audited as a logout with its reason."""
    key = _login(client)
    for hours in (1, 4, 8, 11.9):
        clock(hours * HOUR)
        assert client.get("/organizations/").status_code == 200
    clock(12 * HOUR + 1)
    response = client.get("/organizations/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get("/accounts/login/").content.decode()
    assert "登录已超过12小时，请重新登录" in page
    assert client.get("/organizations/").status_code == 302
    event = AuditEvent.objects.filter(action="user.logout").latest("id")
    assert event.actor_id == personas.street_a.pk
    assert event.changes["reason"] == "absolute lifetime" and event.changes["max_hours"] == 12


def test_the_lifetime_is_a_setting(client, tree, personas, clock, settings):
    settings.TAIZHANG_SESSION_ABSOLUTE_HOURS = 2
    _login(client)
    clock(2 * HOUR - 60)
    assert client.get("/organizations/").status_code == 200
    clock(2 * HOUR + 1)
    assert client.get("/organizations/")["Location"] == "/accounts/login/"
    assert "登录已超过2小时" in client.get("/accounts/login/").content.decode()
    settings.TAIZHANG_SESSION_ABSOLUTE_HOURS = 0  # off: no end however old
    _login(client)
    clock(1000 * HOUR)
    assert client.get("/organizations/").status_code == 200


def test_a_session_without_a_login_time_starts_counting_at_its_renewal(
    client, tree, personas, clock
):
    """A session signed in before the login time was kept is stamped at its next
    renewal (a write that happens anyway), so it lives at most 12 more hours."""
    _login(client)
    session = client.session
    del session[LOGIN_AT]
    session.save()
    clock(2 * HOUR)
    assert client.get("/organizations/").status_code == 200
    assert client.session[LOGIN_AT] == int(clock.start + 2 * HOUR)
    clock(13 * HOUR)
    assert client.get("/organizations/").status_code == 200
    clock(14 * HOUR + 1)
    assert client.get("/organizations/")["Location"] == "/accounts/login/"


# Concurrent sessions: TAIZHANG_ADMIN_MAX_SESSIONS (1) for the three administrators,
# TAIZHANG_MAX_SESSIONS (0, no limit) for everyone else.


def _browsers(n: int) -> list[Client]:
    return [Client() for _ in range(n)]


def _signed_in(browser: Client, path: str = "/organizations/") -> bool:
    return browser.get(path).status_code == 200


def test_an_administrators_new_sign_in_ends_her_older_session(tree, personas, settings):
    """The audit administrator signs in on a second machine: the first session's row is
    deleted and its next page is the login page; the new one works; it is audited as a
    logout of the older session with the reason."""
    settings.TAIZHANG_TOTP_FOR_ADMINS = False  # the form alone, for brevity
    first, second = _browsers(2)
    first_key = _login(first, "auditor")
    assert _signed_in(first, "/audit/")
    second_key = _login(second, "auditor")
    assert not Session.objects.filter(session_key=first_key).exists()
    response = first.get("/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _signed_in(second, "/audit/")
    assert list(UserSession.objects.filter(user=personas.auditor).values_list("session_key")) == [
        (second_key,)
    ]
    event = AuditEvent.objects.filter(action="user.logout").latest("id")
    assert event.actor_id == personas.auditor.pk
    assert event.changes["reason"] == "session limit"
    assert event.changes["sessions_ended"] == 1 and event.changes["max_sessions"] == 1


def test_the_administrators_limit_is_a_setting(tree, personas, settings):
    """With two allowed, the third sign-in ends the oldest only (force_login is a
    sign-in too: the same signal)."""
    settings.TAIZHANG_ADMIN_MAX_SESSIONS = 2
    browsers = _browsers(3)
    for browser in browsers:
        browser.force_login(personas.auditor)
    assert [_signed_in(b, "/audit/") for b in browsers] == [False, True, True]


def test_ordinary_users_have_no_limit_unless_set(tree, personas, settings):
    browsers = _browsers(3)
    for browser in browsers:
        _login(browser)
    assert [_signed_in(b) for b in browsers] == [True, True, True]
    assert not AuditEvent.objects.filter(action="user.logout").exists()
    settings.TAIZHANG_MAX_SESSIONS = 1
    newest = Client()
    _login(newest)
    assert [_signed_in(b) for b in [*browsers, newest]] == [False, False, False, True]
    assert AuditEvent.objects.get(action="user.logout").changes["sessions_ended"] == 3


def test_the_index_follows_logout_and_a_password_change(tree, personas, settings):
    """Signing out drops the session from the index; a password change gives the
    session a new key, which the index follows, so a later sign-in still ends it."""
    settings.TAIZHANG_MAX_SESSIONS = 1
    first, second = _browsers(2)
    _login(first)
    first.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=personas.street_a).exists()
    _login(first)
    new_password = "Brand-New-Secret-9"
    response = first.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": new_password,
            "new_password_again": new_password,
        },
    )
    assert response.status_code == 302
    assert _signed_in(first)
    indexed = UserSession.objects.get(user=personas.street_a)
    assert indexed.session_key == first.session.session_key
    _login(second, password=new_password)
    assert not _signed_in(first) and _signed_in(second)


def test_expired_sessions_leave_the_index_at_the_next_sign_in(tree, personas):
    """An administrator's session that expired on its own is not counted, not ended
    again, and its row goes; nothing is audited."""
    import datetime as dt

    from django.utils import timezone

    first, second = _browsers(2)
    first.force_login(personas.auditor)
    Session.objects.filter(session_key=first.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    second.force_login(personas.auditor)
    assert UserSession.objects.filter(user=personas.auditor).count() == 1
    assert not AuditEvent.objects.filter(action="user.logout").exists()


def test_pages_write_nothing_once_signed_in(tree, personas, settings):
    """The session rules add no write to an ordinary request (issue 20): after the
    sign-in and its first page, pages neither insert, update nor delete any row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TAIZHANG_MAX_SESSIONS = 2
    browser = Client()
    _login(browser)
    assert _signed_in(browser, "/")
    with CaptureQueriesContext(connection) as queries:
        for path in ("/", "/organizations/", "/", "/accounts/password/"):
            assert browser.get(path).status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
