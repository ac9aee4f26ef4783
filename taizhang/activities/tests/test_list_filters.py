"""The shared list filters on the activity ledger (page, API, export): organization and
its subtree on the holding organization, dates on the day held, "mine" (the viewer
recorded it, or is its speaker)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.activities.tests.factories import make_activity
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return make_activity(org, title=title, held_on=day, headcount=5)


def _make_mine(user, org, day, title):
    return make_activity(org, title=title, held_on=day, headcount=5, acting_user=user)


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("activities:list"),
        api_url="/api/v1/activities",
        make=_make,
        make_mine=_make_mine,
        # The page shows one year at a time: the checks' rows are in DAY's year.
        extra_query={"year": str(checks.DAY.year)},
        # The page also draws the period's figures (four queries) and its dictionaries.
        max_queries=18,
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's activities (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (held)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the activities the viewer recorded."""
    checks.check_mine(client, tree, personas, case)


def test_mine_speaker(client, tree, personas, case):
    """mine=1 also finds the activities where the viewer's person is the speaker."""
    speaker = checks.person_of(personas.street_a, tree.community_a)
    case.make_mine = lambda user, org, day, title: make_activity(
        org, title=title, held_on=day, headcount=5, speaker=speaker
    )
    checks.check_mine(client, tree, personas, case)


def test_dates_replace_the_year(client, tree, personas, case):
    """A date range in another year than the one selected still finds its rows."""
    case.make(tree.community_a, checks.DAY.replace(year=2024), "往年的记录")
    client.force_login(personas.street_a)
    body = client.get(case.page_url, {"year": "2026", "date_from": "2024-01-01"}).content
    assert "往年的记录" in body.decode()


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.activities.exports import build

    case.make(tree.community_a, checks.DAY, "甲街道的记录")
    case.make(tree.community_b, checks.DAY, "乙街道的记录")
    params = {"org": str(tree.street_a.pk), "year": str(checks.DAY.year)}
    assert build(personas.district, params).count == 1
    client.force_login(personas.street_a)
    refused = client.get(reverse("activities:export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
