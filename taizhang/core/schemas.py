"""API schemas every module shares: the one error shape of ``/api/v1/``.

Every error the API answers (401, 403, 404, 405, 409, 413, 422, 423) is
``{"error": {"code": ..., "message": ..., "fields": {name: [messages]}}}``, with the
message in the request's language (``Accept-Language``, Chinese by default). The codes
are stable and listed in ``taizhang/api/README.md``; a module that answers an error
itself builds the body with ``error_body``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

# The years a ledger's query may name (a year outside is a 422, not a date error).
YEAR_MIN, YEAR_MAX = 2000, 2100
# The largest offset of a real time zone (UTC+14); PostgreSQL refuses wilder ones.
MAX_ZONE_OFFSET = dt.timedelta(hours=14)


def checked_moment(value: dt.datetime, field: str) -> dt.datetime:
    """A moment a query names (``updated_since``, ``since``): with a real time zone and
    within the years a ledger may name; otherwise the 422 on ``field``, before the
    database sees it."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    offset = value.utcoffset()
    if offset is None:
        raise ValidationError({field: _("Give the moment with its time zone, e.g. +08:00.")})
    if abs(offset) > MAX_ZONE_OFFSET or not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(
            {
                field: _(
                    "Give a moment between the years %(low)s and %(high)s with a real time zone."
                )
                % {"low": YEAR_MIN, "high": YEAR_MAX}
            }
        )
    return value


class ErrorDetail(Schema):
    """What went wrong: a stable ``code``, a message for people, and the fields at fault."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(
        ...,
        description="Stable machine-readable code (see the table in the API's README)",
        examples=["not_found"],
    )
    message: str = Field(..., description="For people, in the request's language")
    fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Messages per input field at fault (422); ``__all__`` for the whole input",
    )


class ErrorOut(Schema):
    """Every API error."""

    error: ErrorDetail


class ConflictDetail(ErrorDetail):
    """409 ``stale_edit``: someone else wrote the record since the client read it."""

    version: int = Field(..., description="The record's current version (send it as If-Match)")
    changed_by: str = Field("", description="Who wrote it last")
    changed_at: dt.datetime | None = Field(None, description="When (ISO 8601)")
    changes: dict[str, Any] = Field(default_factory=dict, description="The fields they changed")


class ConflictOut(Schema):
    """A 409: the error with who, when and what changed."""

    error: ConflictDetail


def error_body(
    code: str, message: Any, fields: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON of one error (``{"error": {...}}``); ``extra`` keys go inside ``error``."""
    return {"error": {"code": code, "message": str(message), "fields": fields or {}, **extra}}
