"""Password rules beyond Django's (等保 level 3, issue 19): at least three of the four
kinds of character — lower-case letters, capitals, digits, other signs (punctuation,
Chinese characters). A setting, with the MLPS default of three."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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
