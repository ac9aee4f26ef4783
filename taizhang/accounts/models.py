"""Users, their grants of roles on the tree, and API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import ROLES

NO_SUPERUSER = (
    "createsuperuser is disabled: a superuser holds no role in taizhang. On an empty "
    "database run `taizhang setup` to create the root organization and the system, "
    "security and audit administrators; after that the security administrator creates "
    "accounts and grants roles on the accounts pages."
)


class AccountManager(UserManager["User"]):
    """Django's user manager without its superuser path (see ``NO_SUPERUSER``)."""

    def create_superuser(self, *args: Any, **kwargs: Any) -> User:
        raise ValidationError(NO_SUPERUSER)


class AccountKind(models.TextChoices):
    PERSON = "person", _("Person")
    SERVICE = "service", _("Service (integration)")


class User(AbstractUser):
    """An account. A person's account logs in with a password; a service account
    (``kind=service``, for an integration) has no usable password and reaches the API
    only with its named, revocable tokens. ``first_name`` holds the display name of an
    account with no linked person. ``is_superuser`` and ``is_staff`` mean nothing here:
    every function comes from a grant."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON
    )
    created_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.OneToOneField(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    must_change_password = models.BooleanField(_("must change password"), default=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = AccountManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def has_function(self, permission: str) -> bool:
        """Whether any grant of this user carries the function (anywhere in the tree)."""
        from taizhang.organizations.scope import has_function

        return has_function(self, permission)

    def grant_facts(self) -> list[Any]:
        """This user's grants as the scope module explains them (home page, ``/me``)."""
        from taizhang.organizations.scope import grant_facts

        return grant_facts(self)

    def functions(self) -> list[str]:
        """Every function any of this user's grants carries."""
        from taizhang.organizations.scope import functions_of

        return functions_of(self)

    @property
    def is_service(self) -> bool:
        return self.kind == AccountKind.SERVICE

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def display_name(self) -> str:
        if self.person_id:
            return self.person.name  # type: ignore[union-attr]
        return self.get_full_name() or self.username


class ScopeKind(models.TextChoices):
    ORG = "org", _("This organization only")
    SUBTREE = "subtree", _("This organization and its subtree")
    LISTED = "listed", _("Listed organizations")
    OWN = "own", _("Own records only")


class Grant(models.Model):
    """A role given to a user on part of the organization tree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=40)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_kind = models.CharField(_("scope"), max_length=16, choices=ScopeKind.choices)
    listed_organizations = models.ManyToManyField(
        "organizations.Organization", blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A grant of a right that needs a second administrator (``Permission.second_approval``)
    # waits, inactive, until another one approves it; a refused one stays inactive.
    awaiting_approval = models.BooleanField(_("awaiting approval"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["user_id", "pk"]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}@{self.organization_id}/{self.scope_kind}"

    @property
    def role_label(self) -> Any:
        role = ROLES.get(self.role)
        return role.label if role else self.role

    @property
    def admin_kind(self) -> str:
        role = ROLES.get(self.role)
        return role.admin_kind if role else ""


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token is shown once.

    Tokens from the login endpoint are short-lived and nameless. A service account's
    tokens are issued by the security administrator, named, long-lived and revoked by
    setting ``revoked_at``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(_("name"), max_length=80, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class LoginThrottle(models.Model):
    """Failed logins counted per source: one username from one address
    (``name:<username>@<ip>``) and one address over all names (``ip:<ip>``).

    Too many from one source blocks that source for a while, whoever the name belongs
    to and whether it exists at all: an attacker slows herself down without locking the
    account's holder out, and a made-up name is answered exactly like a real one."""

    key = models.CharField(max_length=220, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.key


class TotpDevice(models.Model):
    """An administrator's second factor (等保 level 3): a TOTP secret (RFC 6238, 30 s,
    six digits) shared with an authenticator app. ``confirmed_at`` is set once a code
    from the app was accepted; ``last_step`` is the newest time step used, so a code is
    accepted once only."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("second-factor device")
        verbose_name_plural = _("second-factor devices")

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class UserSession(models.Model):
    """One signed-in web session of a user, by its session key: the index by which a
    new sign-in ends the oldest sessions beyond the limit (``TAIZHANG_ADMIN_MAX_SESSIONS``
    for the three administrators, ``TAIZHANG_MAX_SESSIONS`` for everyone else). Written
    at sign-in and sign-out only, never per request; rows of sessions that expired are
    dropped at the user's next sign-in."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="web_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("web session")
        verbose_name_plural = _("web sessions")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"
