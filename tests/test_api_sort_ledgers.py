"""The problems and activities lists declare their sort keys too (issue 17): every key
sorts, an unknown one is a 422 naming ``sort``, never silently the default order."""

from __future__ import annotations

import pytest

from taizhang.activities.selectors import SORTS as ACTIVITY_SORTS
from taizhang.problems.api import PROBLEM_SORTS
from tests.support import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "keys"),
    [("/api/v1/problems", PROBLEM_SORTS), ("/api/v1/activities", tuple(ACTIVITY_SORTS))],
)
def test_the_keys_are_declared_and_an_unknown_one_is_said(client, personas, url, keys):
    headers = bearer(client, personas.district)
    document = client.get("/api/v1/openapi.json", **headers).json()
    (sort,) = [p for p in document["paths"][url]["get"]["parameters"] if p["name"] == "sort"]
    assert set(sort["schema"]["enum"]) == {"", *keys}
    for key in keys:
        assert client.get(url, {"sort": key}, **headers).status_code == 200, key
    wrong = client.get(url, {"sort": "budget"}, **headers)
    assert wrong.status_code == 422
    assert list(wrong.json()["error"]["fields"]) == ["sort"]
