"""API tokens end when they should (issue 19): at logout (web and API), at a password
change or reset, when the account is disabled, and when the security administrator
revokes them; at most a few live ones per person; all of it audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from taizhang.accounts.models import AccountKind, ApiToken, ScopeKind
from taizhang.accounts.services import (
    live_tokens,
    service_token_create,
    token_issue,
    token_user,
    tokens_revoke_all,
    user_change_password,
    user_create,
    user_logout,
    user_reset_password,
    user_set_active,
)
from taizhang.core.models import AuditEvent
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec_a(tree):
    return make_user("sec_a", ("security_admin", ScopeKind.SUBTREE, tree.street_a))


@pytest.fixture
def clerk(tree):
    return make_user("clerk_a1", ("clerk", ScopeKind.SUBTREE, tree.community_a))


def _token(user):
    return token_issue(username=user.username, password=PASSWORD)


def _latest(action):
    return AuditEvent.objects.filter(action=action).latest("pk")


def test_web_logout_ends_the_persons_login_tokens(clerk):
    one, two = _token(clerk), _token(clerk)
    assert token_user(one) == clerk
    assert user_logout(user=clerk) == 2
    assert token_user(one) is None and token_user(two) is None
    assert _latest("user.logout").changes == {"tokens_revoked": [0, 2]}


def test_api_logout_ends_the_token_presented_only(client, clerk):
    first, second = _token(clerk), _token(clerk)
    response = client.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert response.status_code == 200 and response.json() == {"revoked": True}
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    assert _latest("token.logout").actor == clerk
    # Without a token there is nothing to log out of.
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_the_logout_page_revokes_tokens(client, clerk):
    token = _token(clerk)
    client.login(username=clerk.username, password=PASSWORD)
    assert client.post("/accounts/logout/").status_code == 302
    assert token_user(token) is None


def test_a_password_change_ends_the_tokens_got_with_the_old_one(clerk):
    token = _token(clerk)
    user_change_password(
        user=clerk, old_password=PASSWORD, new_password="Another-Pass-2026!", acting_user=clerk
    )
    assert token_user(token) is None
    assert _latest("user.change_password").changes["tokens_revoked"] == [0, 1]


def test_a_reset_ends_them_too(clerk, sec_a):
    token = _token(clerk)
    user_reset_password(user=clerk, acting_user=sec_a)
    assert token_user(token) is None
    assert _latest("user.reset_password").changes["tokens_revoked"] == [0, 1]


def test_disabling_revokes_so_enabling_does_not_revive(clerk, sec_a):
    token = _token(clerk)
    user_set_active(user=clerk, active=False, acting_user=sec_a)
    user_set_active(user=clerk, active=True, acting_user=sec_a)
    assert token_user(token) is None
    assert _latest("user.disable").changes["tokens_revoked"] == [0, 1]


def test_the_security_administrator_revokes_every_live_token(tree, clerk, sec_a):
    service = user_create(username="sync_a", kind=AccountKind.SERVICE, acting_user=sec_a)
    _record, service_token = service_token_create(user=service, name="sync", acting_user=sec_a)
    person_token = _token(clerk)
    assert tokens_revoke_all(user=service, acting_user=sec_a) == 1
    assert tokens_revoke_all(user=clerk, acting_user=sec_a) == 1
    assert token_user(service_token) is None and token_user(person_token) is None
    event = _latest("token.revoke_all")
    assert event.actor == sec_a and event.changes == {"tokens_revoked": [0, 1]}
    # Not over an account outside her part of the tree, nor by someone without the right.
    outsider = make_user("clerk_b1", ("clerk", ScopeKind.SUBTREE, tree.community_b))
    with pytest.raises(PermissionDenied):
        tokens_revoke_all(user=outsider, acting_user=sec_a)
    with pytest.raises(PermissionDenied):
        tokens_revoke_all(user=outsider, acting_user=clerk)


def test_at_most_five_live_login_tokens(clerk, settings):
    settings.TAIZHANG_API_TOKENS_PER_USER = 5
    tokens = [_token(clerk) for _ in range(7)]
    assert live_tokens(clerk).count() == 5
    assert [token_user(t) is not None for t in tokens] == [False, False] + [True] * 5
    assert _latest("token.issue").changes["oldest_revoked"] == [0, 1]
    assert ApiToken.objects.filter(user=clerk, revoked_at__isnull=False).count() == 2


def test_the_account_page_lists_and_revokes_a_persons_tokens(client, tree, clerk, sec_a):
    _token(clerk)
    _token(clerk)
    client.login(username="sec_a", password=PASSWORD)
    page = client.get(f"/accounts/users/{clerk.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "撤销全部2个有效令牌" in text
    response = client.post(f"/accounts/users/{clerk.pk}/tokens/revoke-all/", follow=True)
    assert "已撤销2个令牌" in response.content.decode()
    assert live_tokens(clerk).count() == 0
