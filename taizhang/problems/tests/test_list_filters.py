"""The shared list filters on the problem ledger (page and API): organization and its
subtree on the owning org or the lead unit, dates on the day put on the ledger, "mine"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.organizations.tests import ledger_checks as checks
from taizhang.problems.tests.factories import link_person, make_problem

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return make_problem(org, title=title, raised_on=day)


def _make_mine(user, org, day, title):
    leader = link_person(user, org, "李挂钩")
    return make_problem(org, title=title, raised_on=day, linked_leader=leader)


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("problems:list"),
        api_url="/api/v1/problems",
        make=_make,
        make_mine=_make_mine,
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's problems (and its grid's) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_org_counts_as_lead_unit(client, tree, personas, case):
    """A problem of street B led by a unit of street A is listed under street A."""
    make_problem(tree.community_b, title="甲牵头的问题", lead_unit=tree.community_a)
    body = checks._page(client, case, personas.district, org=tree.street_a.pk)
    assert "甲牵头的问题" in body


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B gets the filter error and nothing, as for an
    unknown id; the API answers the same 422 for both."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to both include their own day (put on the ledger)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the viewer is the linked leader (or responsible person, or put it on)."""
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    case.max_queries = 12
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas):
    """The Excel export of the list reads the same filters as the page."""
    from taizhang.problems.exports import build

    make_problem(tree.community_a, title="甲街道的问题")
    make_problem(tree.community_b, title="乙街道的问题")
    sheet = build(personas.district, {"org": str(tree.street_a.pk)})
    assert sheet.count == 1
