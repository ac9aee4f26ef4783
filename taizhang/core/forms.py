"""Small helpers shared by the modules' form views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def add_service_errors(form: Any, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the form
    has it, otherwise as a form-wide error."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def int_or_none(value: Any) -> int | None:
    """A query-string number, or None when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
