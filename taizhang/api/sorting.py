"""The ``sort`` parameter of a ledger list (issue 17): its keys declared in the OpenAPI
document (an enum, and the description), an unknown key a 422 naming ``sort``.

A list operation takes ``sort: str = sort_param(SORTS, "default key")`` and passes
``checked_sort(sort, SORTS)`` on to its selector; ``SORTS`` is the selector's own
mapping of request keys to ``order_by``, so the document cannot drift from the code.
An empty ``sort`` is the default order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from ninja.params import functions

from taizhang.api.errors import MESSAGES


def sort_param(keys: Iterable[str], default: str) -> Any:
    """The ``Query`` default of a ``sort`` parameter taking ``keys`` (empty: ``default``)."""
    names = [key for key in keys if key]
    param = functions.Query(
        "",
        description=(
            f"Sort key, one of: {', '.join(names)}. Empty: the default order ({default}). "
            "Any other value is a 422 naming the field sort."
        ),
    )
    # ninja's ``Query`` takes no ``json_schema_extra`` of its own; pydantic reads the
    # attribute when it writes the schema.
    param.json_schema_extra = {**(param.json_schema_extra or {}), "enum": ["", *names]}
    return param


def checked_sort(sort: str, keys: Iterable[str]) -> str:
    """``sort`` when it is one of ``keys`` (or empty); otherwise a 422 on ``sort``
    listing the keys, in the request's language."""
    names = [key for key in keys if key]
    if sort == "" or sort in names:
        return sort
    message = str(MESSAGES["literal_error"]) % {"expected": ", ".join(names)}
    raise ValidationError({"sort": [message]})
