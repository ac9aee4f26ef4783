"""The contract of ``/api/v1/`` (issue 17): the served OpenAPI document is a valid
OpenAPI document, every operation states its 401, 403, 404 and 422 with the one error
shape (``ErrorOut``; a 409 with ``ConflictOut``), and what no operation answers — an
unknown path, a method a path does not take — is JSON in that shape too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.support import bearer

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR_STATUSES = ("401", "403", "404", "422")


@pytest.fixture
def document(client, personas) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json", **bearer(client, personas.district))
    assert response.status_code == 200, response.content
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _schema_ref(answer: dict[str, Any]) -> str | None:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref")


def _error_shaped(body: Any, code: str) -> None:
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error), error
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)


def test_the_served_document_is_valid_openapi(document):
    assert document["openapi"].startswith("3.")
    validate(document)  # raises on the first violation


def test_the_document_names_each_status_once(client, personas):
    """JSON readers keep the last of two equal keys: a status declared by an operation
    and added again by the error contract would lose one of its answers."""
    response = client.get("/api/v1/openapi.json", **bearer(client, personas.district))
    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in items]
        twice.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    json.loads(response.content, object_pairs_hook=pairs)
    assert twice == []


def test_every_operation_documents_its_errors_in_the_one_shape(document):
    operations = _operations(document)
    assert len(operations) > 100  # the whole API, not an empty document
    components = document["components"]["schemas"]
    assert {"ErrorOut", "ConflictOut"} <= set(components)
    assert components["ErrorOut"]["properties"]["error"]["$ref"].endswith("/ErrorDetail")

    missing: list[str] = []
    for method, path, operation in operations:
        responses = operation["responses"]
        for status in ERROR_STATUSES:
            answer = responses.get(status)
            if answer is None or _schema_ref(answer) != "#/components/schemas/ErrorOut":
                missing.append(f"{method.upper()} {path} {status}: {answer}")
            elif not answer.get("description"):
                missing.append(f"{method.upper()} {path} {status}: no description")
        if "409" in responses and _schema_ref(responses["409"]) != (
            "#/components/schemas/ConflictOut"
        ):
            missing.append(f"{method.upper()} {path} 409: {responses['409']}")
    assert missing == []


def test_an_edit_documents_its_conflict(document):
    edits = [(m, p, o) for m, p, o in _operations(document) if m in {"put", "patch"}]
    assert edits
    for method, path, operation in edits:
        assert "409" in operation["responses"], f"{method.upper()} {path}"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-thing", "/api/v1/projects/1/no-such-thing", "/api/v2/projects", "/api/"],
)
def test_an_unknown_path_is_a_json_404(client, personas, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans", **bearer(client, personas.district))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    _error_shaped(response.json(), "not_found")


def test_a_wrong_method_is_a_json_405(client, personas, document):
    headers = bearer(client, personas.district)
    # A path whose only operation is a GET (no parameter in the path).
    get_only = [
        path
        for path, item in document["paths"].items()
        if set(item) & METHODS == {"get"} and "{" not in path
    ]
    assert get_only
    path = get_only[0]
    response = client.delete(path, HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
    assert response.status_code == 405, (path, response.content)
    assert response["Content-Type"].startswith("application/json")
    assert "GET" in response["Allow"]
    _error_shaped(response.json(), "method_not_allowed")

    english = client.delete(path, HTTP_ACCEPT_LANGUAGE="en", **headers)
    assert english.json()["error"]["message"] != response.json()["error"]["message"]


def test_refusals_of_the_modules_speak_chinese(client, tree, personas):
    """Messages a module writes itself are translated too: an unknown demand category and
    a missing period of an indicator's target (they came back in English)."""
    from taizhang.statistics.tests.factories import make_indicator

    headers = {"HTTP_ACCEPT_LANGUAGE": "zh-hans", **bearer(client, personas.district)}
    demand = client.post(
        "/api/v1/demands",
        {
            "org_id": tree.community_a.pk,
            "channel": "hotline",
            "category_code": "no-such-category",
            "title": "路灯不亮",
            "content": "小区门口路灯不亮",
            "requesters": [{"name": "张三"}],
        },
        content_type="application/json",
        **headers,
    )
    assert demand.status_code == 422, demand.content
    assert demand.json()["error"]["fields"] == {"category_code": ["诉求类别不存在或已停用。"]}

    indicator = make_indicator(personas.district, tree.district)
    target = client.post(
        f"/api/v1/statistics/indicators/{indicator.pk}/targets",
        {"org_id": tree.street_a.pk, "period": " ", "target": "1"},
        content_type="application/json",
        **headers,
    )
    assert target.status_code == 422, target.content
    (message,) = target.json()["error"]["fields"]["period"]
    assert message.startswith("请填写统计期间")


def test_no_two_schemas_share_a_name():
    """The document keys its schemas by class name: two modules' ``CompetitionOut``
    (evaluations and investment) were one entry, and the investment competitions, teams,
    problem kinds, project progress and pairing corrections were documented with another
    module's shape."""
    from ninja import Schema

    import taizhang.api.site  # noqa: F401 - every module's api imported

    def every(cls: type) -> list[type]:
        return [cls, *(sub for child in cls.__subclasses__() for sub in every(child))]

    named: dict[str, set[str]] = {}
    for cls in every(Schema):
        if cls.__module__.startswith("taizhang.") and "Paged" not in cls.__name__:
            named.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in named.items() if len(where) > 1} == {}
