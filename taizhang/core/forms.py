"""Small helpers shared by the modules' form views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_noop

T = TypeVar("T")

# Django puts gettext(":") after every form label, and its own zh_Hans catalogue keeps
# the ASCII colon; core's catalogue gives Chinese labels the full-width one (issue 18).
LABEL_SUFFIX = gettext_noop(":")


def add_service_errors(form: Any, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field when the form
    has it, otherwise as a form-wide error."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        # The error itself, so its code survives (``form.has_error(None, "stale")``).
        form.add_error(None, ValidationError(error.error_list))


def int_or_none(value: Any) -> int | None:
    """A query-string number, or None when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass
class Submission(Generic[T]):
    """What ``submit`` did: ``ok`` when the service ran, with what it returned."""

    ok: bool
    result: T | None = None


def submit(
    request: HttpRequest,
    form: Any,
    call: Callable[[], T],
    *,
    success: str = "",
) -> Submission[T]:
    """The form-view idiom: on a POST with a valid form, call one service; show its
    ``ValidationError`` on the form, or the ``success`` message when it ran."""
    if request.method != "POST" or not form.is_valid():
        return Submission(ok=False)
    try:
        result = call()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return Submission(ok=False)
    if success:
        messages.success(request, success)
    return Submission(ok=True, result=result)
