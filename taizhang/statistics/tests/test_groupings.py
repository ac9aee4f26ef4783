"""Figures of a grouping (联创协作组): its members' subtrees at the period's end, each
figure computed from the records in the viewer's scope, with the rows attributed to
the grouping; a grouping the viewer may not see is a 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from taizhang.activities.tests.factories import make_activity
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import GroupingMembership
from taizhang.organizations.services import grouping_create, grouping_member_end
from taizhang.statistics import selectors
from taizhang.statistics.periods import Period
from tests.support import bearer, make_org

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)


@pytest.fixture
def grouping(tree):
    """Kept by subdistrict A, with A1 (inside A) and B1 (outside A) as members."""
    return grouping_create(
        name="联创协作组一",
        kind="联创",
        owner=tree.street_a,
        members=[tree.community_a, tree.community_b],
        joined_on=dt.date(2026, 1, 1),
        acting_user=SYSTEM,
    )


@pytest.fixture
def ledger(tree, grouping):
    """March 2026: A1 (attributed, 40), its grid (25), B1 (attributed, 60), the street A
    itself (5, not a member); February: A1 (7)."""
    make_activity(tree.community_a, headcount=40, held_on=dt.date(2026, 3, 3), grouping=grouping)
    make_activity(tree.grid_a, headcount=25, held_on=dt.date(2026, 3, 9))
    make_activity(tree.community_b, headcount=60, held_on=dt.date(2026, 3, 12), grouping=grouping)
    make_activity(tree.street_a, headcount=5, held_on=dt.date(2026, 3, 15))
    make_activity(tree.community_a, headcount=7, held_on=dt.date(2026, 2, 15))
    return tree


def _figure(board, name):
    return next(f for f in board.figures if f.metric.name == name)


def test_district_sees_every_member(ledger, personas, grouping):
    """The district clerk: both members, their subtrees together, and two activities
    attributed to the grouping."""
    board = selectors.grouping_board(personas.district, grouping, MARCH)
    assert [m.code for m in board.members] == ["A1", "B1"]
    count = _figure(board, "activities.count")
    assert count.total == 3
    assert [(org.code, value) for org, value in count.members] == [("A1", 2), ("B1", 1)]
    assert count.attributed == 2
    headcount = _figure(board, "activities.headcount")
    assert headcount.total == Decimal(125)
    assert headcount.attributed == Decimal(100)
    # 双报到 rows cannot be attributed to a grouping.
    assert _figure(board, "activities.volunteer_hours").attributed is None


def test_member_outside_the_scope_contributes_nothing(ledger, personas, grouping):
    """street_a keeps the grouping but does not see B1: B1 is not listed and neither its
    records nor its attributed activity count."""
    board = selectors.grouping_board(personas.street_a, grouping, MARCH)
    assert [m.code for m in board.members] == ["A1"]
    count = _figure(board, "activities.count")
    assert count.total == 2
    assert count.attributed == 1
    assert _figure(board, "activities.headcount").total == Decimal(65)


def test_members_as_of_the_period_end(ledger, personas, grouping):
    """A unit that left before the period's end is not a member of that period."""
    membership = GroupingMembership.objects.get(grouping=grouping, organization=ledger.community_b)
    grouping_member_end(membership=membership, left_on=dt.date(2026, 3, 20), acting_user=SYSTEM)
    board = selectors.grouping_board(personas.district, grouping, MARCH)
    assert [m.code for m in board.members] == ["A1"]
    count = _figure(board, "activities.count")
    assert count.total == 2
    # Attributed on the day held, when B1 was still a member.
    assert count.attributed == 2
    february = selectors.grouping_board(personas.district, grouping, Period.month(2026, 2))
    assert [m.code for m in february.members] == ["A1", "B1"]
    assert _figure(february, "activities.count").total == 1


def test_street_b_gets_404(client, ledger, personas, grouping):
    client.force_login(personas.street_b)
    assert client.get(f"/statistics/groupings/{grouping.pk}/").status_code == 404
    assert client.get("/statistics/groupings/999999/").status_code == 404
    listing = client.get("/statistics/groupings/").content.decode()
    assert "联创协作组一" not in listing
    drill = client.get(f"/statistics/figures/activities.count/?grouping={grouping.pk}")
    assert drill.status_code == 404
    headers = bearer(client, personas.street_b)
    hidden = client.get(f"/api/v1/statistics/groupings/{grouping.pk}", **headers)
    missing = client.get("/api/v1/statistics/groupings/999999", **headers)
    assert hidden.status_code == missing.status_code == 404


def test_grouping_page_links_to_the_records(client, ledger, personas, grouping):
    client.force_login(personas.district)
    dashboard = client.get("/statistics/").content.decode()
    assert "/statistics/groupings/" in dashboard
    listing = client.get("/statistics/groupings/").content.decode()
    assert f"/statistics/groupings/{grouping.pk}/" in listing
    page = client.get(f"/statistics/groupings/{grouping.pk}/?period=2026-03")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/statistics/figures/activities.count/?org={ledger.community_b.pk}" in html
    attributed = f"/statistics/figures/activities.count/?grouping={grouping.pk}&amp;period=2026-03"
    assert attributed in html
    assert f"/organizations/groupings/{grouping.pk}/" in html


def test_attributed_drill_down_lists_visible_rows(client, ledger, personas, grouping):
    client.force_login(personas.street_a)
    url = f"/statistics/figures/activities.count/?grouping={grouping.pk}&period=2026-03"
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["count"] == 1
    client.force_login(personas.district)
    assert client.get(url).context["count"] == 2
    no_grouping = f"/statistics/figures/activities.volunteer_hours/?grouping={grouping.pk}"
    assert client.get(no_grouping).status_code == 404


def test_api_grouping_figures(client, ledger, personas, grouping):
    headers = bearer(client, personas.street_a)
    body = client.get(
        f"/api/v1/statistics/groupings/{grouping.pk}", {"period": "2026-03"}, **headers
    ).json()
    assert body["member_ids"] == [ledger.community_a.pk]
    count = next(f for f in body["figures"] if f["metric"] == "activities.count")
    assert count["value"] == "2"
    assert count["attributed"] == "1"
    assert count["members"] == [{"org_id": ledger.community_a.pk, "value": "2"}]


def _queries(viewer, grouping, period):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taizhang.organizations.scope import clear_cache

    clear_cache(viewer)
    with CaptureQueriesContext(connection) as queries:
        selectors.grouping_board(viewer, grouping, period)
    return len(queries)


def test_query_count_does_not_grow_with_members(tree, personas):
    """One query per metric, whatever the number of members."""
    extra = [make_org(tree.district, f"C{i}") for i in range(3)]
    small = grouping_create(
        name="三个成员",
        kind="",
        owner=tree.district,
        members=[tree.community_a, tree.community_b, tree.grid_a],
        acting_user=SYSTEM,
    )
    large = grouping_create(
        name="六个成员",
        kind="",
        owner=tree.district,
        members=[tree.community_a, tree.community_b, tree.grid_a, *extra],
        acting_user=SYSTEM,
    )
    make_activity(tree.community_a, headcount=3, held_on=dt.date(2026, 3, 3), grouping=large)
    counted = _queries(personas.district, small, MARCH)
    assert counted == _queries(personas.district, large, MARCH)
    assert counted <= len(selectors.figures.visible_metrics(personas.district)) + 6
