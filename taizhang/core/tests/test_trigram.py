"""The search indexes (``core/trigram.py``): on PostgreSQL the migrations made a pg_trgm
GIN index for each searched column, and the ``icontains`` searches of the lists can use
it (the plan names the index when a scan is not an option); on SQLite nothing is made."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connection

from taizhang.activities.models import Activity
from taizhang.core import trigram
from taizhang.people.models import Person
from taizhang.problems.models import Problem
from taizhang.projects.models import Project

pytestmark = pytest.mark.django_db

SEARCHED = [
    (Person, "name", "people_person_name_trgm"),
    (Problem, "title", "problems_problem_title_trgm"),
    (Problem, "description", "problems_problem_description_trgm"),
    (Activity, "title", "activities_activity_title_trgm"),
    (Project, "name", "projects_project_name_trgm"),
    (Project, "location", "projects_project_location_trgm"),
]


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE '%%_trgm'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(("model", "field", "index"), SEARCHED)
def test_each_search_can_use_its_trigram_index(model, field, index):
    assert trigram.available()
    assert index in _indexes()
    sql, params = model.objects.filter(**{f"{field}__icontains": "居民12"}).query.sql_with_params()
    with connection.cursor() as cursor:
        # Neither a scan of the table nor a walk of another index (problem_newest could
        # serve a filtered full walk): only a bitmap scan on an index condition is left,
        # and only the trigram index can take the LIKE.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


@pytest.mark.skipif("connection.vendor == 'postgresql'")
def test_sqlite_gets_no_trigram_index():
    assert _indexes() == set()
    assert not trigram.available()


def test_the_check_warns_only_without_the_extension(monkeypatch):
    assert trigram.trigram_check(databases=None) == []
    if connection.vendor != "postgresql":
        assert trigram.trigram_check(databases=["default"]) == []
        return
    assert trigram.trigram_check(databases=["default"]) == []
    monkeypatch.setattr(trigram, "available", lambda alias="default": False)
    warnings = trigram.trigram_check(databases=["default"])
    assert [w.id for w in warnings] == ["taizhang.W020"]
    assert isinstance(warnings[0], checks.Warning)
