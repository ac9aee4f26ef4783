"""The API map is not public (issue 19): the docs page and the OpenAPI document answer
only a signed-in person or a live bearer token."""

from __future__ import annotations

import pytest

from tests.support import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def test_anonymous_gets_no_api_map(client):
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 401
    assert "paths" not in document.json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    forged = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert forged.status_code == 401


def test_a_signed_in_person_and_a_token_holder_read_it(client, personas):
    headers = bearer(client, personas.street_a)
    assert "paths" in client.get("/api/v1/openapi.json", **headers).json()
    client.login(username="street_a", password=PASSWORD)
    assert client.get("/api/v1/docs").status_code == 200
    assert "paths" in client.get("/api/v1/openapi.json").json()
