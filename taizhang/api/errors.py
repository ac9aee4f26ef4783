"""The error contract of ``/api/v1/``: pydantic's errors in the user's words, and the
errors every operation states in the OpenAPI document.

``pydantic_fields`` turns ninja's list of pydantic errors into ``{field: [messages]}``
(the field is the last name in ``loc``; a list index is skipped), each message chosen by
the pydantic error ``type`` through gettext, never pydantic's English text.
``document_errors`` adds 401, 403, 404 and 422 to every operation (413 where a body is
sent, 409 where a record is edited) with ``ErrorOut`` (a 409 with ``ConflictOut``, also
where an operation declared its own 409), in one place (``TaizhangAPI``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from taizhang.core.schemas import ConflictOut, ErrorOut

# HTTP status -> the stable ``error.code`` (see the table in the README).
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "stale_edit",
    413: "too_large",
    422: "invalid",
    423: "locked",
    429: "too_many_requests",
}

# pydantic error type -> the message people read; %(name)s are pydantic's ``ctx``.
MESSAGES: dict[str, Any] = {
    "missing": pgettext_lazy("api", "This field is required."),
    "int_parsing": pgettext_lazy("api", "Enter a whole number."),
    "int_type": pgettext_lazy("api", "Enter a whole number."),
    "int_from_float": pgettext_lazy("api", "Enter a whole number."),
    "float_parsing": pgettext_lazy("api", "Enter a number."),
    "float_type": pgettext_lazy("api", "Enter a number."),
    "decimal_parsing": pgettext_lazy("api", "Enter a number."),
    "decimal_type": pgettext_lazy("api", "Enter a number."),
    "finite_number": pgettext_lazy("api", "Enter a finite number."),
    "decimal_max_digits": pgettext_lazy("api", "Enter at most %(max_digits)s digits."),
    "decimal_max_places": pgettext_lazy("api", "Enter at most %(decimal_places)s decimal places."),
    "decimal_whole_digits": pgettext_lazy(
        "api", "Enter at most %(whole_digits)s digits before the point."
    ),
    "bool_parsing": pgettext_lazy("api", "Enter true or false."),
    "bool_type": pgettext_lazy("api", "Enter true or false."),
    "enum": pgettext_lazy("api", "Choose one of: %(expected)s."),
    "literal_error": pgettext_lazy("api", "Choose one of: %(expected)s."),
    "greater_than_equal": pgettext_lazy("api", "Enter a value greater than or equal to %(ge)s."),
    "greater_than": pgettext_lazy("api", "Enter a value greater than %(gt)s."),
    "less_than_equal": pgettext_lazy("api", "Enter a value less than or equal to %(le)s."),
    "less_than": pgettext_lazy("api", "Enter a value less than %(lt)s."),
    "string_too_long": pgettext_lazy("api", "Enter at most %(max_length)s characters."),
    "string_too_short": pgettext_lazy("api", "Enter at least %(min_length)s characters."),
    "too_long": pgettext_lazy("api", "Enter at most %(max_length)s items."),
    "too_short": pgettext_lazy("api", "Enter at least %(min_length)s items."),
    "string_type": pgettext_lazy("api", "Enter text."),
    "string_pattern_mismatch": pgettext_lazy("api", "Enter a value in the expected format."),
    "string_unicode": pgettext_lazy("api", "Enter valid text."),
    "date_parsing": pgettext_lazy("api", "Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": pgettext_lazy("api", "Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": pgettext_lazy("api", "Enter a date as YYYY-MM-DD."),
    "date_type": pgettext_lazy("api", "Enter a date as YYYY-MM-DD."),
    "datetime_parsing": pgettext_lazy("api", "Enter a date and time (ISO 8601)."),
    "datetime_from_date_parsing": pgettext_lazy("api", "Enter a date and time (ISO 8601)."),
    "datetime_type": pgettext_lazy("api", "Enter a date and time (ISO 8601)."),
    "timezone_aware": pgettext_lazy("api", "Enter a date and time with its time zone."),
    "list_type": pgettext_lazy("api", "Enter a list."),
    "dict_type": pgettext_lazy("api", "Enter an object."),
    "model_type": pgettext_lazy("api", "Enter an object."),
    "model_attributes_type": pgettext_lazy("api", "Enter an object."),
    "json_invalid": pgettext_lazy("api", "The request body is not valid JSON."),
    "json_type": pgettext_lazy("api", "The request body is not valid JSON."),
    "extra_forbidden": pgettext_lazy("api", "This field is not accepted."),
    "uuid_parsing": pgettext_lazy("api", "Enter a valid identifier."),
    "url_parsing": pgettext_lazy("api", "Enter a valid address (URL)."),
}
FALLBACK = pgettext_lazy("api", "Enter a valid value.")

# Where ninja puts a parameter: ("query", "limit"), ("body", "payload", "name"), …
_ROOTS = {"query", "path", "body", "form", "file", "header", "cookie", "payload", "filters"}


def _field(loc: Iterable[Any]) -> str:
    names = [str(part) for part in loc if isinstance(part, str)]
    meaningful = [n for n in names if n not in _ROOTS]
    return meaningful[-1] if meaningful else "__all__"


def _message(error: Mapping[str, Any]) -> str:
    template = MESSAGES.get(str(error.get("type", "")), FALLBACK)
    ctx = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    text = str(template)
    try:
        return text % ctx if "%(" in text else text
    except (KeyError, ValueError):
        return str(FALLBACK)


def pydantic_fields(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{field: [messages]}`` of ninja's pydantic errors, in the active language."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        messages = fields.setdefault(_field(error.get("loc", ())), [])
        message = _message(error)
        if message not in messages:
            messages.append(message)
    return fields


def invalid_message(fields: Mapping[str, list[str]]) -> str:
    """The ``message`` of a 422: the one message when it is about the whole input."""
    if list(fields) == ["__all__"] and fields["__all__"]:
        return "；".join(fields["__all__"]) if len(fields["__all__"]) > 1 else fields["__all__"][0]
    return _("Some fields are not valid: %(fields)s.") % {
        "fields": ", ".join(name for name in fields if name != "__all__")
    }


# --- the document --------------------------------------------------------------------

DESCRIPTIONS = {
    "401": "Not signed in: no valid bearer token (error.code unauthorized)",
    "403": "Signed in, but the function or the record is not yours (forbidden)",
    "404": "Not found, or outside your scope: the same answer (not_found)",
    "409": "Someone else changed the record since you read it (stale_edit)",
    "413": "The request body is too large (too_large)",
    "422": "Parameters or body not valid, messages per field (invalid, out_of_range)",
}
_BODY_METHODS = {"post", "put", "patch"}
_EDIT_METHODS = {"put", "patch"}


def _ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _component_schemas() -> dict[str, Any]:
    """``ErrorOut`` and ``ConflictOut`` with the models they use, as OpenAPI components."""
    out: dict[str, Any] = {}
    for model in (ErrorOut, ConflictOut):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every operation of an OpenAPI document (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, component in _component_schemas().items():
        components.setdefault(name, component)
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = ["401", "403", "404", "422"]
            if method in _BODY_METHODS:
                statuses.append("413")
            if method in _EDIT_METHODS:
                statuses.append("409")
            # ninja keys the statuses an operation declares by int; one key per status,
            # or the JSON document would name a status twice.
            responses = {str(status): answer for status, answer in operation["responses"].items()}
            operation["responses"] = responses
            if "409" in responses:
                # Every 409 of the API is a stale edit (``StaleEdit`` -> ``ConflictOut``),
                # whatever schema the operation declared for it.
                responses["409"] = {"description": DESCRIPTIONS["409"], **_ref("ConflictOut")}
            for status in statuses:
                name = "ConflictOut" if status == "409" else "ErrorOut"
                answer = responses.setdefault(status, {"description": DESCRIPTIONS[status]})
                answer.setdefault("content", _ref(name)["content"])
                if answer.get("description") in {"", None, HTTPStatus(int(status)).phrase}:
                    answer["description"] = DESCRIPTIONS[status]
    return schema
