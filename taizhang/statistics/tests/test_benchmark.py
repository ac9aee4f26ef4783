"""The benchmark's generator and measurements at a tiny scale: the data set has the
promised shape and every measurement of the report yields a number. No timing is
asserted here; ``make bench`` measures (docs/performance.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from taizhang.accounts.services import _token_create
from taizhang.organizations.models import Organization, encode_segment
from taizhang.organizations.scope import ScopeKind
from taizhang.statistics.bench import generate, measure, run
from taizhang.statistics.bench.report import GOALS, summarize
from taizhang.statistics.models import MonthlyFigure
from tests.support import make_user

pytestmark = pytest.mark.django_db

# Report entries that are words, not measurements.
TEXT_KEYS = {"plan", "plan_before", "plan_after", "vendor", "version", "shared_buffers"}

REPORT_KEYS = {
    "data",
    "database",
    "scope_predicate",
    "ruoyi_baseline",
    "dashboard_db",
    "request_in_process",
    "raw_read",
    "raw_read_orm",
    "raw_read_covering_index",
    "growth",
    "ledger_lists",
}
LEVELS = {"city", "district", "subdistrict", "community"}


def _non_numeric(value: Any, where: str = "") -> list[str]:
    """Paths of the report's leaves that are not numbers (text keys excepted)."""
    if isinstance(value, dict):
        return [bad for key, item in value.items() for bad in _non_numeric(item, f"{where}.{key}")]
    if where.rsplit(".", 1)[-1] in TEXT_KEYS:
        return [] if isinstance(value, str) and value else [where]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return [] if is_number else [where]


def test_generated_tree_has_six_levels_and_valid_paths():
    sizes = generate.generate(scale=0.001)
    orgs = {o.pk: o for o in Organization.objects.all()}
    assert sizes.organizations == len(orgs) == 63
    assert {o.depth for o in orgs.values()} == {1, 2, 3, 4, 5, 6}
    for org in orgs.values():
        assert len(org.path) == 6 * org.depth
        assert org.path.endswith(encode_segment(org.pk))
        if org.parent_id:
            parent = orgs[org.parent_id]
            assert org.depth == parent.depth + 1
            assert org.path == parent.path + encode_segment(org.pk)
        else:
            assert org.depth == 1
    assert (sizes.persons, sizes.activities, sizes.problems) == (1000, 4500, 500)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM activities_activity")
        assert cursor.fetchone()[0] == 4500


def test_every_measurement_of_the_report_is_a_number(monkeypatch):
    monkeypatch.setattr(measure, "REPEAT", 3)
    generate.generate(scale=0.001)
    refresh = measure.refresh_all()
    assert refresh["source_rows"] > 4500 and MonthlyFigure.objects.exists()
    measure.settle()
    root = Organization.objects.get(parent=None)
    user = make_user("bench", ("clerk", ScopeKind.SUBTREE, root))
    report = run.measure_all(user, _token_create(user=user), subtree_size=8)

    assert set(report) == REPORT_KEYS
    assert _non_numeric(report) == []
    assert report["data"]["max_depth"] == 6
    assert set(report["dashboard_db"]) == set(report["request_in_process"]) == LEVELS
    scope, ruoyi = report["scope_predicate"], report["ruoyi_baseline"]
    assert scope["subtree_organizations"] == ruoyi["subtree_organizations"] > 1
    assert report["dashboard_db"]["city"]["figures"] > 0
    assert report["dashboard_db"]["city"]["queries"] > 0
    assert report["raw_read"]["rows"] == report["raw_read_orm"]["rows"] > 0
    assert report["growth"]["table_rows_after"] == 10 * report["growth"]["table_rows_before"]
    lists = report["ledger_lists"]
    assert set(lists["problems"]) == set(lists["activities"]) == LEVELS
    assert lists["problems"]["city"]["queries"] > 0
    assert set(lists["search"]) == {"people_name", "problems_title", "activities_topic"}

    goals = summarize(report)
    assert set(goals) == set(GOALS) - {"dashboard_end_to_end_ms", "requests_per_second"}
    assert all(isinstance(g["measured"], int | float) for g in goals.values())
