"""Dashboard and drill-down pages and their API: every figure in the viewer's scope,
served from the monthly figures only when they prove the same number."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.activities.tests.factories import make_activity
from taizhang.organizations.scope import ScopeKind
from taizhang.statistics import rollups, selectors
from taizhang.statistics.periods import Period
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)


@pytest.fixture
def ledger(tree):
    """Two activities in street A's subtree, one in B's, in March 2026."""
    make_activity(tree.community_a, headcount=40, held_on=dt.date(2026, 3, 3), title="A1 学习")
    make_activity(tree.grid_a, headcount=25, held_on=dt.date(2026, 3, 9), title="网格学习")
    make_activity(tree.community_b, headcount=60, held_on=dt.date(2026, 3, 12), title="B1 学习")
    make_activity(tree.community_b, headcount=10, held_on=dt.date(2025, 3, 12), title="去年")
    return tree


def _cell(board, name):
    return next(c for c in board.cells if c.metric.name == name)


def test_dashboard_figures_with_comparisons(ledger, personas):
    board = selectors.dashboard(personas.district, ledger.district, MARCH)
    count = _cell(board, "activities.count")
    assert (count.value, count.previous, count.year_ago) == (3, 0, 1)
    assert count.yoy == 200
    assert _cell(board, "activities.headcount").value == 125


def test_aggregates_serve_only_whole_subtree_scopes(ledger, personas):
    rollups.refresh_all()
    board = selectors.dashboard(personas.district, ledger.district, MARCH)
    assert _cell(board, "activities.count").source == "aggregate"
    only_a1 = make_user("only_a1", ("clerk", ScopeKind.ORG, ledger.community_a))
    board = selectors.dashboard(only_a1, ledger.community_a, MARCH)
    cell = _cell(board, "activities.count")
    assert cell.source == "records"
    assert cell.value == 1  # the grid below A1 is not in an org-only scope


def test_same_numbers_from_aggregates_and_records(ledger, personas):
    before = selectors.dashboard(personas.district, ledger.district, MARCH)
    rollups.refresh_all()
    after = selectors.dashboard(personas.district, ledger.district, MARCH)
    assert [(c.metric.name, c.value, c.previous, c.year_ago) for c in before.cells] == [
        (c.metric.name, c.value, c.previous, c.year_ago) for c in after.cells
    ]


def test_breakdown_per_child(ledger, personas):
    rollups.refresh_all()
    metric = selectors.get_metric_for_viewer(personas.district, "activities.count")
    rows = selectors.breakdown(personas.district, metric, ledger.district, MARCH)
    assert [(org.code, value) for org, value in rows] == [("A", 2), ("B", 1)]


def test_dashboard_page(client, ledger, personas):
    rollups.refresh_all()
    client.login(username="district", password=PASSWORD)
    response = client.get("/statistics/", {"org": ledger.district.pk, "period": "2026-03"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "/statistics/figures/activities.count/?org=" in body
    assert "<svg" in body and "http" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_neighbour_gets_404(client, ledger, personas):
    client.login(username="street_b", password=PASSWORD)
    assert client.get("/statistics/", {"org": ledger.street_a.pk}).status_code == 404
    url = "/statistics/figures/activities.count/"
    assert client.get(url, {"org": ledger.street_a.pk}).status_code == 404
    response = client.get("/statistics/", {"period": "2026-03"})
    assert response.status_code == 200
    assert response.context["org"] == ledger.street_b


def test_drill_down_lists_the_records_in_scope(client, ledger, personas):
    client.login(username="street_a", password=PASSWORD)
    response = client.get(
        "/statistics/figures/activities.count/",
        {"org": ledger.street_a.pk, "period": "2026-03"},
    )
    assert response.status_code == 200
    titles = {entry["row"].title for entry in response.context["entries"]}
    assert titles == {"A1 学习", "网格学习"}
    assert response.context["count"] == 2


def test_drill_down_rejects_unknown_metric_and_period(client, ledger, personas):
    client.login(username="district", password=PASSWORD)
    assert client.get("/statistics/figures/no.such/").status_code == 404
    url = "/statistics/figures/activities.count/"
    assert client.get(url, {"period": "2026-13"}).status_code == 404


def test_live_fragment(client, ledger, personas):
    client.login(username="district", password=PASSWORD)
    page = client.get("/statistics/", {"org": ledger.district.pk, "period": "2026-03"})
    assert 'hx-get="/statistics/live/?org=' in page.content.decode()
    fragment = client.get("/statistics/live/", {"org": ledger.district.pk, "period": "2026-03"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and 'data-metric="problems.overdue"' in body
    assert 'data-metric="activities.members_reached"' in body
    client.login(username="street_b", password=PASSWORD)
    assert client.get("/statistics/live/", {"org": ledger.street_a.pk}).status_code == 404


def test_user_without_function_sees_nothing(client, ledger, personas):
    client.login(username="nobody", password=PASSWORD)
    assert client.get("/statistics/").status_code in (403, 404)


def test_members_reached_is_a_distinct_count(tree, personas):
    from taizhang.activities.tests.factories import make_person

    one, two = make_person(tree.grid_a, "甲"), make_person(tree.community_a, "乙")
    make_activity(tree.grid_a, attendees=[one, two], held_on=dt.date(2026, 3, 2))
    make_activity(tree.community_a, attendees=[one], held_on=dt.date(2026, 3, 20))
    board = selectors.live(personas.district, tree.district, MARCH)
    assert _cell(board, "activities.members_reached").value == 2
    assert not any(
        c.metric.name == "activities.members_reached"
        for c in selectors.dashboard(personas.district, tree.district, MARCH).cells
    )


def test_api_dashboard_and_figure(client, ledger, personas):
    rollups.refresh_all()
    headers = bearer(client, personas.street_a)
    response = client.get("/api/v1/statistics/dashboard", {"period": "2026-03"}, **headers)
    assert response.status_code == 200
    data = response.json()
    assert data["org_id"] == ledger.street_a.pk
    count = next(f for f in data["figures"] if f["metric"] == "activities.count")
    assert count["value"] == "2" and count["source"] == "aggregate"
    response = client.get(
        "/api/v1/statistics/figures/activities.count",
        {"org_id": ledger.street_a.pk, "period": "2026-03"},
        **headers,
    )
    assert response.json()["rows"] == 2
    assert response.json()["children"][0]["value"] == "2"
    other = client.get("/api/v1/statistics/dashboard", {"org_id": ledger.street_b.pk}, **headers)
    assert other.status_code == 404


def test_dashboard_query_count_does_not_grow_with_metrics(ledger, personas):
    """The stored figures of every metric come from one query; the figures that cannot
    be stored (distinct counts, what stands today) are left to the live fragment."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taizhang.organizations.scope import clear_cache

    rollups.refresh_all()
    clear_cache(personas.district)  # as on a new request: grants not yet read
    with CaptureQueriesContext(connection) as queries:
        board = selectors.dashboard(personas.district, ledger.district, MARCH)
    assert all(c.source == "aggregate" for c in board.cells) and len(board.cells) > 30
    assert board.refreshed_at is not None
    # The grants (none lists organizations), when each metric was rebuilt, the figures.
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_figures_in_chinese_text_have_no_thousands_separators():
    """54488人次 in Chinese, 54,488 in English (issue 18); money stays in 亿元/万元."""
    from decimal import Decimal

    from django.utils import translation

    from taizhang.core.registry import METRICS
    from taizhang.statistics.views import show

    count = next(m for m in METRICS.values() if not m.money)
    money = next(m for m in METRICS.values() if m.money)
    with translation.override("zh-hans"):
        assert show(count, Decimal(54488)).startswith("54488")
        assert "," not in show(count, Decimal("1234567.5"))
        assert show(money, Decimal(1_377_000_000)) == "13.77亿元"
    with translation.override("en"):
        assert show(count, Decimal(54488)).startswith("54,488")


def test_cards_say_what_they_count_and_a_fall_to_nothing_is_no_data(client, ledger, personas):
    """Flow figures are marked 本期新增; a year compares with the previous year only; a
    period with nothing recorded reads 暂无数据, not −100% (issue 18)."""
    from decimal import Decimal

    from django.conf import settings

    from taizhang.statistics.views import change_text

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(personas.district)
    month = client.get("/statistics/", {"period": "2026-03"}).content.decode()
    assert "本期新增" in month and "<span>环比 <b" in month
    year = client.get("/statistics/", {"period": "2026"})
    assert year.status_code == 200 and year.context["period"].kind == "year"
    page = year.content.decode()
    assert "本期新增" in page and "<span>同比 <b" in page
    assert "<span>环比 <b" not in page  # a year's previous period is the year before
    from django.utils import translation

    with translation.override("zh-hans"):
        assert change_text(Decimal(0), Decimal(-100)) == "暂无数据"
        assert change_text(Decimal(5), Decimal(-50)) == "-50%"
        assert change_text(Decimal(0), None) == "—"
