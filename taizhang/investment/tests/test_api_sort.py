"""The lead list's ``sort`` (issue 17): its keys are in the OpenAPI document, a key
sorts, and an unknown key is a 422 naming ``sort`` with the keys, never ignored."""

from __future__ import annotations

import pytest

from taizhang.investment.selectors import LEAD_SORTS
from taizhang.investment.tests.factories import make_lead
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/investment/leads"


def test_the_document_lists_the_sort_keys(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    (sort,) = [p for p in document["paths"][URL]["get"]["parameters"] if p["name"] == "sort"]
    assert sort["schema"]["enum"] == ["", *LEAD_SORTS]
    assert all(key in sort["description"] for key in LEAD_SORTS)


def test_a_known_key_sorts_and_an_unknown_one_is_a_422(client, personas, tree):
    make_lead(tree.street_a, "小线索", amount=1_000)
    make_lead(tree.street_a, "大线索", amount=9_000)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans", **bearer(client, personas.district)}

    by_amount = client.get(f"{URL}?sort=amount", **headers).json()["items"]
    assert [item["project_name"] for item in by_amount] == ["大线索", "小线索"]

    response = client.get(f"{URL}?sort=name", **headers)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["sort"]
    (message,) = error["fields"]["sort"]
    assert message.startswith("请从以下取值中选择")
    assert all(key in message for key in LEAD_SORTS)
