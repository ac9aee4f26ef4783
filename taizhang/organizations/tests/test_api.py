"""The organizations API: scoped list, the same 404 for missing and hidden."""

from __future__ import annotations

import pytest

from tests.support import bearer

pytestmark = pytest.mark.django_db


def test_list_is_scoped_and_paginated(client, tree, personas):
    """street_a lists her three organizations, with a count."""
    headers = bearer(client, personas.street_a)
    data = client.get("/api/v1/organizations", **headers).json()
    assert data["count"] == 3
    assert {item["id"] for item in data["items"]} == {
        tree.street_a.pk,
        tree.community_a.pk,
        tree.grid_a.pk,
    }
    page = client.get("/api/v1/organizations?limit=1&offset=1", **headers).json()
    assert len(page["items"]) == 1 and page["count"] == 3


def test_detail_404_for_missing_and_hidden(client, tree, personas):
    """B's organization and an unknown id give the same 404."""
    headers = bearer(client, personas.street_a)
    hidden = client.get(f"/api/v1/organizations/{tree.street_b.pk}", **headers)
    missing = client.get("/api/v1/organizations/999999", **headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get(f"/api/v1/organizations/{tree.grid_a.pk}", **headers).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "parent_id={b}",
        "kind=working_committee",
        "scope=all",
        "user=district",
        "org={b}",
        "path=",
        "q=",
    ],
)
def test_parameters_cannot_widen_scope(client, tree, personas, query):
    """No query parameter makes street_b's organizations appear for street_a."""
    headers = bearer(client, personas.street_a)
    url = "/api/v1/organizations?" + query.format(b=tree.street_b.pk)
    response = client.get(url, **headers)
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        ids = {item["id"] for item in response.json()["items"]}
        assert ids <= {tree.street_a.pk, tree.community_a.pk, tree.grid_a.pk}


def test_token_required(client, tree):
    """Without a bearer token the API answers 401."""
    assert client.get("/api/v1/organizations").status_code == 401
    assert client.get("/api/v1/organizations", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_me_explains_scope(client, tree, personas):
    """/me lists the grants and, per function, the scope they give."""
    data = client.get("/api/v1/me", **bearer(client, personas.street_a)).json()
    assert data["username"] == "street_a"
    assert data["grants"][0]["organization_id"] == tree.street_a.pk
    functions = {f["permission"]: f for f in data["functions"]}
    assert functions["organizations.view"]["subtree_roots"] == [tree.street_a.path]
    assert "audit.view" not in functions


def test_openapi_document(client, personas):
    """The OpenAPI document is served at /api/v1/openapi.json."""
    response = client.get("/api/v1/openapi.json", **bearer(client, personas.street_a))
    assert response.status_code == 200
    assert "/api/v1/organizations" in response.json()["paths"]


def test_parent_id_missing_and_hidden_are_one_422(client, tree, personas):
    """A parent_id outside the scope and one that does not exist read the same."""
    headers = bearer(client, personas.street_a)
    hidden = client.get(f"/api/v1/organizations?parent_id={tree.street_b.pk}", **headers)
    missing = client.get("/api/v1/organizations?parent_id=999999", **headers)
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
    assert "parent_id" in hidden.json()["error"]["fields"]
    mine = client.get(f"/api/v1/organizations?parent_id={tree.street_a.pk}", **headers)
    assert [item["id"] for item in mine.json()["items"]] == [tree.community_a.pk]
