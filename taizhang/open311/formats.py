"""GeoReport v2 answers in JSON or XML (``xml.etree.ElementTree``), errors included.

Open311 output is data for machines, not UI: no string here is translated.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - we only write XML, never parse it
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

JSON = "json"
XML = "xml"
CONTENT_TYPES = {
    JSON: "application/json; charset=utf-8",
    XML: "application/xml; charset=utf-8",
}
# How the items of a list are named in XML (the spec's element names).
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
}


class Open311Error(Exception):
    """A refusal in the spec's error format: ``code`` is also the HTTP status."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _fill(parent: ET.Element, key: str, value: Any) -> None:
    element = ET.SubElement(parent, key)
    if isinstance(value, list):
        for item in value:
            _fill_item(element, ITEM_NAMES.get(key, "item"), item)
    elif isinstance(value, dict):
        for name, inner in value.items():
            _fill(element, name, inner)
    else:
        element.text = _text(value)


def _fill_item(parent: ET.Element, name: str, item: Any) -> None:
    if isinstance(item, dict):
        element = ET.SubElement(parent, name)
        for key, value in item.items():
            _fill(element, key, value)
    else:
        ET.SubElement(parent, name).text = _text(item)


def to_xml(root: str, data: list[Any] | dict[str, Any]) -> bytes:
    """``data`` as the spec's XML: a list becomes ``<root><item>…</item>…</root>``, a
    dict ``<root><key>…</key>…</root>``."""
    element = ET.Element(root)
    if isinstance(data, list):
        for item in data:
            _fill_item(element, ITEM_NAMES.get(root, "item"), item)
    else:
        for key, value in data.items():
            _fill(element, key, value)
    body: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def render(
    fmt: str, data: list[Any] | dict[str, Any], *, root: str, status: int = 200
) -> HttpResponse:
    if fmt == XML:
        body = to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False, default=_jsonable).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_error(fmt: str, error: Open311Error) -> HttpResponse:
    return render(
        fmt if fmt in CONTENT_TYPES else JSON,
        [{"code": error.code, "description": error.description}],
        root="errors",
        status=error.code,
    )
