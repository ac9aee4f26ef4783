"""A sync forgets what was removed (issue 17): every ledger row a service deletes
leaves a tombstone with the unit it was booked on, and ``GET /api/v1/deleted`` lists
them to the clients that could read them, since a moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.api.models import Tombstone
from taizhang.problems.services import problem_import_undo
from taizhang.problems.tests.factories import make_problem
from tests.support import bearer

pytestmark = pytest.mark.django_db


def _listed(response):
    assert response.status_code == 200, response.content
    return [(row["object_type"], row["id"]) for row in response.json()["items"]]


def test_a_removed_record_is_listed_to_its_scope_only(client, tree, personas):
    kept = make_problem(tree.community_a, title="留下的问题")
    gone = make_problem(tree.community_a, title="导入后撤销的问题")
    since = timezone.now()
    problem_import_undo(ids=[gone.pk], source="台账.xlsx", acting_user=personas.street_a)
    (tombstone,) = Tombstone.objects.all()
    assert (tombstone.object_type, tombstone.object_id, tombstone.org_id) == (
        "problems.problem",
        gone.pk,
        tree.community_a.pk,
    )
    query = {"since": since.isoformat()}
    assert _listed(client.get("/api/v1/deleted", query, **bearer(client, personas.street_a))) == [
        ("problems.problem", gone.pk)
    ]
    assert _listed(client.get("/api/v1/deleted", query, **bearer(client, personas.district))) == [
        ("problems.problem", gone.pk)
    ]
    # The neighbour could not read it, so is not told it went.
    assert _listed(client.get("/api/v1/deleted", query, **bearer(client, personas.street_b))) == []
    # Later than the deletion, or another kind: nothing.
    later = {"since": (timezone.now() + dt.timedelta(seconds=5)).isoformat()}
    headers = bearer(client, personas.street_a)
    assert _listed(client.get("/api/v1/deleted", later, **headers)) == []
    other = {**query, "type": "projects.project"}
    assert _listed(client.get("/api/v1/deleted", other, **headers)) == []
    assert kept.pk not in {
        row[1] for row in _listed(client.get("/api/v1/deleted", query, **headers))
    }


def test_an_update_leaves_no_tombstone_and_a_naive_moment_is_said(client, tree, personas):
    from taizhang.problems.services import problem_update

    problem = make_problem(tree.community_a)
    problem_update(problem=problem, description="补充说明", acting_user=personas.street_a)
    assert not Tombstone.objects.exists()
    answer = client.get(
        "/api/v1/deleted", {"since": "2026-12-01T08:00:00"}, **bearer(client, personas.street_a)
    )
    assert answer.status_code == 422 and "since" in answer.json()["error"]["fields"]
    anonymous = client.get("/api/v1/deleted", {"since": "2026-12-01T08:00:00+08:00"})
    assert anonymous.status_code == 401
