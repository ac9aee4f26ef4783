"""The shared list filters on the demand list (page, API, export): organization and its
subtree on the receiving or handling organization, dates on the day received, "mine"
(the viewer recorded it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.demands.tests.factories import make_category, make_demand
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _noon(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def category(tree):
    return make_category(tree.district)


@pytest.fixture
def case(category):
    def make(org, day, title, acting_user=None):
        extra = {"acting_user": acting_user} if acting_user else {}
        return make_demand(
            org, category, title=title, when=_noon(day), late_reason="补录纸质登记", **extra
        )

    return checks.LedgerCase(
        page_url=reverse("demands:list"),
        api_url="/api/v1/demands",
        make=make,
        make_mine=lambda user, org, day, title: make(org, day, title, acting_user=user),
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's demands (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (received)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the demands the viewer recorded."""
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.demands.exports import build

    case.make(tree.community_a, checks.DAY, "甲街道的诉求")
    case.make(tree.community_b, checks.DAY, "乙街道的诉求")
    assert build(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    client.force_login(personas.street_a)
    refused = client.get(reverse("demands:export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
