"""The shared list filters on the campaign list (专项行动; page, API, export):
organization and its subtree on the organizing organization, dates on the day the
campaign starts, "mine" (the viewer's person leads, or is a member of, one of its teams)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from taizhang.activities.tests.factories import make_campaign, make_team
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return make_campaign(org, title=title, start_date=day, end_date=day + dt.timedelta(days=90))


def _make_mine(user, org, day, title):
    """A campaign with a team led by ``user``'s person."""
    campaign = _make(org, day, title)
    make_team(campaign, org, leader=checks.person_of(user, org))
    return campaign


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("activities:campaigns"),
        api_url="/api/v1/activities/campaigns",
        make=_make,
        make_mine=_make_mine,
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's campaigns (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (the campaign starts)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the campaigns with a team the viewer's person leads."""
    checks.check_mine(client, tree, personas, case)


def test_mine_team_member(client, tree, personas, case):
    """mine=1 also finds the campaigns where the viewer's person is a team member."""

    def make_mine(user, org, day, title):
        campaign = _make(org, day, title)
        make_team(campaign, org, members=[checks.person_of(user, org)])
        return campaign

    case.make_mine = make_mine
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.activities.exports import build_campaigns

    case.make(tree.community_a, checks.DAY, "甲街道的专项行动")
    case.make(tree.community_b, checks.DAY, "乙街道的专项行动")
    case.make(tree.community_a, checks.DAY.replace(year=2024), "往年的专项行动")
    params = {"org": str(tree.street_a.pk), "date_from": checks.DAY.isoformat()}
    sheet = build_campaigns(personas.district, params)
    assert sheet.count == 1
    assert [row[3] for row in sheet.rows] == ["甲街道的专项行动"]
    client.force_login(personas.street_a)
    assert client.get(reverse("activities:campaign_export"), params).status_code == 200
    refused = client.get(reverse("activities:campaign_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
    backwards = client.get(
        reverse("activities:campaign_export"),
        {"date_from": "2026-03-11", "date_to": "2026-03-10"},
    )
    assert backwards.status_code == 404
