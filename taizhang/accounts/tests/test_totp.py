"""The three administrators sign in with a second factor (issue 19, 等保 level 3): enrol
once, then a code from the app at every sign-in, on the web and for API tokens; a code
works once; the others are not asked."""

from __future__ import annotations

import io

import pyotp
import pytest
from django.core.management import call_command

from taizhang.accounts.models import ScopeKind, TotpDevice
from taizhang.core.models import AuditEvent, AuditOutcome
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadm", ("system_admin", ScopeKind.SUBTREE, tree.district))


def _log_in(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_an_administrator_enrols_then_gives_a_code_at_every_sign_in(client, sysadmin):
    response = _log_in(client, "sysadm")
    assert response["Location"] == "/accounts/second-factor/"
    # Until the app is confirmed, every page sends her back to the enrolment.
    assert client.get("/organizations/")["Location"] == "/accounts/second-factor/"
    page = client.get("/accounts/second-factor/")
    secret = page.context["secret"]
    assert page.context["qr"].startswith("data:image/svg+xml")
    assert client.post("/accounts/second-factor/", {"code": "000000"}).status_code == 200
    client.post("/accounts/second-factor/", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/organizations/").status_code == 200
    client.post("/accounts/logout/")

    # Next time: password, then the code; the password alone signs nobody in.
    response = _log_in(client, "sysadm")
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/organizations/").status_code == 302
    device = TotpDevice.objects.get(user=sysadmin)
    device.last_step = 0  # the enrolment used this step's code
    device.save(update_fields=["last_step"])
    client.post("/accounts/login/code/", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/organizations/").status_code == 200
    events = AuditEvent.objects.filter(action__startswith="totp.").values_list("action", "outcome")
    assert ("totp.enrol", AuditOutcome.FAILURE) in events
    assert ("totp.enrol", AuditOutcome.SUCCESS) in events
    assert ("totp.login", AuditOutcome.SUCCESS) in events


def test_a_code_works_once_and_five_wrong_codes_end_the_attempt(client, sysadmin):
    device = TotpDevice.objects.create(user=sysadmin, secret=pyotp.random_base32(32))
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")
    code = pyotp.TOTP(device.secret).now()
    _log_in(client, "sysadm")
    client.post("/accounts/login/code/", {"code": code})
    assert client.get("/organizations/").status_code == 200
    client.post("/accounts/logout/")
    _log_in(client, "sysadm")
    replay = client.post("/accounts/login/code/", {"code": code})
    assert replay.status_code == 200 and replay.context["error"]
    for _attempt in range(4):
        response = client.post("/accounts/login/code/", {"code": "123456"})
    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_api_tokens_for_administrators_need_the_code(client, sysadmin):
    body = {"username": "sysadm", "password": PASSWORD}
    post = lambda data: client.post(  # noqa: E731
        "/api/v1/auth/token", data, content_type="application/json"
    )
    assert post(body).status_code == 401  # not set up on the web yet
    device = TotpDevice.objects.create(
        user=sysadmin, secret=pyotp.random_base32(32), confirmed_at="2026-01-01T00:00:00Z"
    )
    assert post(body).status_code == 401
    assert post({**body, "otp": "000000"}).status_code == 401
    assert post({**body, "otp": pyotp.TOTP(device.secret).now()}).status_code == 200


def test_other_accounts_are_not_asked(client, tree, personas):
    response = _log_in(client, "district")
    assert response["Location"] == "/"
    assert not TotpDevice.objects.exists()


def test_the_console_resets_a_device(sysadmin):
    TotpDevice.objects.create(user=sysadmin, secret=pyotp.random_base32(32))
    out = io.StringIO()
    call_command("totp_reset", "sysadm", stdout=out)
    assert not TotpDevice.objects.filter(user=sysadmin).exists()
    assert AuditEvent.objects.filter(action="totp.reset").exists()
    assert "sysadm" in out.getvalue()
