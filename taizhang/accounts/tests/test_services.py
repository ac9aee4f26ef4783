"""Login security, password changes and the separation of the three administrators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from taizhang.accounts.models import LoginThrottle, ScopeKind, User
from taizhang.accounts.services import (
    LoginRefused,
    grant_create,
    grant_revoke,
    token_issue,
    user_authenticate,
    user_change_password,
    user_create,
    user_reset_password,
    user_set_active,
    user_unlock,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.request_context import reset_ip, set_ip
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _latest() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


@contextmanager
def ip(address: str) -> Iterator[None]:
    """Attempts made from ``address``, as the middleware records it."""
    token = set_ip(address)
    try:
        yield
    finally:
        reset_ip(token)


def _fail(username: str, times: int, channel: str = "form") -> None:
    for _ in range(times):
        with pytest.raises(LoginRefused):
            user_authenticate(username=username, password="wrong", channel=channel)


def test_repeated_failures_block_the_source_not_the_holder(tree, personas, settings):
    """Five wrong passwords for one name from one address block that address for that
    name, even with the right password; the holder still logs in from elsewhere, and
    the account itself is not locked (issue 19: nobody locks another user out)."""
    with ip("203.0.113.9"):
        _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES)
        with pytest.raises(LoginRefused) as refused:
            user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert refused.value.locked
    assert AuditEvent.objects.filter(action="login.form", outcome="denied").exists()
    assert not User.objects.get(username="street_a").is_locked()
    with ip("198.51.100.7"):
        assert user_authenticate(username="street_a", password=PASSWORD, channel="form")


def test_the_block_expires(tree, personas, settings):
    """After the lock period the right password works again from the same address."""
    with ip("203.0.113.9"):
        _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES)
        LoginThrottle.objects.update(
            blocked_until=timezone.now() - dt.timedelta(seconds=1),
            window_start=timezone.now() - dt.timedelta(hours=1),
        )
        user = user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert user.failed_logins == 0 and user.locked_until is None
    # The name's counter from this address starts afresh after a success.
    assert not LoginThrottle.objects.filter(key__startswith="name:street_a@").exists()


def test_failures_count_across_login_paths(tree, personas, settings):
    """Form and token failures add up on the same counters."""
    with ip("203.0.113.9"):
        _fail("street_a", 3, channel="form")
        _fail("street_a", settings.TAIZHANG_LOGIN_MAX_FAILURES - 3, channel="token")
        with pytest.raises(LoginRefused) as refused:
            user_authenticate(username="street_a", password=PASSWORD, channel="token")
    assert refused.value.locked


def test_an_unknown_name_is_answered_like_a_real_one(tree, personas, settings):
    """Wrong password for a real name and any password for a made-up one: the same
    answers, failure after failure, up to the same block (no enumeration)."""
    answers = {}
    for name in ("street_a", "no_such_user"):
        with ip(f"192.0.2.{len(answers) + 1}"):
            seen = []
            for _ in range(settings.TAIZHANG_LOGIN_MAX_FAILURES + 1):
                with pytest.raises(LoginRefused) as refused:
                    user_authenticate(username=name, password="wrong", channel="form")
                seen.append((str(refused.value.reason), refused.value.locked))
            answers[name] = seen
    assert answers["street_a"] == answers["no_such_user"]
    assert answers["street_a"][-1][1] is True


def test_an_unknown_name_costs_a_password_hash(tree, monkeypatch):
    """Timing: the hasher runs for a name that does not exist, as for one that does."""
    calls = []
    real = User.set_password

    def counted(self, raw):
        calls.append(raw)
        return real(self, raw)

    monkeypatch.setattr(User, "set_password", counted)
    with pytest.raises(LoginRefused):
        user_authenticate(username="ghost", password="guess", channel="form")
    assert calls == ["guess"]


def test_one_address_trying_many_names_is_slowed(tree, personas, settings):
    """Password spraying: after TAIZHANG_LOGIN_IP_MAX_FAILURES from one address over any
    names, that address is refused for everyone; another address is not."""
    settings.TAIZHANG_LOGIN_IP_MAX_FAILURES = 6
    with ip("203.0.113.50"):
        for index in range(6):
            with pytest.raises(LoginRefused):
                user_authenticate(username=f"name{index}", password="x", channel="form")
        with pytest.raises(LoginRefused) as refused:
            user_authenticate(username="street_b", password=PASSWORD, channel="form")
    assert refused.value.locked
    with ip("203.0.113.51"):
        assert user_authenticate(username="street_b", password=PASSWORD, channel="form")


def test_guessing_from_many_addresses_locks_the_account(tree, personas, settings):
    """Only failures from many addresses lock the account itself, for the security
    administrator to see and unlock."""
    settings.TAIZHANG_LOGIN_ACCOUNT_MAX_FAILURES = 8
    for index in range(8):
        with ip(f"203.0.113.{100 + index}"):
            _fail("street_a", 1)
    assert User.objects.get(username="street_a").is_locked()
    with ip("198.51.100.7"), pytest.raises(LoginRefused) as refused:
        user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert refused.value.locked


def test_unknown_user_failure_is_audited(tree):
    """A wrong username is refused with the same message and recorded."""
    with pytest.raises(LoginRefused) as refused:
        user_authenticate(username="ghost", password="x", channel="form")
    assert not refused.value.locked
    assert AuditEvent.objects.filter(action="login.form", object_repr="ghost").exists()


def test_security_admin_unlocks(tree, personas, settings):
    """Unlocking clears the lock and is audited."""
    User.objects.filter(username="street_a").update(
        locked_until=timezone.now() + dt.timedelta(minutes=10)
    )
    user = User.objects.get(username="street_a")
    security = make_user("sec", ("security_admin", ScopeKind.SUBTREE, tree.district))
    with pytest.raises(PermissionDenied):
        user_unlock(user=user, acting_user=personas.district)  # a clerk may not
    user_unlock(user=user, acting_user=security)
    assert not User.objects.get(username="street_a").is_locked()
    assert _latest().action == "user.unlock" and _latest().actor_id == security.pk


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


# --- audit action names --------------------------------------------------------------


def test_account_services_audit_by_name(tree, personas):
    """Each account service leaves its own audit action."""
    admin = make_user("secadm", ("security_admin", ScopeKind.SUBTREE, tree.district))
    user = user_create(username="newbie", password="Initial-Pass-2026", acting_user=admin)
    assert _latest().action == "user.create" and _latest().actor_id == admin.pk
    user_change_password(
        user=user,
        old_password="Initial-Pass-2026",
        new_password="My-Own-Secret-77",
        acting_user=user,
    )
    assert _latest().action == "user.change_password"
    user_authenticate(username="newbie", password="My-Own-Secret-77", channel="form")
    assert _latest().action == "login.form"
    token_issue(username="newbie", password="My-Own-Secret-77")
    assert _latest().action == "token.issue"
    grant = grant_create(
        user=user,
        role="clerk",
        scope_kind=ScopeKind.ORG,
        organization=tree.grid_a,
        acting_user=SYSTEM,
    )
    assert _latest().action == "grant.create" and _latest().actor_id is None
    grant_revoke(grant=grant, acting_user=SYSTEM)
    event = _latest()
    assert event.action == "grant.revoke" and event.changes == {"is_active": [True, False]}


def test_accounts_are_created_by_the_security_administrator(tree, personas):
    """Creating an account is accounts.manage (the security administrator's): a clerk,
    the system administrator and the audit administrator are refused."""
    system = make_user("sys", ("system_admin", ScopeKind.SUBTREE, tree.district))
    for actor in (personas.district, system, personas.auditor):
        with pytest.raises(PermissionDenied):
            user_create(username="intruder", password="Initial-Pass-2026", acting_user=actor)
    assert not User.objects.filter(username="intruder").exists()
    security = make_user("sec", ("security_admin", ScopeKind.SUBTREE, tree.district))
    user = user_create(username="newcomer", password="Initial-Pass-2026", acting_user=security)
    assert user.created_by == security and user.must_change_password


def test_password_is_changed_by_its_holder_only(tree, personas):
    """Someone else knowing the old password still cannot change it."""
    with pytest.raises(PermissionDenied):
        user_change_password(
            user=personas.street_a,
            old_password=PASSWORD,
            new_password="My-Own-Secret-77",
            acting_user=personas.district,
        )


# --- grants: the security administrator's part of the tree --------------------------


@pytest.fixture
def security_a(tree):
    """A security administrator of subdistrict A's subtree only."""
    return make_user("sec_a", ("security_admin", ScopeKind.SUBTREE, tree.street_a))


def test_partial_security_admin_grants_inside_her_subtree(tree, personas, security_a):
    """A grant on A1 is hers to give (audited, granted_by her)."""
    grant = grant_create(
        user=personas.nobody,
        role="clerk",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.community_a,
        acting_user=security_a,
    )
    assert grant.granted_by_id == security_a.pk
    assert _latest().action == "grant.create" and _latest().actor_id == security_a.pk
    assert personas.nobody.has_function("people.view")


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        (ScopeKind.SUBTREE, "street_b"),
        (ScopeKind.ORG, "community_b"),
        (ScopeKind.SUBTREE, "district"),  # the part above her own
        (ScopeKind.OWN, None),  # an own-records grant on no organization
        (ScopeKind.LISTED, "community_b"),
    ],
)
def test_partial_security_admin_refused_outside_her_subtree(
    tree, personas, security_a, kind, where
):
    """Granting on B, on the district, or with no organization is refused; nothing is written."""
    org = getattr(tree, where) if where else None
    listed = [tree.community_a, org] if kind == ScopeKind.LISTED else None
    with pytest.raises(PermissionDenied):
        grant_create(
            user=personas.nobody,
            role="clerk",
            scope_kind=kind,
            organization=None if kind == ScopeKind.LISTED else org,
            listed=listed,
            acting_user=security_a,
        )
    assert not personas.nobody.grants.exists()


def test_no_self_grants(tree, security_a):
    """The security administrator cannot widen her own grants."""
    with pytest.raises(PermissionDenied):
        grant_create(
            user=security_a,
            role="security_admin",
            scope_kind=ScopeKind.SUBTREE,
            organization=tree.community_a,
            acting_user=security_a,
        )


def test_partial_security_admin_revokes_inside_her_subtree_only(tree, personas, security_a):
    """She revokes street_a's grant (audited); street_b's stays."""
    mine = personas.street_a.grants.get()
    grant_revoke(grant=mine, acting_user=security_a)
    mine.refresh_from_db()
    assert not mine.is_active
    assert _latest().action == "grant.revoke" and _latest().actor_id == security_a.pk
    theirs = personas.street_b.grants.get()
    with pytest.raises(PermissionDenied):
        grant_revoke(grant=theirs, acting_user=security_a)
    theirs.refresh_from_db()
    assert theirs.is_active


def test_a_clerk_cannot_grant_or_revoke(tree, personas):
    """grants.manage is the security administrator's function alone."""
    with pytest.raises(PermissionDenied):
        grant_create(
            user=personas.nobody,
            role="clerk",
            scope_kind=ScopeKind.ORG,
            organization=tree.grid_a,
            acting_user=personas.district,
        )
    with pytest.raises(PermissionDenied):
        grant_revoke(grant=personas.street_a.grants.get(), acting_user=personas.district)


def test_services_refuse_a_missing_actor(tree, personas):
    """None is not a way to skip the checks."""
    with pytest.raises(TypeError):
        grant_revoke(grant=personas.street_a.grants.get(), acting_user=None)
    with pytest.raises(TypeError):
        user_unlock(user=personas.street_a, acting_user=None)


# --- accounts: the security administrator's writes ----------------------------


@pytest.fixture
def sec_district(tree):
    return make_user("sec_d", ("security_admin", "subtree", tree.district))


@pytest.fixture
def sec_a(tree):
    return make_user("sec_a", ("security_admin", "subtree", tree.street_a))


# --- services ------------------------------------------------------------------------


def test_disable_and_enable_are_audited_and_stop_logins(tree, personas, sec_a):
    """A disabled account cannot log in; enabled again it can, grants intact."""
    user_set_active(user=personas.street_a, active=False, acting_user=sec_a)
    assert _latest().action == "user.disable" and _latest().actor_id == sec_a.pk
    with pytest.raises(LoginRefused):
        user_authenticate(username="street_a", password=PASSWORD, channel="form")
    user_set_active(user=personas.street_a, active=True, acting_user=sec_a)
    assert _latest().action == "user.enable"
    assert user_authenticate(username="street_a", password=PASSWORD, channel="form")
    assert personas.street_a.grants.filter(is_active=True).count() == 1


def test_subdistrict_security_admin_cannot_touch_b(tree, personas, sec_a):
    """Every account write on B's account is refused for A's security administrator."""
    target = personas.street_b
    for call in (
        lambda: user_set_active(user=target, active=False, acting_user=sec_a),
        lambda: user_reset_password(user=target, acting_user=sec_a),
        lambda: user_unlock(user=target, acting_user=sec_a),
    ):
        with pytest.raises(PermissionDenied):
            call()
    target.refresh_from_db()
    assert target.is_active and target.check_password(PASSWORD)


def test_reset_password_forces_a_change_and_clears_the_lock(tree, personas, sec_a):
    User.objects.filter(pk=personas.street_a.pk).update(
        locked_until="2999-01-01T00:00:00Z", failed_logins=3
    )
    password = user_reset_password(user=personas.street_a, acting_user=sec_a)
    user = User.objects.get(pk=personas.street_a.pk)
    assert user.check_password(password) and not user.check_password(PASSWORD)
    assert user.must_change_password and not user.is_locked() and user.failed_logins == 0
    event = _latest()
    assert event.action == "user.reset_password" and password not in str(event.changes)


def test_security_admin_cannot_disable_herself(tree, sec_a):
    with pytest.raises(PermissionDenied):
        user_set_active(user=sec_a, active=False, acting_user=sec_a)


def test_created_account_is_validated_and_records_its_creator(tree, sec_a):
    """A weak initial password given by a person is refused (the generated ones pass)."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        user_create(username="weak", password="12345678", acting_user=sec_a)
    user = user_create(username="strong", password="Initial-Pass-2026", acting_user=sec_a)
    assert user.created_by == sec_a


# --- service accounts and their tokens -----------------------------------------------


def _service(acting_user, username: str = "city_sync"):
    from taizhang.accounts.models import AccountKind

    return user_create(username=username, kind=AccountKind.SERVICE, acting_user=acting_user)


def test_service_account_has_no_password_login(tree, sec_a):
    """Neither the form nor the token endpoint lets a service account in, whatever
    password is tried; the refusal is audited as such."""
    service = _service(sec_a)
    assert not service.has_usable_password() and not service.must_change_password
    for channel in ("form", "token"):
        with pytest.raises(LoginRefused):
            user_authenticate(username="city_sync", password="", channel=channel)
    assert _latest().changes == {"reason": "service account"}


def test_service_token_is_stored_hashed_and_audited(tree, sec_a):
    from taizhang.accounts.models import ApiToken
    from taizhang.accounts.services import service_token_create, token_user

    service = _service(sec_a)
    record, token = service_token_create(
        user=service, name="city platform", days=30, acting_user=sec_a
    )
    stored = ApiToken.objects.get(pk=record.pk)
    assert token not in stored.key_hash and stored.name == "city platform"
    assert (stored.expires_at - timezone.now()).days in (29, 30)
    event = _latest()
    assert event.action == "token.create" and token not in str(event.changes)
    assert token_user(token) == service
    assert ApiToken.objects.get(pk=record.pk).last_used_at is not None


def test_revoked_token_authenticates_nothing(tree, sec_a):
    from taizhang.accounts.services import service_token_create, token_revoke, token_user

    service = _service(sec_a)
    record, token = service_token_create(user=service, name="sync", acting_user=sec_a)
    token_revoke(token=record, acting_user=sec_a)
    assert _latest().action == "token.revoke"
    assert token_user(token) is None


def test_service_tokens_are_refused_outside_her_accounts(tree, personas, sec_a):
    """Only a service account gets tokens here, only from a security administrator
    who manages it; a clerk or B's administrator is refused."""
    from taizhang.accounts.services import service_token_create

    sec_b = make_user("sec_b", ("security_admin", "subtree", tree.street_b))
    service = _service(sec_a)
    for actor in (personas.district, sec_b):
        with pytest.raises(PermissionDenied):
            service_token_create(user=service, name="x", acting_user=actor)
    with pytest.raises(ValidationError):
        service_token_create(user=personas.street_a, name="x", acting_user=sec_a)
    with pytest.raises(ValidationError):
        service_token_create(user=service, name="  ", acting_user=sec_a)


def test_administrators_are_reset_on_the_console_only(tree, personas, sec_district):
    """The security administrator cannot reset or disable the audit administrator (nor
    take over the system administrator); the console command, as the system, can."""
    import io

    from django.core.management import call_command

    from taizhang.accounts.services import user_reset_password, user_set_active

    system = make_user("sys", ("system_admin", "subtree", tree.district))
    for target in (personas.auditor, system):
        with pytest.raises(ValidationError):
            user_reset_password(user=target, acting_user=sec_district)
        with pytest.raises(ValidationError):
            user_set_active(user=target, active=False, acting_user=sec_district)
        target.refresh_from_db()
        assert target.is_active and target.check_password(PASSWORD)
    out = io.StringIO()
    call_command("reset_password", "auditor", stdout=out)
    password = out.getvalue().split("(shown once): ")[1].split()[0]
    auditor = User.objects.get(pk=personas.auditor.pk)
    assert auditor.check_password(password) and auditor.must_change_password
    assert _latest().action == "user.reset_password" and _latest().actor_id is None


# --- 三员分立 over the account's history (issue 19) --------------------------------------


def test_a_former_auditor_cannot_become_another_administrator(tree, personas):
    """Revoking the auditor's grant and granting her the security role is refused: the
    duties are kept apart over everything the account ever held."""
    auditor = personas.auditor
    grant = auditor.grants.get()
    grant_revoke(grant=grant, acting_user=SYSTEM)
    for role in ("security_admin", "system_admin", "clerk"):
        with pytest.raises(ValidationError):
            grant_create(
                user=auditor,
                role=role,
                scope_kind=ScopeKind.SUBTREE,
                organization=tree.district,
                acting_user=SYSTEM,
            )
    # A former clerk does not become an administrator either.
    grant_revoke(grant=personas.street_b.grants.get(), acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        grant_create(
            user=personas.street_b,
            role="security_admin",
            scope_kind=ScopeKind.SUBTREE,
            organization=tree.district,
            acting_user=SYSTEM,
        )


def test_the_security_administrator_cannot_remove_or_appoint_the_auditor(tree, personas):
    """The auditor oversees the security administrator: only the console gives or takes
    the audit role, and the grant page does not offer it."""
    security = make_user("sec_d", ("security_admin", ScopeKind.SUBTREE, tree.district))
    with pytest.raises(PermissionDenied):
        grant_revoke(grant=personas.auditor.grants.get(), acting_user=security)
    assert personas.auditor.grants.get().is_active
    newcomer = user_create(username="aud2", password="Initial-Pass-2026", acting_user=security)
    with pytest.raises(ValidationError):
        grant_create(
            user=newcomer,
            role="audit_admin",
            scope_kind=ScopeKind.SUBTREE,
            organization=tree.district,
            acting_user=security,
        )
    from taizhang.accounts.forms import GrantForm

    assert "audit_admin" not in dict(GrantForm(viewer=security).fields["role"].choices)


# --- password complexity (等保 level 3, issue 19) ----------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("alllowercase", 1),
        ("lowerUPPER", 2),
        ("lower-1234", 3),
        ("Lower-1234", 4),
        ("台账Password", 3),
    ],
)
def test_character_classes_are_counted(password, classes):
    from taizhang.accounts.passwords import character_classes

    assert character_classes(password) == classes


def test_a_plain_password_is_refused_at_change(tree, personas):
    """Ten characters of two kinds are refused; three kinds pass."""
    from django.utils import translation

    user = personas.street_a
    with translation.override("zh-hans"), pytest.raises(ValidationError) as plain:
        user_change_password(
            user=user, old_password=PASSWORD, new_password="plainpassword", acting_user=user
        )
    assert any("四类字符中的3类" in m for m in plain.value.messages), plain.value.messages
    user_change_password(
        user=user, old_password=PASSWORD, new_password="plain-pass-2026", acting_user=user
    )


def test_generated_passwords_always_pass_the_rule():
    from django.contrib.auth.password_validation import validate_password

    from taizhang.accounts.passwords import character_classes
    from taizhang.accounts.services import generate_password

    for _ in range(200):
        password = generate_password()
        assert character_classes(password) == 4
        validate_password(password)
