"""Logging in through the form and the token endpoint, and the first-login password change."""

from __future__ import annotations

import pytest
from django.conf import settings

from taizhang.accounts.models import User
from taizhang.accounts.permissions import accounts_managed
from taizhang.accounts.services import (
    grant_create,
    user_create,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD, make_user

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
    """On B's organization the form answers as for an unknown code; an account working
    in B is a 404 for her (page and revoke), and nothing changes."""
    from taizhang.accounts.models import Grant
    from tests.support import make_user

    security = make_user("sec_a", ("security_admin", "subtree", tree.street_a))
    newcomer = user_create(username="newcomer", password="Initial-Pass-2026", acting_user=security)
    client.force_login(security)
    answers = [
        client.post(
            f"/accounts/users/{newcomer.pk}/",
            {"role": "clerk", "scope_kind": "subtree", "organization_code": code},
        )
        for code in (tree.street_b.code, "NO-SUCH-CODE")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert "不在您的" in answers[0].content.decode() or answers[0].context["form"].errors
    assert answers[0].context["form"].errors == answers[1].context["form"].errors
    assert not newcomer.grants.exists()
    theirs = personas.street_b.grants.get()
    assert client.get(f"/accounts/users/{personas.street_b.pk}/").status_code == 404
    response = client.post(f"/accounts/users/{personas.street_b.pk}/grants/{theirs.pk}/revoke/")
    assert response.status_code == 404
    assert Grant.objects.get(pk=theirs.pk).is_active
    mine = personas.street_a.grants.get()
    page = client.get(f"/accounts/users/{personas.street_a.pk}/").content.decode()
    assert f"/grants/{mine.pk}/revoke/" in page


# --- accounts: the security administrator's pages -----------------------------


@pytest.fixture
def sec_a(tree):
    return make_user("sec_a", ("security_admin", "subtree", tree.street_a))


def _latest() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


# --- pages ---------------------------------------------------------------------------


def test_list_searches_in_her_scope(client, tree, personas, sec_a):
    client.force_login(sec_a)
    page = client.get("/accounts/users/").content.decode()
    assert "street_a" in page and "street_b" not in page and "district" not in page
    page = client.get("/accounts/users/?q=street").content.decode()
    assert "street_a" in page and "street_b" not in page
    assert "street_a" not in client.get("/accounts/users/?q=zzz").content.decode()


def test_create_a_person_account_shows_the_password_once(client, tree, sec_a):
    """The new account is linked to a person of A, its password is shown once (not
    cached), and it must change it at first login."""
    person = make_person(tree.community_a, "张三")
    client.force_login(sec_a)
    form = client.get("/accounts/users/new/")
    assert form.status_code == 200 and "张三" in form.content.decode()
    response = client.post(
        "/accounts/users/new/",
        {"username": "zhangsan", "display_name": "", "kind": "person", "person": person.pk},
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.context["secret"]
    user = User.objects.get(username="zhangsan")
    assert user.person == person and user.must_change_password and user.created_by == sec_a
    assert user.check_password(password)
    assert _latest().action == "user.create"
    client.logout()
    client.post("/accounts/login/", {"username": "zhangsan", "password": password})
    assert client.get("/")["Location"] == "/accounts/password/"


def test_person_choices_stay_in_her_subtree(client, tree, sec_a):
    """A person of B is not offered, and posting its id is a form error."""
    person_b = make_person(tree.community_b, "赵六")
    client.force_login(sec_a)
    assert "赵六" not in client.get("/accounts/users/new/").content.decode()
    response = client.post(
        "/accounts/users/new/", {"username": "zhao", "kind": "person", "person": person_b.pk}
    )
    assert response.status_code == 200 and response.context["form"].errors["person"]
    assert not User.objects.filter(username="zhao").exists()


def test_disable_enable_reset_unlock_pages(client, tree, personas, sec_a):
    client.force_login(sec_a)
    target = personas.street_a
    assert client.post(f"/accounts/users/{target.pk}/disable/").status_code == 302
    assert not User.objects.get(pk=target.pk).is_active
    assert client.post(f"/accounts/users/{target.pk}/enable/").status_code == 302
    assert User.objects.get(pk=target.pk).is_active
    response = client.post(f"/accounts/users/{target.pk}/reset-password/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert User.objects.get(pk=target.pk).check_password(response.context["secret"])
    User.objects.filter(pk=target.pk).update(locked_until="2999-01-01T00:00:00Z")
    assert client.post(f"/accounts/users/{target.pk}/unlock/").status_code == 302
    assert not User.objects.get(pk=target.pk).is_locked()
    actions = list(
        AuditEvent.objects.filter(object_id=str(target.pk), actor=sec_a)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["user.disable", "user.enable", "user.reset_password", "user.unlock"]


def test_refusals_per_persona(client, tree, personas, sec_a):
    """A clerk gets 403 on every account page; A's security administrator gets 404 on
    B's account, and nothing changes."""
    target = personas.street_b
    urls = [
        "/accounts/users/new/",
        f"/accounts/users/{target.pk}/disable/",
        f"/accounts/users/{target.pk}/enable/",
        f"/accounts/users/{target.pk}/reset-password/",
        f"/accounts/users/{target.pk}/unlock/",
    ]
    client.force_login(personas.district)
    assert client.get("/accounts/users/").status_code == 403
    for url in urls:
        assert client.post(url).status_code == 403, url
    client.force_login(sec_a)
    for url in urls[1:]:
        assert client.post(url).status_code == 404, url
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)
    client.force_login(personas.auditor)
    assert client.post(urls[0], {"username": "x", "kind": "person"}).status_code == 403


def test_a_grant_to_a_new_account_keeps_it_hers(tree, sec_a):
    """After she grants a role in A, the account stays in her scope by its grant."""
    user = user_create(username="newbie", password="Initial-Pass-2026", acting_user=sec_a)
    grant_create(
        user=user, role="clerk", scope_kind="org", organization=tree.community_a, acting_user=sec_a
    )
    User.objects.filter(pk=user.pk).update(created_by=None)
    assert accounts_managed(sec_a).filter(pk=user.pk).exists()


# --- service accounts: pages and the API ---------------------------------------------


def _service_with_token(client, sec) -> tuple[User, str]:
    """Through the pages: a service account and one token, as the integration gets it."""
    client.force_login(sec)
    response = client.post("/accounts/users/new/", {"username": "city_sync", "kind": "service"})
    service = User.objects.get(username="city_sync")
    assert response.status_code == 302 and response["Location"] == f"/accounts/users/{service.pk}/"
    response = client.post(
        f"/accounts/users/{service.pk}/tokens/", {"name": "city platform", "days": 365}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return service, response.context["secret"]


def test_service_token_authenticates_on_the_api(client, tree, sec_a):
    """The token works as a bearer token; the page lists it with its last use."""
    from taizhang.accounts.services import grant_create as give

    service, token = _service_with_token(client, sec_a)
    give(
        user=service,
        role="viewer",
        scope_kind="subtree",
        organization=tree.street_a,
        acting_user=sec_a,
    )
    client.logout()
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["username"] == "city_sync"
    client.force_login(sec_a)
    page = client.get(f"/accounts/users/{service.pk}/").content.decode()
    assert "city platform" in page and token not in page
    assert service.api_tokens.get().last_used_at is not None


def test_revoked_service_token_is_refused_on_the_api(client, tree, sec_a):
    service, token = _service_with_token(client, sec_a)
    record = service.api_tokens.get()
    assert (
        client.post(f"/accounts/users/{service.pk}/tokens/{record.pk}/revoke/").status_code == 302
    )
    client.logout()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_disabled_service_account_token_is_refused(client, tree, sec_a):
    service, token = _service_with_token(client, sec_a)
    client.post(f"/accounts/users/{service.pk}/disable/")
    client.logout()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_service_account_cannot_log_in_on_the_form(client, tree, sec_a):
    _service_with_token(client, sec_a)
    client.logout()
    response = client.post("/accounts/login/", {"username": "city_sync", "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "city_sync", "password": "anything"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(
        "/api/v1/auth/token",
        {"username": "city_sync", "password": "anything"},
        content_type="application/json",
    )
    assert response.status_code == 401


def test_service_token_pages_refuse_per_persona(client, tree, personas, sec_a):
    """A clerk gets 403; B's security administrator 404; a person's account has no
    token form (404)."""
    service, _token = _service_with_token(client, sec_a)
    record = service.api_tokens.get()
    client.force_login(personas.district)
    assert client.post(f"/accounts/users/{service.pk}/tokens/", {"name": "x"}).status_code == 403
    sec_b = make_user("sec_b", ("security_admin", "subtree", tree.street_b))
    client.force_login(sec_b)
    assert client.post(f"/accounts/users/{service.pk}/tokens/", {"name": "x"}).status_code == 404
    url = f"/accounts/users/{service.pk}/tokens/{record.pk}/revoke/"
    assert client.post(url).status_code == 404
    assert service.api_tokens.get().revoked_at is None
    client.force_login(sec_a)
    response = client.post(f"/accounts/users/{personas.street_a.pk}/tokens/", {"name": "x"})
    assert response.status_code == 404


def test_reset_of_an_administrator_is_refused_on_the_page(client, tree, personas):
    """The page says to use the console, and the auditor's password is unchanged."""
    sec = make_user("sec_d", ("security_admin", "subtree", tree.district))
    client.force_login(sec)
    response = client.post(f"/accounts/users/{personas.auditor.pk}/reset-password/", follow=True)
    assert response.status_code == 200 and "reset_password" in response.content.decode()
    assert User.objects.get(pk=personas.auditor.pk).check_password(PASSWORD)
    client.post(f"/accounts/users/{personas.auditor.pk}/disable/")
    assert User.objects.get(pk=personas.auditor.pk).is_active


def test_a_session_is_written_at_most_once_a_minute(client, tree, personas, monkeypatch):
    """Requests within a minute of the last renewal do not write the session (issue 20);
    the next one after it renews the idle expiry."""
    import time

    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return sum(
            1
            for q in queries.captured_queries
            if "django_session" in q["sql"]
            and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
        )

    client.post("/accounts/login/", {"username": "street_a", "password": PASSWORD})
    key = client.session.session_key
    session_writes()
    assert session_writes() == 0
    assert session_writes() == 0
    before = Session.objects.get(session_key=key).expire_date
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert session_writes() == 1
    assert Session.objects.get(session_key=key).expire_date > before
