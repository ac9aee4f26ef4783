"""The authorization matrix of the pages (issue 19): generated from the URL patterns.

Every module's sample rows (``policy_samples``) are booked on community A1, in street A's
part of the tree. Then every route of the module that takes one id is asked, with the id
of each of those rows:

- by street B's clerk, who holds the same functions on the neighbouring subtree: no
  answer may be a page (2xx), and no POST may write anything (the audit trail, which
  every write goes through, gains no successful event);
- by street A's clerk and the district clerk, whose scopes hold the rows: each module's
  own detail page of the row answers 200, so the refusals above are about scope and not
  a broken route.

A route whose id names something other than the row (a dictionary entry, another model)
is asked all the same: street B holds nothing in A's part of the tree, so it must not get
a page either way. Routes that show everyone the same thing are listed in ``SHARED``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from taizhang.core.models import AuditEvent, AuditOutcome
from tests.support import PASSWORD, policy_samples

pytestmark = pytest.mark.django_db

# Namespaces that are not pages of a ledger (the API has its own matrix in the schema
# run; Open311 and the hotline answer machines with keys, not people).
SKIP = {"api", "open311", "hotline"}
# Routes that answer the same thing to everyone signed in, whatever the id.
SHARED: set[str] = set()
# Modules whose pages are the administrators' (grants, chat-tool robots): the clerks
# asking here hold no function on them, so they get no page anywhere.
ADMINISTRATORS = {"accounts", "reminders"}


def _routes() -> Iterator[tuple[str, str, str, str]]:
    """(namespace, url name, kwarg, pattern) of every route that takes one id."""

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[Any]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    pattern.namespace or namespace,
                )
            elif isinstance(pattern, URLPattern) and namespace and pattern.name:
                converters = pattern.pattern.converters
                if len(converters) == 1:
                    (kwarg,) = converters
                    yield namespace, pattern.name, kwarg, prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns, "", None)


def _url(pattern: str, kwarg: str, pk: int) -> str:
    return "/" + pattern.replace(f"<int:{kwarg}>", str(pk)).lstrip("^").rstrip("$")


@pytest.fixture
def booked(tree, personas):
    rows: dict[str, list[Any]] = {}
    for name, make in sorted(policy_samples().items()):
        row = make(tree.community_a)
        rows.setdefault(name.split(".")[0], []).append(row)
    return rows


def _asks(booked: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    asks = []
    for namespace, name, kwarg, pattern in _routes():
        if namespace in SKIP or f"{namespace}:{name}" in SHARED:
            continue
        for row in booked.get(namespace, []):
            asks.append((f"{namespace}:{name}", _url(pattern, kwarg, row.pk), type(row).__name__))
    return asks


def test_the_neighbour_gets_no_page_and_writes_nothing(client, booked):
    asks = _asks(booked)
    client.login(username="street_b", password=PASSWORD)
    pages = []
    for route, url, model in asks:
        response = client.get(url)
        if 200 <= response.status_code < 300:
            pages.append((route, url, model, response.status_code))
    assert pages == []

    successes = AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count()
    written = []
    for route, url, model in asks:
        before = AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count()
        response = client.post(url, {})
        after = AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count()
        if after != before or 200 <= response.status_code < 300:
            written.append((route, url, model, response.status_code))
    assert written == []
    assert AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count() == successes
    # The size of the matrix, so that a route list that shrank to nothing shows.
    assert len(asks) > 150, len(asks)


@pytest.mark.parametrize("persona", ["street_a", "district"])
def test_the_rows_own_scope_gets_the_pages(client, booked, persona):
    """The same asks from inside the rows' scope answer pages in every module that has
    pages for them: the refusals above are about scope, not broken routes."""
    client.login(username=persona, password=PASSWORD)
    answered: dict[str, int] = {}
    for route, url, _model in _asks(booked):
        if client.get(url).status_code == 200:
            module = route.split(":")[0]
            answered[module] = answered.get(module, 0) + 1
    assert set(answered) == set(booked) - SKIP - ADMINISTRATORS, answered


def _operations() -> Iterator[tuple[str, str, str, str]]:
    """(method, module, path template, parameter) of every API operation with one id in
    its path, from the OpenAPI document."""
    from taizhang.api.site import api

    schema = api.get_openapi_schema()
    for path, item in schema["paths"].items():
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if len(names) != 1:
            continue
        module = path.removeprefix("/api/v1/").split("/")[0]
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, module, path, names[0]


def test_the_neighbours_token_reads_and_writes_nothing(client, booked, personas):
    from tests.support import bearer

    headers = bearer(client, personas.street_b)
    successes = AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count()
    asked, leaks = 0, []
    for method, module, path, name in _operations():
        for row in booked.get(module, []):
            url = path.replace("{" + name + "}", str(row.pk))
            call = getattr(client, method)
            if method == "get":
                response = call(url, **headers)
            else:
                response = call(url, data={}, content_type="application/json", **headers)
            asked += 1
            if 200 <= response.status_code < 300:
                leaks.append((method, url, type(row).__name__, response.status_code))
    assert leaks == []
    # The token itself was the only successful write.
    assert AuditEvent.objects.filter(outcome=AuditOutcome.SUCCESS).count() == successes
    assert asked > 100, asked


def test_the_rows_own_scope_reads_them_through_the_api(client, booked, personas):
    from tests.support import bearer

    headers = bearer(client, personas.district)
    expected, answered = set(), set()
    for method, module, path, name in _operations():
        if method != "get" or module in ADMINISTRATORS:
            continue
        for row in booked.get(module, []):
            expected.add(module)
            url = path.replace("{" + name + "}", str(row.pk))
            if client.get(url, **headers).status_code == 200:
                answered.add(module)
    assert answered == expected and len(expected) >= 10
