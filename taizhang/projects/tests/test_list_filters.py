"""The shared list filters on the key-project ledger (page, API, export): organization
and its subtree on the owning organization, dates on the day put on the ledger, "mine"
(linked leader or responsible person)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.organizations.tests import ledger_checks as checks
from taizhang.projects.tests.factories import make_project

pytestmark = pytest.mark.django_db


def _noon(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _make(org, day, title):
    return make_project(org, title, when=_noon(day))


def _make_mine(user, org, day, title):
    return make_project(org, title, when=_noon(day), responsible=checks.person_of(user, org))


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("projects:list"),
        api_url="/api/v1/projects",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["name"],
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's projects (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (put on the ledger)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: projects whose responsible person (or linked leader) is the viewer."""
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(tree, personas):
    """The Excel export reads the same filters as the page."""
    from taizhang.projects.exports import build

    make_project(tree.community_a, "甲街道项目")
    make_project(tree.community_b, "乙街道项目")
    assert build(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    assert build(personas.district, {}).count == 2
