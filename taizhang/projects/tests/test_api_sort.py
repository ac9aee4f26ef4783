"""The project list's ``sort`` (issue 17): its keys are in the OpenAPI document, a key
sorts, and an unknown key is a 422 naming ``sort`` with the keys, never ignored."""

from __future__ import annotations

import pytest

from taizhang.projects.selectors import SORTS
from taizhang.projects.tests.factories import make_project
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/projects"


def test_the_document_lists_the_sort_keys(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    (sort,) = [p for p in document["paths"][URL]["get"]["parameters"] if p["name"] == "sort"]
    assert sort["schema"]["enum"] == ["", *SORTS]
    assert all(key in sort["description"] for key in SORTS)


def test_a_known_key_sorts_and_an_unknown_one_is_a_422(client, personas, tree):
    make_project(tree.street_a, "乙项目", total_investment=1_000)
    make_project(tree.street_a, "甲项目", total_investment=9_000)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans", **bearer(client, personas.district)}

    by_default = client.get(URL, **headers).json()["items"]
    assert [item["name"] for item in by_default] == ["甲项目", "乙项目"]  # investment
    by_name = client.get(f"{URL}?sort=name", **headers).json()["items"]
    assert [item["name"] for item in by_name] == sorted(["甲项目", "乙项目"])
    assert client.get(f"{URL}?sort=", **headers).status_code == 200

    response = client.get(f"{URL}?sort=budget", **headers)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["sort"]
    (message,) = error["fields"]["sort"]
    assert message.startswith("请从以下取值中选择")
    assert all(key in message for key in SORTS)
