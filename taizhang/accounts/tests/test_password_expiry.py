"""Password expiry (等保 level 3, issue 19): ``TAIZHANG_PASSWORD_MAX_AGE_DAYS``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from taizhang.accounts.models import User
from taizhang.accounts.services import user_reset_password
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from tests.support import PASSWORD, bearer

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Secret-9"


def _age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=days)
    )


def _login(client, username: str = "street_a", password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _change(client, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password": new, "new_password_again": new},
    )


def test_an_expired_password_is_changed_before_any_page(client, tree, personas, settings):
    """91 days with a 90-day limit: signed in, every page sends her to the password
    change page, which says why in Chinese; the sign-in is audited as forced; once
    changed, pages open again."""
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    _age(personas.street_a, 91)
    assert _login(client).status_code == 302
    for path in ("/", "/organizations/", f"/organizations/{tree.street_a.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    page = client.get("/accounts/password/").content.decode()
    assert "您的密码已超过90天未修改" in page
    event = AuditEvent.objects.filter(action="user.password_expired").get()
    assert event.actor_id == personas.street_a.pk and event.outcome == "success"
    assert event.changes["max_age_days"] == 90 and event.changes["channel"] == "form"
    assert _change(client).status_code == 302
    assert client.get("/organizations/").status_code == 200
    changed = User.objects.get(pk=personas.street_a.pk).password_changed_at
    assert changed is not None and timezone.now() - changed < dt.timedelta(minutes=1)


def test_a_younger_password_and_expiry_off_open_pages(client, tree, personas, settings):
    """89 days under a 90-day limit, and any age with the setting at 0 (development and
    tests), sign in straight to the pages; nothing is audited as expired."""
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    _age(personas.street_a, 89)
    _login(client)
    assert client.get("/organizations/").status_code == 200
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 0
    _age(personas.street_a, 5000)
    assert client.get("/organizations/").status_code == 200
    assert not AuditEvent.objects.filter(action="user.password_expired").exists()


def test_a_session_open_when_the_password_expires_is_sent_to_change_it(
    client, tree, personas, settings
):
    """The limit is read on every request (from the user row already loaded), not only
    at sign-in."""
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    _login(client)
    assert client.get("/organizations/").status_code == 200
    _age(personas.street_a, 90)
    assert client.get("/organizations/")["Location"] == "/accounts/password/"


def test_tokens_are_not_passwords(client, tree, personas, settings):
    """A token issued before the password expired keeps working until it expires; a new
    token is a password login and is refused (401, in Chinese), audited as denied."""
    headers = bearer(client, personas.street_a)
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    _age(personas.street_a, 100)
    assert client.get("/api/v1/me", **headers).status_code == 200
    response = client.post(
        "/api/v1/auth/token",
        {"username": "street_a", "password": PASSWORD},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 401
    assert "密码已过期" in response.json()["error"]["message"]
    event = AuditEvent.objects.filter(action="user.password_expired").get()
    assert event.outcome == "denied" and event.changes["channel"] == "token"


def test_a_service_account_has_no_password_to_expire(tree, settings):
    from taizhang.accounts.passwords import password_expired
    from taizhang.accounts.services import user_create

    service = user_create(username="open311", kind="service", acting_user=SYSTEM)
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 1
    _age(service, 400)
    service.refresh_from_db()
    assert not password_expired(service)


def test_reset_of_an_expired_password_still_works(client, tree, personas, settings):
    """The security administrator's (or the console's) reset gives a fresh password that
    the holder changes at the next sign-in, as before."""
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    _age(personas.street_a, 200)
    password = user_reset_password(user=personas.street_a, acting_user=SYSTEM)
    _login(client, password=password)
    assert client.get("/")["Location"] == "/accounts/password/"
    page = client.get("/accounts/password/").content.decode()
    assert "您的密码由管理员设置" in page  # the reset's explanation, not the expiry's
    assert _change(client, old=password).status_code == 302
    assert client.get("/").status_code == 200


def test_the_initial_setup_still_works_with_expiry_on(client, tmp_path, settings):
    """An administrator created by ``taizhang setup`` long ago signs in with the initial
    password, changes it on the page, and gets in."""
    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    settings.TAIZHANG_TOTP_FOR_ADMINS = False
    spec = tmp_path / "district.toml"
    spec.write_text(
        '[root]\nname = "示范区委"\ncode = "SF"\n\n'
        '[system_admin]\nusername = "sys"\npassword = "Sys-Admin-Initial-2026"\n',
        encoding="utf-8",
    )
    call_command("setup", "--from", str(spec), stdout=io.StringIO())
    admin = User.objects.get(username="sys")
    _age(admin, 365)
    _login(client, "sys", "Sys-Admin-Initial-2026")
    assert client.get("/")["Location"] == "/accounts/password/"
    assert _change(client, old="Sys-Admin-Initial-2026").status_code == 302
    assert client.get("/").status_code == 200


def test_a_password_of_unknown_age_ages_from_the_accounts_creation(settings, tree):
    """An account made before the column (or outside the services) is not sent to the
    password page on its first day; one made long ago is."""
    from taizhang.accounts.passwords import password_expired

    settings.TAIZHANG_PASSWORD_MAX_AGE_DAYS = 90
    fresh = User.objects.create_user(username="fresh", password="Xx1!xxxxxxxx")
    assert fresh.password_changed_at is None and not password_expired(fresh)
    fresh.date_joined = timezone.now() - dt.timedelta(days=91)
    assert password_expired(fresh)
