"""Logging in through the form and the token endpoint, and the first-login password change."""

from __future__ import annotations

import pytest
from django.conf import settings

from taizhang.accounts.services import user_create
from taizhang.core.actors import SYSTEM
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_form_logs_in_and_audits_ip(client, tree, personas):
    """A correct login lands on the home page; the event carries the client IP."""
    from taizhang.core.models import AuditEvent

    response = client.post(
        "/accounts/login/", {"username": "street_a", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302 and response["Location"] == "/"
    event = AuditEvent.objects.filter(action="login.form").latest("id")
    assert event.ip == "10.1.2.3" and event.outcome == "success"
    home = client.get("/")
    assert home.status_code == 200 and tree.street_a.name in home.content.decode()


def test_login_form_locks_after_failures(client, tree, personas):
    """After five failures the form says the account is locked."""
    for _ in range(settings.TAIZHANG_LOGIN_MAX_FAILURES):
        client.post("/accounts/login/", {"username": "street_a", "password": "bad"})
    response = client.post("/accounts/login/", {"username": "street_a", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_token_endpoint_locks_too(client, tree, personas):
    """The token endpoint counts failures and answers 423 once locked."""
    payload = {"username": "street_a", "password": "bad"}
    codes = [
        client.post("/api/v1/auth/token", payload, content_type="application/json").status_code
        for _ in range(settings.TAIZHANG_LOGIN_MAX_FAILURES)
    ]
    assert codes[:-1] == [401] * (settings.TAIZHANG_LOGIN_MAX_FAILURES - 1)
    assert codes[-1] == 423
    good = {"username": "street_a", "password": PASSWORD}
    assert (
        client.post("/api/v1/auth/token", good, content_type="application/json").status_code == 423
    )


def test_open_redirect_refused(client, tree, personas):
    """The next parameter cannot send a user to another site."""
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "street_a", "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_initial_password_must_be_changed(client, tree):
    """A user with an initial password is sent to change it before any page."""
    user_create(username="fresh", password="Initial-Pass-2026", acting_user=SYSTEM)
    client.post("/accounts/login/", {"username": "fresh", "password": "Initial-Pass-2026"})
    response = client.get("/organizations/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "Initial-Pass-2026",
            "new_password": "Brand-New-Secret-9",
            "new_password_again": "Brand-New-Secret-9",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_initial_password_token_is_useless(client, tree):
    """The API refuses a token of a user who has not changed the initial password."""
    user_create(username="fresh", password="Initial-Pass-2026", acting_user=SYSTEM)
    token = client.post(
        "/api/v1/auth/token",
        {"username": "fresh", "password": "Initial-Pass-2026"},
        content_type="application/json",
    ).json()["token"]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_idle_sessions_expire(client, tree, personas):
    """A session idle for longer than 30 minutes is gone; activity renews it."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.post("/accounts/login/", {"username": "street_a", "password": PASSWORD})
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date >= before  # renewed
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/organizations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_logout_requires_post(client, tree, personas):
    """Logging out is a POST; afterwards pages ask for login again."""
    client.force_login(personas.street_a)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/organizations/").status_code == 302


def test_audit_trail_page_is_for_the_auditor_only(client, tree, personas):
    """The audit administrator reads the trail; the district clerk gets 403."""
    client.force_login(personas.district)
    assert client.get("/audit/").status_code == 403
    client.force_login(personas.auditor)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "organization.create" in response.content.decode()


def test_security_admin_grants_and_unlocks(client, tree, personas):
    """The security administrator adds a grant, revokes it, and unlocks an account."""
    from taizhang.accounts.models import Grant, User
    from tests.support import make_user

    security = make_user("sec", ("security_admin", "subtree", tree.district))
    target = personas.nobody
    client.force_login(security)
    assert client.get("/accounts/users/").status_code == 200
    response = client.post(
        f"/accounts/users/{target.pk}/",
        {"role": "clerk", "scope_kind": "subtree", "organization_code": tree.street_a.code},
    )
    assert response.status_code == 302
    grant = Grant.objects.get(user=target, is_active=True)
    assert grant.organization == tree.street_a
    client.post(f"/accounts/users/{target.pk}/grants/{grant.pk}/revoke/")
    assert not Grant.objects.filter(user=target, is_active=True).exists()
    User.objects.filter(pk=target.pk).update(locked_until="2999-01-01T00:00:00Z")
    client.post(f"/accounts/users/{target.pk}/unlock/")
    assert not User.objects.get(pk=target.pk).is_locked()


def test_security_admin_cannot_grant_himself_or_mix_admin_roles(client, tree, personas):
    """No self-grants; an audit admin cannot also receive a clerk role."""
    from tests.support import make_user

    security = make_user("sec", ("security_admin", "subtree", tree.district))
    client.force_login(security)
    assert client.get(f"/accounts/users/{security.pk}/").status_code == 404
    response = client.post(
        f"/accounts/users/{personas.auditor.pk}/",
        {"role": "clerk", "scope_kind": "subtree", "organization_code": tree.district.code},
    )
    assert response.status_code == 200
    assert personas.auditor.grants.count() == 1


def test_clerk_cannot_manage_grants(client, tree, personas):
    """Grant management belongs to the security administrator alone."""
    client.force_login(personas.district)
    assert client.get("/accounts/users/").status_code == 403
    assert client.post(f"/accounts/users/{personas.nobody.pk}/unlock/").status_code == 403


def test_partial_security_admin_pages_stay_in_her_subtree(client, tree, personas):
    """On B's organization the form answers as for an unknown code; B's grant shows no
    revoke button and revoking it is a 404; nothing changes."""
    from taizhang.accounts.models import Grant
    from tests.support import make_user

    security = make_user("sec_a", ("security_admin", "subtree", tree.street_a))
    client.force_login(security)
    answers = [
        client.post(
            f"/accounts/users/{personas.nobody.pk}/",
            {"role": "clerk", "scope_kind": "subtree", "organization_code": code},
        )
        for code in (tree.street_b.code, "NO-SUCH-CODE")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert "不在您的" in answers[0].content.decode() or answers[0].context["form"].errors
    assert answers[0].context["form"].errors == answers[1].context["form"].errors
    assert not personas.nobody.grants.exists()
    theirs = personas.street_b.grants.get()
    page = client.get(f"/accounts/users/{personas.street_b.pk}/").content.decode()
    assert f"/grants/{theirs.pk}/revoke/" not in page
    response = client.post(f"/accounts/users/{personas.street_b.pk}/grants/{theirs.pk}/revoke/")
    assert response.status_code == 404
    assert Grant.objects.get(pk=theirs.pk).is_active
    mine = personas.street_a.grants.get()
    page = client.get(f"/accounts/users/{personas.street_a.pk}/").content.decode()
    assert f"/grants/{mine.pk}/revoke/" in page
