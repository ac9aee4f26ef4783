"""The pair list's ``sort`` (issue 17): its keys are in the OpenAPI document, a key
sorts, and an unknown key is a 422 naming ``sort`` with the keys, never ignored."""

from __future__ import annotations

import pytest

from taizhang.pairing.models import Pair
from taizhang.pairing.selectors import PAIR_SORTS
from taizhang.pairing.tests.factories import make_organ, make_pair
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/pairing/pairs"


def test_the_document_lists_the_sort_keys(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    (sort,) = [p for p in document["paths"][URL]["get"]["parameters"] if p["name"] == "sort"]
    assert sort["schema"]["enum"] == ["", *PAIR_SORTS]
    assert all(key in sort["description"] for key in PAIR_SORTS)


def test_a_known_key_sorts_and_an_unknown_one_is_a_422(client, personas, tree):
    organ_z = make_organ(tree, "JGZ")
    organ_a = make_organ(tree, "JGA")
    make_pair(organ_z, tree.community_a)
    make_pair(organ_a, tree.community_b)
    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans", **bearer(client, personas.district)}

    by_helper = client.get(f"{URL}?sort=helper", **headers).json()["items"]
    expected = Pair.objects.order_by(*PAIR_SORTS["helper"]).values_list("helper_id", flat=True)
    assert [item["helper_id"] for item in by_helper] == list(expected)
    assert {item["helper_id"] for item in by_helper} == {organ_z.pk, organ_a.pk}

    response = client.get(f"{URL}?sort=year", **headers)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["sort"]
    (message,) = error["fields"]["sort"]
    assert message.startswith("请从以下取值中选择")
    assert all(key in message for key in PAIR_SORTS)
