"""Units in the OpenAPI document (issue 17: "money is integer yuan with nothing saying
so"). Walks every schema of the served document: a money field (found by its name) must
say yuan (元), an area square metres (m²), a rate that it is a percentage, a figure or
score what it counts; dates are ``format: date`` and moments ``format: date-time``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support import bearer

pytestmark = pytest.mark.django_db

MONEY = re.compile(
    r"investment|amount|_yuan$|income|subsid|threshold|budget|fund|price|cost|(^|_)total$"
)
AREA = re.compile(r"(^|_)area$")
RATE = re.compile(r"rate$|percent|ratio|completion")
# Numbers whose meaning depends on what they measure: a description is required.
MEASURE = re.compile(r"^(value|new_value|target|actual|previous|year_ago|attributed)$|score|weight")
DATE = re.compile(r"(_on|_date|^date_from|^date_to)$")
MOMENT = re.compile(r"_at$")


def _options(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return list(prop.get("anyOf", [])) or [prop]


def _numeric(prop: dict[str, Any]) -> bool:
    """A number, or a decimal written as a string (pydantic's Decimal) or a map of them."""
    kinds = set()
    for option in _options(prop):
        kinds.add(option.get("type"))
        values = option.get("additionalProperties")
        if option.get("type") == "object" and isinstance(values, dict):
            kinds |= {o.get("type") for o in _options(values)}
    return bool(kinds & {"integer", "number", "string"}) and not any(
        "$ref" in option or option.get("format") in {"date", "date-time"}
        for option in _options(prop)
    )


def _fields(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (schema, name, prop)
        for schema, body in sorted(document["components"]["schemas"].items())
        for name, prop in body.get("properties", {}).items()
    ]


@pytest.fixture
def document(client, personas) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json", **bearer(client, personas.district))
    assert response.status_code == 200
    return response.json()


def test_money_areas_and_rates_say_their_unit(document):
    wrong: list[str] = []
    checked = 0
    for schema, name, prop in _fields(document):
        if name.endswith("_id") or not _numeric(prop):
            continue
        text = prop.get("description", "")
        if MONEY.search(name) and "(not money)" not in text:
            checked += 1
            if "yuan" not in text or "元" not in text:
                wrong.append(f"{schema}.{name}: money without yuan (元): {text!r}")
        elif AREA.search(name):
            checked += 1
            if "m²" not in text:
                wrong.append(f"{schema}.{name}: area without m²: {text!r}")
        elif RATE.search(name):
            checked += 1
            if "percent" not in text:
                wrong.append(f"{schema}.{name}: rate without percent: {text!r}")
        elif MEASURE.search(name):
            checked += 1
            if len(text) < 10:
                wrong.append(f"{schema}.{name}: a figure without what it counts: {text!r}")
    assert checked > 40  # the money of projects, investment, pairing … not an empty walk
    assert wrong == []


def test_dates_and_moments_are_formatted(document):
    wrong: list[str] = []
    for schema, name, prop in _fields(document):
        formats = {option.get("format") for option in _options(prop)}
        if DATE.search(name) and "date" not in formats:
            wrong.append(f"{schema}.{name}: {prop}")
        if MOMENT.search(name) and "date-time" not in formats:
            wrong.append(f"{schema}.{name}: {prop}")
    assert wrong == []


def test_the_walk_would_catch_a_money_field_without_its_unit():
    """The check itself: a field like the old ``total_investment: int`` is refused."""
    bare = {"type": "integer", "title": "Total Investment"}
    assert _numeric(bare) and MONEY.search("total_investment")
    assert "yuan" not in bare.get("description", "")
    assert not _numeric({"$ref": "#/components/schemas/ProgressOut"})
