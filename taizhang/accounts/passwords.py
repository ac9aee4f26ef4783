"""Password rules beyond Django's (等保 level 3, issue 19): at least three of the four
kinds of character — lower-case letters, capitals, digits, other signs (punctuation,
Chinese characters). A setting, with the MLPS default of three. And an optional maximum
age (``TAIZHANG_PASSWORD_MAX_AGE_DAYS``): an older password must be changed before any
page but the password change opens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    """How many of the four kinds of character ``password`` uses."""
    kinds = [
        any(c.islower() and c.isascii() for c in password),
        any(c.isupper() and c.isascii() for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    ]
    return sum(kinds)


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _(
                    "Use at least %(n)s of: lower-case letters, capitals, digits, and other "
                    "signs such as - or @."
                )
                % {"n": self.min_classes},
                code="password_too_plain",
            )

    def get_help_text(self) -> str:
        return _("At least %(n)s of: lower-case letters, capitals, digits, other signs.") % {
            "n": self.min_classes
        }


def password_max_age_days() -> int:
    """``TAIZHANG_PASSWORD_MAX_AGE_DAYS``: how old a password may get; 0 turns expiry off."""
    return max(int(getattr(settings, "TAIZHANG_PASSWORD_MAX_AGE_DAYS", 0) or 0), 0)


def password_expired(user: Any, now: dt.datetime | None = None) -> bool:
    """Whether ``user``'s password is older than ``TAIZHANG_PASSWORD_MAX_AGE_DAYS`` (等保
    level 3, issue 19). Read from the user row the request has loaded anyway, so checking
    it on every page costs no query. A service account has no password to age; a
    password of unknown age (``password_changed_at`` empty: an account made before the
    column, or outside the services) ages from the account's creation."""
    days = password_max_age_days()
    if not days or getattr(user, "is_service", False) or not user.has_usable_password():
        return False
    changed = user.password_changed_at or getattr(user, "date_joined", None)
    if changed is None:
        return True
    return bool(changed + dt.timedelta(days=days) <= (now or timezone.now()))
