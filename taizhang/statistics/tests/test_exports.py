"""The indicators export: each unit's target, actual, completion and rank for the
period, as the ranking page shows them, within the viewer's scope."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.statistics import services
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_manual_indicator
from tests.support import make_org

YEAR = Period.year(2026)


@pytest.fixture(autouse=True)
def _chinese():
    """Headers as a Chinese clerk reads them, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _sheet(client, user, query: str) -> list[list[object]]:
    client.force_login(user)
    response = client.get(f"/statistics/indicators/export/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.content[:200]
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]


def _manual(tree):
    """A district indicator entered by hand: A at 80 of 100, B at 30 with no target."""
    indicator = make_manual_indicator(SYSTEM, tree.district, min_cases=1)
    services.target_set(
        acting_user=SYSTEM, indicator=indicator, org=tree.street_a, period=YEAR, target=Decimal(100)
    )
    for org, value in [(tree.street_a, 80), (tree.street_b, 30)]:
        services.actual_enter(
            acting_user=SYSTEM,
            indicator=indicator,
            org=org,
            period=YEAR,
            value=Decimal(value),
            cases=2,
            evidence="台账佐证",
        )
    return indicator


def test_the_export_lists_each_unit_with_target_actual_completion_and_rank(tree, personas, client):
    indicator = _manual(tree)
    rows = _sheet(client, personas.district, "?period=2026")
    header, data = rows[1], rows[2:]
    by_unit = {r[header.index("单位")]: r for r in data}
    a = by_unit[tree.street_a.short_name]
    assert a[header.index("目标值")] == 100
    assert a[header.index("完成值")] == 80
    assert a[header.index("完成率（%）")] == 80
    assert a[header.index("名次")] == 1
    b = by_unit[tree.street_b.short_name]
    assert b[header.index("目标值")] is None
    assert b[header.index("名次")] is None
    assert b[header.index("未排名原因")] == "未设目标，不排名"
    assert {r[0] for r in data} == {indicator.name}
    assert AuditEvent.objects.get(action="statistics.export").changes["rows"] == 2


def test_the_export_follows_the_period_and_the_scope(tree, personas, client):
    indicator = _manual(tree)
    other = _sheet(client, personas.district, "?period=2025")
    assert [r[7] for r in other[2:]] == [None, None]  # no actuals in 2025
    # Subdistrict A's clerk sees the district's indicator but only her own unit below it.
    mine = _sheet(client, personas.street_a, f"?period=2026&indicator={indicator.pk}")
    assert [r[5] for r in mine[2:]] == [tree.community_a.short_name]
    client.force_login(personas.street_a)
    response = client.get(f"/statistics/indicators/export/?org={tree.street_b.pk}")
    assert response.status_code == 404


def test_the_export_query_count_does_not_grow_with_units(tree, personas, client):
    _manual(tree)
    client.force_login(personas.district)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/statistics/indicators/export/?period=2026").status_code == 200
        return len(captured)

    queries()  # the first request of a session renews its idle expiry (a session write)
    few = queries()
    for index in range(5):
        make_org(tree.district, f"S{index}")
    assert queries() == few
