"""Writes for users, grants and tokens, and the one authentication path.

The login form, the token endpoint and Django's ``authenticate()`` all go through
:func:`user_authenticate`, so the lockout applies to every way in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.accounts.models import ApiToken, Grant, ScopeKind, User
from taizhang.accounts.permissions import GRANT, MANAGE_ACCOUNTS, MANAGE_GRANTS
from taizhang.core.actors import ANONYMOUS, Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record
from taizhang.core.models import AuditOutcome
from taizhang.core.registry import ROLES
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import clear_cache


class LoginRefused(Exception):
    """Authentication failed; ``reason`` is safe to show (it never says which part was wrong)."""

    def __init__(self, reason: str, *, locked: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.locked = locked


GENERIC_FAILURE = gettext_lazy("Wrong username or password.")


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


@transaction.atomic
def _login_attempt(
    *, username: str, password: str, channel: str
) -> tuple[User | None, LoginRefused | None]:
    locked_message = _("This account is locked after repeated failures. Try again later.")
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None or not user.is_active:
        audit_record(
            actor=ANONYMOUS,
            action=f"login.{channel}",
            object_type="accounts.user",
            object_repr=username[:150],
            outcome=AuditOutcome.FAILURE,
            changes={"reason": "unknown or inactive user"},
        )
        return None, LoginRefused(str(GENERIC_FAILURE))
    now = timezone.now()
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
        locked = user.failed_logins >= settings.TAIZHANG_LOGIN_MAX_FAILURES
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
        if locked:
            return None, LoginRefused(locked_message, locked=True)
        return None, LoginRefused(str(GENERIC_FAILURE))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = now
    user.save(update_fields=["failed_logins", "locked_until", "last_login"])
    audit_record(actor=user, action=f"login.{channel}", obj=user)
    return user, None


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    person: Any = None,
    must_change_password: bool = True,
    acting_user: Actor,
) -> User:
    _require_function(acting_user, MANAGE_ACCOUNTS)
    user = User(username=username, person=person, must_change_password=must_change_password)
    user.full_clean(exclude=["password"])
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    audit_record(
        actor=acting_user,
        action="user.create",
        obj=user,
        changes={"username": [None, username], "person": [None, getattr(person, "pk", None)]},
    )
    return user


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
        changes={"password": ["***", "***"], "must_change_password": [True, False]},
    )
    return user


@transaction.atomic
def user_unlock(*, user: User, acting_user: Actor) -> User:
    _require_function(acting_user, MANAGE_GRANTS)
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
    The three administrators are kept apart (三员分立): a user holding one admin role
    cannot be given another, nor a business role alongside it.
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
    held = {g.admin_kind for g in Grant.objects.filter(user=user, is_active=True)}
    if held - {new_kind}:
        raise ValidationError(
            {
                "role": _(
                    "System, security and audit administration are separate duties; "
                    "this account already holds a role that cannot be combined with it."
                )
            }
        )
    grant = Grant.objects.create(
        user=user,
        role=role,
        scope_kind=scope_kind,
        organization=organization,
        granted_by=user_of(acting_user),
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
        },
    )
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, acting_user: Actor) -> Grant:
    # The check reads the stored organization, not the caller's copy of the grant.
    locked = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=grant.pk)
    )
    GRANT.require(acting_user, locked)
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


def token_issue(*, username: str, password: str) -> str:
    """Authenticate (with the same lockout as the form) and return a new bearer token."""
    user = user_authenticate(username=username, password=password, channel="token")
    return _token_create(user=user)


@transaction.atomic
def _token_create(*, user: User) -> str:
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(hours=settings.TAIZHANG_API_TOKEN_HOURS)
    record = ApiToken.objects.create(user=user, key_hash=_hash_token(token), expires_at=expires)
    audit_record(
        actor=user,
        action="token.issue",
        obj=record,
        changes={"expires_at": [None, expires]},
    )
    return token


def token_user(token: str) -> User | None:
    """The active, unlocked user behind a bearer token, or None."""
    record = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(token), expires_at__gt=timezone.now())
        .first()
    )
    if record is None or not record.user.is_active or record.user.is_locked():
        return None
    return record.user
