"""Login security, password changes and the separation of the three administrators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from taizhang.accounts.models import ScopeKind, User
from taizhang.accounts.services import (
    LoginRefused,
    grant_create,
    user_authenticate,
    user_change_password,
    user_create,
    user_unlock,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _fail(username: str, times: int, channel: str = "form") -> None:
    for _ in range(times):
        with pytest.raises(LoginRefused):
            user_authenticate(username=username, password="wrong", channel=channel)


def test_repeated_failures_lock_the_account(tree, personas, settings):
    """Five wrong passwords lock the account; then even the right one is refused."""
    _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES)
    user = User.objects.get(username="street_a")
    assert user.is_locked()
    with pytest.raises(LoginRefused) as refused:
        user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert refused.value.locked
    assert AuditEvent.objects.filter(action="login.form", outcome="denied").exists()


def test_lock_expires(tree, personas, settings):
    """After the lock period the right password works again and resets the counter."""
    _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES)
    User.objects.filter(username="street_a").update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    user = user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert user.failed_logins == 0 and user.locked_until is None


def test_failures_count_across_login_paths(tree, personas, settings):
    """Form and token failures add up to one lock."""
    _fail("street_a", 3, channel="form")
    _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES - 3, channel="token")
    assert User.objects.get(username="street_a").is_locked()


def test_unknown_user_failure_is_audited(tree):
    """A wrong username is refused with the same message and recorded."""
    with pytest.raises(LoginRefused) as refused:
        user_authenticate(username="ghost", password="x", channel="form")
    assert not refused.value.locked
    assert AuditEvent.objects.filter(action="login.form", object_repr="ghost").exists()


def test_security_admin_unlocks(tree, personas, settings):
    """Unlocking clears the lock and is audited."""
    _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES)
    user = User.objects.get(username="street_a")
    user_unlock(user=user, acting_user=personas.district)
    assert not User.objects.get(username="street_a").is_locked()
    assert AuditEvent.objects.filter(action="user.unlock").exists()


def test_new_accounts_must_change_password(tree):
    """An account created by an administrator starts with a password to change."""
    user = user_create(username="newbie", password="Initial-Pass-2026", acting_user=SYSTEM)
    assert user.must_change_password
    user_change_password(
        user=user,
        old_password="Initial-Pass-2026",
        new_password="My-Own-Secret-77",
        acting_user=user,
    )
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("My-Own-Secret-77")
    event = AuditEvent.objects.get(action="user.change_password")
    assert "My-Own-Secret-77" not in str(event.changes)


def test_weak_or_reused_password_refused(tree):
    """Password validators apply, and the old password cannot be kept."""
    user = user_create(username="newbie", password="Initial-Pass-2026", acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        user_change_password(
            user=user, old_password="Initial-Pass-2026", new_password="12345678", acting_user=user
        )
    with pytest.raises(ValidationError):
        user_change_password(
            user=user,
            old_password="Initial-Pass-2026",
            new_password="Initial-Pass-2026",
            acting_user=user,
        )
    with pytest.raises(ValidationError):
        user_change_password(
            user=user, old_password="wrong", new_password="My-Own-Secret-77", acting_user=user
        )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("system_admin", "security_admin"),
        ("security_admin", "audit_admin"),
        ("audit_admin", "system_admin"),
        ("audit_admin", "clerk"),
        ("clerk", "audit_admin"),
    ],
)
def test_three_administrators_stay_separate(tree, first, second):
    """No account combines two admin roles, or an admin role with a business role."""
    user = make_user("admin", (first, ScopeKind.SUBTREE, tree.district))
    with pytest.raises(ValidationError):
        grant_create(
            user=user,
            role=second,
            scope_kind=ScopeKind.SUBTREE,
            organization=tree.district,
            acting_user=SYSTEM,
        )


def test_same_admin_role_twice_is_allowed(tree):
    """An auditor may hold the audit role on two organizations."""
    user = make_user("aud", ("audit_admin", ScopeKind.SUBTREE, tree.street_a))
    grant_create(
        user=user,
        role="audit_admin",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.street_b,
        acting_user=SYSTEM,
    )
    assert user.grants.count() == 2


def test_grant_validation(tree):
    """A grant needs a known role and the organization its scope names."""
    user = make_user("g")
    with pytest.raises(ValidationError):
        grant_create(
            user=user,
            role="emperor",
            scope_kind=ScopeKind.ORG,
            organization=tree.district,
            acting_user=SYSTEM,
        )
    with pytest.raises(ValidationError):
        grant_create(user=user, role="clerk", scope_kind=ScopeKind.SUBTREE, acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        grant_create(user=user, role="clerk", scope_kind=ScopeKind.LISTED, acting_user=SYSTEM)


def test_only_the_auditor_reads_the_audit_trail(tree, personas):
    """audit.view belongs to the audit administrator alone."""
    assert personas.auditor.has_function("audit.view")
    for user in (personas.district, personas.personnel, personas.street_a):
        assert not user.has_function("audit.view")
