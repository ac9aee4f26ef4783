"""The benchmark's generator and measurements at a tiny scale: the data set has the
promised shape and every measurement yields a number. No timing is asserted here;
``make bench`` measures (docs/performance.md)."""

from __future__ import annotations

import pytest

from taizhang.core.registry import METRICS
from taizhang.core.testing import make_user
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import ScopeKind
from taizhang.statistics.bench import generate, measure
from taizhang.statistics.bench.report import summarize
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def test_generated_tree_has_six_levels_and_valid_paths():
    sizes = generate.generate(scale=0.001)
    orgs = {o.pk: o for o in Organization.objects.all()}
    assert sizes.organizations == len(orgs) == 63
    assert {o.depth for o in orgs.values()} == {1, 2, 3, 4, 5, 6}
    for org in orgs.values():
        assert len(org.path) == 6 * org.depth
        if org.parent_id:
            assert org.path.startswith(orgs[org.parent_id].path)
    assert (sizes.persons, sizes.activities, sizes.problems) == (1000, 4500, 500)


def test_every_measurement_yields_numbers():
    generate.generate(scale=0.001)
    refresh = measure.refresh_all()
    assert refresh["source_rows"] > 4500 and MonthlyFigure.objects.exists()
    root = Organization.objects.get(parent=None)
    user = make_user("bench", ("clerk", ScopeKind.SUBTREE, root))
    target = measure.subtree_near(8)
    scope = measure.scope_predicate(target)
    ruoyi = measure.ruoyi_baseline(target)
    assert scope["subtree_organizations"] == ruoyi["subtree_organizations"] > 1
    levels = measure.level_orgs()
    assert set(levels) == {"city", "district", "subdistrict", "community"}
    names = [m.name for m in METRICS.values() if m.additive]
    report = {
        "scope_predicate": scope,
        "dashboard_db": {k: measure.dashboard_db(org, names) for k, org in levels.items()},
        "raw_read": measure.raw_read(levels["subdistrict"]),
        "growth": measure.growth_ratio(levels["community"], 1000),
    }
    assert report["dashboard_db"]["city"]["stored_rows_read"] > 0
    assert report["raw_read"]["rows"] > 0 and report["raw_read"]["us_per_row"] > 0
    assert report["growth"]["table_rows_after"] == 10_000
    assert measure.dashboard_in_process(user, root)["p50_ms"] > 0
    goals = summarize(report)
    assert set(goals) == {
        "scope_predicate_ms",
        "dashboard_db_ms",
        "raw_read_us_per_row",
        "raw_read_into_python_us_per_row",
        "growth_ratio",
    }
    assert all(isinstance(g["measured"], int | float) for g in goals.values())
