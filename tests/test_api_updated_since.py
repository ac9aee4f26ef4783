"""A sync pulls what changed (issue 17): every ledger list of the API takes
``updated_since`` and answers the records created or changed at or after it, read from
the audit trail every write goes through; a moment without its time zone is a 422."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.problems.services import problem_update
from taizhang.problems.tests.factories import make_problem
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_project
from tests.support import bearer

pytestmark = pytest.mark.django_db

# Every list operation that takes the shared ledger filters (org, date_from, date_to).
LEDGER = ("org", "date_from", "date_to")


def _ids(response):
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {item["id"] for item in items}


def test_only_what_was_written_since_is_listed(client, tree, personas):
    headers = bearer(client, personas.street_a)
    old = make_problem(tree.community_a, title="旧问题")
    kept = make_problem(tree.community_a, title="未改的问题")
    project = make_project(tree.community_a, "旧项目")
    since = timezone.now()
    new = make_problem(tree.grid_a, title="新问题")
    problem_update(problem=old, description="已约谈物业", acting_user=personas.street_a)
    listed = _ids(client.get("/api/v1/problems", {"updated_since": since.isoformat()}, **headers))
    assert listed == {old.pk, new.pk} and kept.pk not in listed
    assert (
        _ids(client.get("/api/v1/projects", {"updated_since": since.isoformat()}, **headers))
        == set()
    )
    project_update(project=project, location="甲地", acting_user=personas.street_a)
    assert _ids(
        client.get("/api/v1/projects", {"updated_since": since.isoformat()}, **headers)
    ) == {project.pk}
    # A later moment: nothing; the filter narrows the scope, never widens it.
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert _ids(client.get("/api/v1/problems", {"updated_since": later}, **headers)) == set()
    neighbour = bearer(client, personas.street_b)
    assert (
        _ids(client.get("/api/v1/problems", {"updated_since": since.isoformat()}, **neighbour))
        == set()
    )


def test_a_moment_without_its_zone_is_said(client, tree, personas):
    headers = bearer(client, personas.street_a)
    answer = client.get("/api/v1/problems", {"updated_since": "2026-12-01T08:00:00"}, **headers)
    assert answer.status_code == 422
    assert "updated_since" in answer.json()["error"]["fields"]


def test_every_ledger_list_documents_updated_since(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    lists = {
        f"GET {path}": {p["name"] for p in op.get("parameters", [])}
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method == "get"
    }
    ledger = {name: params for name, params in lists.items() if set(LEDGER) <= params}
    assert len(ledger) >= 10
    assert [name for name, params in ledger.items() if "updated_since" not in params] == []


@pytest.mark.parametrize(
    "moment",
    ["0053-05-24T11:38:31-17:05", "2026-12-01T08:00:00+15:00", "1999-12-31T23:00:00+08:00"],
)
def test_a_moment_no_database_can_hold_is_said_before_it_asks(client, tree, personas, moment):
    """A zone beyond ±14:00 or a year outside 2000–2100 was a PostgreSQL error (found by
    the schemathesis run there): now the one 422, on the lists and on /deleted."""
    headers = bearer(client, personas.street_a)
    answer = client.get("/api/v1/problems", {"updated_since": moment}, **headers)
    assert answer.status_code == 422 and "updated_since" in answer.json()["error"]["fields"]
    answer = client.get("/api/v1/deleted", {"since": moment}, **headers)
    assert answer.status_code == 422 and "since" in answer.json()["error"]["fields"]
    # The database still answers afterwards (no aborted transaction).
    assert client.get("/api/v1/problems", **headers).status_code == 200
