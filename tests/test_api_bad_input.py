"""Ordinary bad input to the API is the client's error, answered in JSON with a 4xx,
never a 500 (issue 19)."""

from __future__ import annotations

import pytest

from tests.support import bearer

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # above 2**63


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/projects?limit={HUGE}",
        f"/api/v1/projects?offset={HUGE}",
        f"/api/v1/problems?offset={HUGE}",
        f"/api/v1/people?offset={HUGE}",
        f"/api/v1/demands?offset={HUGE}",
        f"/api/v1/organizations?offset={HUGE}",
        f"/api/v1/activities?offset={HUGE}",
        f"/api/v1/trainings?offset={HUGE}",
        "/api/v1/organizations?limit=5000",
    ],
)
def test_out_of_range_paging_is_a_422(client, tree, personas, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans", **bearer(client, personas.district))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "out_of_range" or {"limit", "offset"} & set(error["fields"])


def test_every_paginated_list_uses_the_bounded_pagination():
    """Each module's API imports the pagination from core (offset and limit bounded)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "taizhang"
    loose = [
        str(path.relative_to(root))
        for path in root.glob("*/api.py")
        if "from ninja.pagination import" in path.read_text()
    ]
    assert loose == []


def test_a_body_over_the_limit_is_a_413(client, tree, personas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/v1/problems",
        data=b'{"title": "' + b"x" * 4096 + b'"}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        **bearer(client, personas.district),
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {"code": "too_large", "message": "请求内容过大。", "fields": {}}
    }
