"""Writes for users, grants and tokens, and the one authentication path.

The login form, the token endpoint and Django's ``authenticate()`` all go through
:func:`user_authenticate`, so the lockout applies to every way in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.accounts.models import (
    AccountKind,
    ApiToken,
    Grant,
    LoginThrottle,
    ScopeKind,
    User,
    UserSession,
)
from taizhang.accounts.passwords import (
    character_classes,
    password_expired,
    password_max_age_days,
)
from taizhang.accounts.permissions import GRANT, MANAGE_ACCOUNTS, MANAGE_GRANTS, require_account
from taizhang.core.actors import ANONYMOUS, Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record
from taizhang.core.models import AuditOutcome
from taizhang.core.registry import ROLES, needs_second_approval
from taizhang.core.request_context import current_ip
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import clear_cache


class LoginRefused(Exception):
    """Authentication failed; ``reason`` is safe to show (it never says which part was wrong)."""

    def __init__(self, reason: str, *, locked: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.locked = locked


GENERIC_FAILURE = gettext_lazy("Wrong username or password.")
TOTP_NOT_SET_UP = gettext_lazy(
    "Administrators need a second factor: set it up by signing in on the web first."
)
TOTP_WRONG = gettext_lazy("Wrong or reused second-factor code (otp).")
PASSWORD_EXPIRED = gettext_lazy(
    "Your password has expired: sign in on the web and change it first."
)
AUDIT_ROLE_ON_CONSOLE = gettext_lazy(
    "The audit administrator's role is given and withdrawn only on the server's console "
    "(taizhang setup), never by the administrators she oversees."
)


def _require_function(acting_user: Actor, permission: str) -> None:
    """For writes about accounts, which belong to no organization: the function alone."""
    require_actor(acting_user)
    if not is_system(acting_user) and not acting_user.has_function(permission):
        raise PermissionDenied


def user_authenticate(*, username: str, password: str, channel: str) -> User:
    """Check credentials, count failures, lock after too many, and audit each attempt.

    The attempt is recorded in its own transaction that commits before a refusal is
    raised, so failures and locks are never rolled back with the caller's work.
    """
    user, refusal = _login_attempt(username=username, password=password, channel=channel)
    if refusal is not None:
        raise refusal
    assert user is not None
    return user


def _throttles(username: str, now: dt.datetime) -> list[LoginThrottle]:
    """The two counters of this attempt's source, locked: this name from this address,
    and this address over every name. Expired counters start again."""
    ip = current_ip() or "-"
    keys = [f"name:{username.strip().lower()[:150]}@{ip}", f"ip:{ip}"]
    window = dt.timedelta(minutes=settings.TAIZHANG_LOGIN_LOCK_MINUTES)
    rows = []
    for key in keys:
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"window_start": now}
        )
        if row.window_start + window <= now and not (row.blocked_until and row.blocked_until > now):
            row.failures, row.window_start, row.blocked_until = 0, now, None
        rows.append(row)
    return rows


def _blocked(rows: list[LoginThrottle], now: dt.datetime) -> bool:
    return any(row.blocked_until is not None and row.blocked_until > now for row in rows)


def _count_failure(rows: list[LoginThrottle], now: dt.datetime) -> bool:
    """Count a failure on both counters; whether this one blocks the source."""
    limits = [settings.TAIZHANG_LOGIN_MAX_FAILURES, settings.TAIZHANG_LOGIN_IP_MAX_FAILURES]
    until = now + dt.timedelta(minutes=settings.TAIZHANG_LOGIN_LOCK_MINUTES)
    blocked = False
    for row, limit in zip(rows, limits, strict=True):
        row.failures += 1
        if row.failures >= limit:
            row.blocked_until, blocked = until, True
        row.save(update_fields=["failures", "window_start", "blocked_until"])
    # Forget counters nobody has used for a day.
    LoginThrottle.objects.filter(window_start__lt=now - dt.timedelta(days=1)).filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lt=now)
    ).delete()
    return blocked


@transaction.atomic
def _login_attempt(
    *, username: str, password: str, channel: str
) -> tuple[User | None, LoginRefused | None]:
    """One attempt, answered the same way whether the name exists or not.

    Failures count per source (``LoginThrottle``): after
    ``TAIZHANG_LOGIN_MAX_FAILURES`` for one name from one address, or
    ``TAIZHANG_LOGIN_IP_MAX_FAILURES`` from one address in all, that source is refused for
    ``TAIZHANG_LOGIN_LOCK_MINUTES`` with the "locked" answer, while the holder logs in
    from elsewhere. The account itself is locked only after
    ``TAIZHANG_LOGIN_ACCOUNT_MAX_FAILURES`` failures from any sources (guessing spread
    over many addresses); the security administrator may unlock it. An unknown name
    costs a password hash like a known one.
    """
    locked_message = _("Too many failed attempts. Try again later.")
    now = timezone.now()
    throttles = _throttles(username, now)
    if _blocked(throttles, now):
        audit_record(
            actor=ANONYMOUS,
            action=f"login.{channel}",
            object_type="accounts.user",
            object_repr=username[:150],
            outcome=AuditOutcome.DENIED,
            changes={"reason": "too many failures from this address"},
        )
        return None, LoginRefused(locked_message, locked=True)
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None or not user.is_active or user.is_service:
        # The same work as a wrong password: hash it, so timing tells nothing.
        User().set_password(password)
        if user is not None and user.is_service:
            # A service account has no password; its way in is a token the security
            # administrator issued.
            audit_record(
                actor=user,
                action=f"login.{channel}",
                obj=user,
                outcome=AuditOutcome.DENIED,
                changes={"reason": "service account"},
            )
        else:
            audit_record(
                actor=ANONYMOUS,
                action=f"login.{channel}",
                object_type="accounts.user",
                object_repr=username[:150],
                outcome=AuditOutcome.FAILURE,
                changes={"reason": "unknown or inactive user"},
            )
        if _count_failure(throttles, now):
            return None, LoginRefused(locked_message, locked=True)
        return None, LoginRefused(str(GENERIC_FAILURE))
    if user.is_locked():
        audit_record(
            actor=user,
            action=f"login.{channel}",
            obj=user,
            outcome=AuditOutcome.DENIED,
            changes={"reason": "locked", "locked_until": user.locked_until},
        )
        return None, LoginRefused(locked_message, locked=True)
    if not user.check_password(password):
        user.failed_logins += 1
        changes: dict[str, Any] = {"failed_logins": [user.failed_logins - 1, user.failed_logins]}
        locked = user.failed_logins >= settings.TAIZHANG_LOGIN_ACCOUNT_MAX_FAILURES
        if locked:
            user.locked_until = now + dt.timedelta(minutes=settings.TAIZHANG_LOGIN_LOCK_MINUTES)
            user.failed_logins = 0
            changes["locked_until"] = [None, user.locked_until]
        user.save(update_fields=["failed_logins", "locked_until"])
        audit_record(
            actor=user,
            action=f"login.{channel}",
            obj=user,
            outcome=AuditOutcome.FAILURE,
            changes=changes,
        )
        if _count_failure(throttles, now) or locked:
            return None, LoginRefused(locked_message, locked=True)
        return None, LoginRefused(str(GENERIC_FAILURE))
    # This name from this address starts afresh; the address's own count stays.
    LoginThrottle.objects.filter(pk=throttles[0].pk).delete()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = now
    user.save(update_fields=["failed_logins", "locked_until", "last_login"])
    audit_record(actor=user, action=f"login.{channel}", obj=user)
    return user, None


def generate_password() -> str:
    """A strong random password (about 95 bits), readable aloud: for the initial
    passwords of ``taizhang setup`` and for resets, shown once."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
        password = "-".join(groups)
        if character_classes(password) == 4:  # never refused by the complexity rule
            return password


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str = "",
    person: Any = None,
    display_name: str = "",
    kind: str = AccountKind.PERSON,
    must_change_password: bool = True,
    acting_user: Actor,
) -> User:
    """A new account. A person's account gets ``password`` (checked by the password
    validators unless the system creates it) and must change it at first login, unless
    told otherwise; a service account gets no usable password at all."""
    _require_function(acting_user, MANAGE_ACCOUNTS)
    if kind not in AccountKind.values:
        raise ValidationError({"kind": _("Unknown kind of account.")})
    service = kind == AccountKind.SERVICE
    user = User(
        username=username,
        person=person,
        first_name=display_name[:150],
        kind=kind,
        must_change_password=must_change_password and not service,
        created_by=user_of(acting_user),
    )
    user.full_clean(exclude=["password"])
    if service:
        user.set_unusable_password()
    else:
        if not password:
            raise ValidationError({"password": _("Give an initial password.")})
        if not is_system(acting_user):
            validate_password(password, user)
        user.set_password(password)
        user.password_changed_at = timezone.now()
    user.save()
    audit_record(
        actor=acting_user,
        action="user.create",
        obj=user,
        changes={
            "username": [None, username],
            "person": [None, getattr(person, "pk", None)],
            "kind": [None, kind],
        },
    )
    return user


def _refuse_for_administrators(user: User, acting_user: Actor) -> None:
    """The three administrators watch each other (三员分立): the security administrator
    must not take over, or shut out, the system or audit administrator (nor a peer) by
    resetting or disabling the account. Those are done on the server's console
    (``taizhang reset_password``), by the system actor, and audited."""
    if is_system(acting_user):
        return
    if any(g.admin_kind for g in Grant.objects.filter(user=user, is_active=True)):
        raise ValidationError(
            _(
                "This account holds an administrator role; reset or disable it on the "
                "server's console (taizhang reset_password)."
            )
        )


@transaction.atomic
def user_set_active(*, user: User, active: bool, acting_user: Actor) -> User:
    """Disable an account (it can no longer log in, and its tokens stop working) or
    enable it again. Grants are kept: enabling gives the account back as it was."""
    require_account(acting_user, user)
    _refuse_for_administrators(user, acting_user)
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = locked.is_active
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    changes: dict[str, Any] = {"is_active": [before, active]}
    if not active:
        # Enabling again must not bring old tokens back to life.
        changes["tokens_revoked"] = [0, _revoke(live_tokens(user))]
    audit_record(
        actor=acting_user,
        action="user.enable" if active else "user.disable",
        obj=user,
        changes=changes,
    )
    return user


@transaction.atomic
def user_reset_password(*, user: User, acting_user: Actor) -> str:
    """Give a person's account a new generated password, returned to be shown once;
    the holder must change it at the next login. Failures and a lock are cleared."""
    require_account(acting_user, user)
    if user.is_service:
        raise ValidationError(_("A service account has no password; issue it a token."))
    _refuse_for_administrators(user, acting_user)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.failed_logins = 0
    user.locked_until = None
    user.save(
        update_fields=[
            "password",
            "must_change_password",
            "password_changed_at",
            "failed_logins",
            "locked_until",
        ]
    )
    audit_record(
        actor=acting_user,
        action="user.reset_password",
        obj=user,
        changes={
            "password": ["***", "***"],
            "must_change_password": [None, True],
            "tokens_revoked": [0, _revoke(live_tokens(user, login_only=True))],
        },
    )
    return password


@transaction.atomic
def user_change_password(
    *, user: User, old_password: str, new_password: str, acting_user: Actor
) -> User:
    require_actor(acting_user)
    if not is_system(acting_user) and acting_user.pk != user.pk:
        raise PermissionDenied  # a password is changed by its holder alone
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("Choose a password you have not used here.")})
    validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit_record(
        actor=acting_user,
        action="user.change_password",
        obj=user,
        changes={
            "password": ["***", "***"],
            "must_change_password": [True, False],
            # Tokens got with the old password end with it.
            "tokens_revoked": [0, _revoke(live_tokens(user, login_only=True))],
        },
    )
    return user


@transaction.atomic
def password_expired_at_login(*, user: User, channel: str) -> bool:
    """Whether a sign-in found ``user``'s password older than
    ``TAIZHANG_PASSWORD_MAX_AGE_DAYS``; if so it is audited (``user.password_expired``):
    on the web (``channel`` form) the holder is then kept on the password change page
    until she changes it (``PasswordChangeRequiredMiddleware``), and the token endpoint
    refuses (``token``)."""
    if not password_expired(user):
        return False
    audit_record(
        actor=user,
        action="user.password_expired",
        obj=user,
        outcome=AuditOutcome.DENIED if channel == "token" else AuditOutcome.SUCCESS,
        changes={
            "channel": channel,
            "password_changed_at": user.password_changed_at,
            "max_age_days": password_max_age_days(),
        },
    )
    return True


@transaction.atomic
def user_unlock(*, user: User, acting_user: Actor) -> User:
    _require_function(acting_user, MANAGE_GRANTS)
    require_account(acting_user, user)
    before = user.locked_until
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.refresh_from_db()
    audit_record(
        actor=acting_user, action="user.unlock", obj=user, changes={"locked_until": [before, None]}
    )
    return user


@transaction.atomic
def grant_create(
    *,
    user: User,
    role: str,
    scope_kind: str,
    organization: Organization | None = None,
    listed: list[Organization] | None = None,
    acting_user: Actor,
) -> Grant:
    """Give ``role`` to ``user`` on part of the tree.

    The acting security administrator must manage every organization the grant names
    (``GRANT`` policy: her own grant's subtree), and may not grant herself anything.
    The three administrators are kept apart (三员分立) over the account's whole history: a
    user who holds or ever held one admin role cannot be given another, nor a business
    role alongside it, and the audit role is given only by the system actor (console).
    """
    if role not in ROLES:
        raise ValidationError({"role": _("Unknown role.")})
    if scope_kind not in ScopeKind.values:
        raise ValidationError({"scope_kind": _("Unknown scope.")})
    if scope_kind in (ScopeKind.ORG, ScopeKind.SUBTREE) and organization is None:
        raise ValidationError({"organization": _("Choose the organization of this grant.")})
    if scope_kind == ScopeKind.LISTED and not listed:
        raise ValidationError({"listed": _("List at least one organization.")})
    require_actor(acting_user)
    if not is_system(acting_user) and acting_user.pk == user.pk:
        raise PermissionDenied
    # An own-records grant still names the organization it is given on (the grantee's
    # own); without one only the system actor may give it.
    named: list[Organization | None] = (
        list(listed or []) if scope_kind == ScopeKind.LISTED else [organization]
    )
    for org in named:
        GRANT.require_org(acting_user, org)
    User.objects.select_for_update().filter(pk=user.pk).first()
    new_kind = ROLES[role].admin_kind
    if new_kind == "audit" and not is_system(acting_user):
        raise ValidationError({"role": str(AUDIT_ROLE_ON_CONSOLE)})
    # Over the account's whole history, revoked grants included: revoking the auditor's
    # grant and giving her another duty does not make one person both (issue 19).
    held = {g.admin_kind for g in Grant.objects.filter(user=user)}
    if held - {new_kind}:
        raise ValidationError(
            {
                "role": _(
                    "System, security and audit administration are separate duties; "
                    "this account already holds a role that cannot be combined with it."
                )
            }
        )
    # A right such as unmasked personal data needs a second administrator: the grant
    # waits, inactive, for ``grant_approve`` (the system actor's grants are the setup's).
    waits = needs_second_approval(role) and not is_system(acting_user)
    grant = Grant.objects.create(
        user=user,
        role=role,
        scope_kind=scope_kind,
        organization=organization,
        granted_by=user_of(acting_user),
        is_active=not waits,
        awaiting_approval=waits,
    )
    if listed:
        grant.listed_organizations.set(listed)
    clear_cache(user)
    audit_record(
        actor=acting_user,
        action="grant.create",
        obj=grant,
        object_repr=f"{user.username}: {role}",
        changes={
            "user": [None, user.pk],
            "role": [None, role],
            "scope_kind": [None, scope_kind],
            "organization": [None, getattr(organization, "pk", None)],
            "listed": [None, sorted(o.pk for o in listed or [])],
            **({"awaiting_approval": [None, True]} if waits else {}),
        },
    )
    return grant


@transaction.atomic
def grant_approve(*, grant: Grant, approve: bool, acting_user: Actor) -> Grant:
    """A second administrator approves (or refuses) a grant awaiting approval. She must
    manage the grant's part of the tree, and be neither who gave it nor who gets it."""
    require_actor(acting_user)
    locked = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=grant.pk)
    )
    GRANT.require(acting_user, locked)
    if not locked.awaiting_approval:
        raise ValidationError(_("This grant is not awaiting approval."))
    if not is_system(acting_user) and acting_user.pk in (locked.granted_by_id, locked.user_id):
        raise ValidationError(
            _("A second administrator approves this grant: not the one who gave it.")
        )
    now = timezone.now()
    Grant.objects.filter(pk=locked.pk).update(
        awaiting_approval=False,
        is_active=approve,
        approved_by=user_of(acting_user) if approve else None,
        approved_at=now if approve else None,
    )
    locked.refresh_from_db()
    clear_cache(locked.user)
    audit_record(
        actor=acting_user,
        action="grant.approve" if approve else "grant.refuse",
        obj=locked,
        object_repr=f"{locked.user.username}: {locked.role}",
        changes={"awaiting_approval": [True, False], "is_active": [False, approve]},
    )
    return locked


@transaction.atomic
def grant_revoke(*, grant: Grant, acting_user: Actor) -> Grant:
    # The check reads the stored organization, not the caller's copy of the grant.
    locked = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=grant.pk)
    )
    GRANT.require(acting_user, locked)
    if locked.admin_kind == "audit" and not is_system(acting_user):
        # The auditor reads the security administrator's actions: she cannot be removed
        # by the person she oversees.
        raise PermissionDenied(str(AUDIT_ROLE_ON_CONSOLE))
    Grant.objects.filter(pk=grant.pk).update(is_active=False)
    grant.is_active = False
    # The caller's user object may hold the scope cache: forget it there.
    clear_cache(grant.user)
    audit_record(
        actor=acting_user, action="grant.revoke", obj=grant, changes={"is_active": [True, False]}
    )
    return grant


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, username: str, password: str, otp: str = "") -> str:
    """Authenticate (with the same lockout as the form) and return a new bearer token.

    An administrator also gives the code of her second factor (``otp``); one who has not
    set it up on the web yet gets no token (``accounts/totp.py``)."""
    from taizhang.accounts import totp

    user = user_authenticate(username=username, password=password, channel="token")
    if password_expired_at_login(user=user, channel="token"):
        # A new token is a password login: an expired password gets none. Tokens issued
        # before keep working until they expire (a token is not a password).
        raise LoginRefused(str(PASSWORD_EXPIRED))
    if totp.totp_required(user):
        if totp.confirmed_device(user) is None:
            raise LoginRefused(str(TOTP_NOT_SET_UP))
        if not totp.totp_check(user=user, code=otp, purpose="token"):
            raise LoginRefused(str(TOTP_WRONG))
    return _token_create(user=user)


def live_tokens(user: User, *, login_only: bool = False) -> QuerySet[ApiToken]:
    """The user's tokens that still authenticate (unexpired, unrevoked); ``login_only``:
    the nameless ones from the login endpoint, not a service account's named ones."""
    rows = ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return rows.filter(name="") if login_only else rows


def _revoke(rows: QuerySet[ApiToken]) -> int:
    """Revoke ``rows`` now; the number revoked. The caller audits."""
    return rows.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def _token_create(*, user: User) -> str:
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(hours=settings.TAIZHANG_API_TOKEN_HOURS)
    # At most TAIZHANG_API_TOKENS_PER_USER live login tokens: the oldest give way.
    User.objects.select_for_update().filter(pk=user.pk).first()
    cap: int = getattr(settings, "TAIZHANG_API_TOKENS_PER_USER", 5)
    live = list(
        live_tokens(user, login_only=True)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )
    dropped = _revoke(ApiToken.objects.filter(pk__in=live[max(cap - 1, 0) :]))
    record = ApiToken.objects.create(user=user, key_hash=_hash_token(token), expires_at=expires)
    changes: dict[str, Any] = {"expires_at": [None, expires]}
    if dropped:
        changes["oldest_revoked"] = [0, dropped]
    audit_record(actor=user, action="token.issue", obj=record, changes=changes)
    return token


def _token_of(token: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(token), expires_at__gt=timezone.now(), revoked_at__isnull=True)
        .first()
    )


@transaction.atomic
def token_logout(*, token: str) -> bool:
    """Revoke the bearer token presented (``POST /api/v1/auth/logout``); audited as the
    token's holder. Answer whether a live token was revoked."""
    record = _token_of(token)
    if record is None:
        return False
    _revoke(ApiToken.objects.filter(pk=record.pk))
    audit_record(
        actor=record.user, action="token.logout", obj=record, changes={"revoked": [False, True]}
    )
    return True


@transaction.atomic
def user_logout(*, user: User) -> int:
    """A person signs out of the web: her login tokens stop working too (a service
    account's named tokens are not hers to end this way). Audited; the number revoked."""
    revoked = _revoke(live_tokens(user, login_only=True))
    audit_record(
        actor=user, action="user.logout", obj=user, changes={"tokens_revoked": [0, revoked]}
    )
    return revoked


@transaction.atomic
def session_end(*, user: User, reason: str, **facts: Any) -> None:
    """A web session ended by a rule, not by its holder (``reason``: ``absolute
    lifetime``, ``session limit``), audited as her logout with the reason and ``facts``
    (when it signed in, the limit). Her API tokens are left alone: they have their own
    expiry, and she did not sign out."""
    changes: dict[str, Any] = {"reason": reason}
    if "login_at" in facts:
        login_at = dt.datetime.fromtimestamp(float(facts.pop("login_at")), tz=dt.UTC)
        changes["login_at"] = login_at
    changes.update(facts)
    audit_record(actor=user, action="user.logout", obj=user, changes=changes)


def is_administrator(user: User) -> bool:
    """Whether ``user`` holds (an active grant of) one of the three administrator roles."""
    return any(g.admin_kind for g in Grant.objects.filter(user=user, is_active=True))


def session_limit(user: User) -> int:
    """How many web sessions ``user`` may have at once; 0: no limit. The three
    administrators: ``TAIZHANG_ADMIN_MAX_SESSIONS`` (1); everyone else:
    ``TAIZHANG_MAX_SESSIONS`` (0)."""
    if is_administrator(user):
        return max(int(getattr(settings, "TAIZHANG_ADMIN_MAX_SESSIONS", 1) or 0), 0)
    return max(int(getattr(settings, "TAIZHANG_MAX_SESSIONS", 0) or 0), 0)


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _live_session_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` still name an unexpired session (one query with the database
    engines)."""
    store = _session_store()
    if not keys:
        return set()
    if hasattr(store, "get_model_class"):
        rows = store.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        )
        return set(rows.values_list("session_key", flat=True))
    return {key for key in keys if store().exists(key)}


@transaction.atomic
def session_started(*, user: User, session_key: str, ip: str | None = None) -> int:
    """Index the web session ``user`` just signed in with, and end her oldest live
    sessions beyond ``session_limit`` (their session rows deleted: the next request of
    each goes to the login page). The end is audited as her ``user.logout`` with reason
    ``session limit``. Rows of expired sessions are dropped. The number ended."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one sign-in at a time
    rows = list(
        UserSession.objects.filter(user=user)
        .exclude(session_key=session_key)
        .order_by("-created_at", "-pk")
    )
    live = _live_session_keys([row.session_key for row in rows])
    UserSession.objects.filter(pk__in=[r.pk for r in rows if r.session_key not in live]).delete()
    older = [row for row in rows if row.session_key in live]
    UserSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "created_at": timezone.now(), "ip": ip}
    )
    limit = session_limit(user)
    if not limit or len(older) < limit:
        return 0
    ended = older[limit - 1 :]
    store = _session_store()
    for row in ended:
        store(session_key=row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in ended]).delete()
    session_end(
        user=user,
        reason="session limit",
        sessions_ended=len(ended),
        max_sessions=limit,
        ended_signed_in_at=[row.created_at for row in ended],
    )
    return len(ended)


def session_forget(*, session_key: str | None) -> None:
    """The session ended at its holder's sign-out: no longer in the index."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_rekeyed(*, old_key: str | None, new_key: str | None) -> None:
    """The session got a new key (a password change cycles it): the index follows."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


@transaction.atomic
def tokens_revoke_all(*, user: User, acting_user: Actor) -> int:
    """The security administrator ends every live token of an account (a lost laptop, a
    leaked script). Audited with the number revoked."""
    _require_function(acting_user, MANAGE_ACCOUNTS)
    require_account(acting_user, user)
    revoked = _revoke(live_tokens(user))
    audit_record(
        actor=acting_user,
        action="token.revoke_all",
        obj=user,
        changes={"tokens_revoked": [0, revoked]},
    )
    return revoked


def token_user(token: str) -> User | None:
    """The active, unlocked user behind a live (unexpired, unrevoked) bearer token, or
    None. Records when the token was last used, at most once a minute."""
    now = timezone.now()
    record = _token_of(token)
    if record is None or not record.user.is_active or record.user.is_locked():
        return None
    if record.last_used_at is None or now - record.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


@transaction.atomic
def service_token_create(
    *, user: User, name: str, days: int | None = None, acting_user: Actor
) -> tuple[ApiToken, str]:
    """A named, long-lived token for a service account; the token itself is returned
    once and only its hash is kept."""
    require_account(acting_user, user)
    if not user.is_service:
        raise ValidationError(_("Only a service account gets tokens issued here."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the token (what uses it).")})
    default_days: int = getattr(settings, "TAIZHANG_SERVICE_TOKEN_DAYS", 365)
    days = days or default_days
    if not 1 <= days <= 3660:
        raise ValidationError({"days": _("Choose between 1 and 3660 days.")})
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=days)
    record = ApiToken.objects.create(
        user=user,
        key_hash=_hash_token(token),
        expires_at=expires,
        name=name,
        created_by=user_of(acting_user),
    )
    audit_record(
        actor=acting_user,
        action="token.create",
        obj=record,
        object_repr=f"{user.username}: {name}",
        changes={"name": [None, name], "expires_at": [None, expires]},
    )
    return record, token


@transaction.atomic
def token_revoke(*, token: ApiToken, acting_user: Actor) -> ApiToken:
    """Revoke a service account's token: from now on it authenticates nothing."""
    require_account(acting_user, token.user)
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return locked
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
    token.revoked_at = now
    audit_record(
        actor=acting_user,
        action="token.revoke",
        obj=token,
        object_repr=f"{token.user.username}: {token.name}",
        changes={"revoked_at": [None, now]},
    )
    return token
