"""The shared list filters on the event list (推介会/投洽会: page, API, export):
organization and its subtree on the holding organization, dates on the day held (a
range replaces the year), "mine" (a lead from the event is worked by a team the
viewer's person leads or is a member of)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import EventKind
from taizhang.investment.services import competition_create, event_create, team_create
from taizhang.investment.tests.factories import make_lead
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return event_create(
        org=org, kind=EventKind.PROMOTION, name=title, held_on=day, acting_user=SYSTEM
    )


def _team(org, *, leader=None, members=()):
    competition = competition_create(
        org=org,
        name=f"驻点招商竞赛{org.pk}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        acting_user=SYSTEM,
    )
    return team_create(
        competition=competition,
        name="第一小分队",
        leader=leader,
        members=members,
        acting_user=SYSTEM,
    )


def _make_mine(user, org, day, title):
    """An event with a lead from it worked by the team ``user``'s person leads."""
    event = _make(org, day, title)
    team = _team(org, leader=checks.person_of(user, org))
    make_lead(org, f"{title}的线索", team=team, event=event)
    return event


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("investment:events"),
        api_url="/api/v1/investment/events",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["name"],
        # The page shows one year's events: the checks' rows are held in DAY's year.
        extra_query={"year": str(checks.DAY.year)},
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's events (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (the day held)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the events a lead of the viewer's team came from."""
    checks.check_mine(client, tree, personas, case)


def test_mine_team_member(client, tree, personas, case):
    """mine=1 also finds the events of a team the viewer's person is a member of."""

    def make_mine(user, org, day, title):
        event = _make(org, day, title)
        team = _team(org, members=[checks.person_of(user, org)])
        make_lead(org, f"{title}的线索", team=team, event=event)
        return event

    case.make_mine = make_mine
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_date_range_replaces_the_year(client, tree, personas, case):
    """A range across years shows the events of both years, whatever the year says."""
    _make(tree.community_a, dt.date(2025, 12, 30), "去年底的推介会")
    _make(tree.community_a, dt.date(2026, 1, 2), "今年初的投洽会")
    client.force_login(personas.street_a)
    response = client.get(
        reverse("investment:events"),
        {"year": "2026", "date_from": "2025-12-01", "date_to": "2026-01-31"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = response.content.decode()
    assert "去年底的推介会" in body and "今年初的投洽会" in body


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.investment.exports import build_events

    case.make(tree.community_a, checks.DAY, "甲街道的推介会")
    case.make(tree.community_b, checks.DAY, "乙街道的推介会")
    params = {"org": str(tree.street_a.pk), "year": str(checks.DAY.year)}
    assert build_events(personas.district, params).count == 1
    window = {"date_from": "2026-03-11", "date_to": "2026-12-31"}
    assert build_events(personas.district, window).count == 0
    client.force_login(personas.street_a)
    refused = client.get(reverse("investment:event_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
    backwards = client.get(
        reverse("investment:event_export"), {"date_from": "2026-03-11", "date_to": "2026-03-10"}
    )
    assert backwards.status_code == 404
