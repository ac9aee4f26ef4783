"""Session controls (等保 level 3, issue 19): the absolute lifetime of a session
(``TAIZHANG_SESSION_ABSOLUTE_HOURS``) and concurrent sessions."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session

from taizhang.accounts.middleware import LOGIN_AT
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
