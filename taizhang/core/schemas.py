"""API schemas every module shares."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every API error: ``detail`` is a message, or ``{field: [messages]}`` for a 422."""

    detail: Any
