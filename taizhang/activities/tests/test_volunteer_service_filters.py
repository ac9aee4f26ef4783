"""The shared list filters on the 双报到 list (members' volunteer service; page, API,
export): organization and its subtree on the community served, dates on the day served,
"mine" (the viewer's person is the volunteer)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.activities.tests.factories import make_service
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return make_service(org, content=title, served_on=day)


def _make_mine(user, org, day, title):
    """A service whose volunteer is ``user``'s person."""
    return make_service(org, checks.person_of(user, org), content=title, served_on=day)


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("activities:volunteer"),
        api_url="/api/v1/activities/volunteer-services",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["content"],
        # The page shows one year at a time: the checks' rows are in DAY's year.
        extra_query={"year": str(checks.DAY.year)},
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's services (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (served)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the services where the viewer's person is the volunteer."""
    checks.check_mine(client, tree, personas, case)


def test_dates_replace_the_year(client, tree, personas, case):
    """A date range in another year than the one selected still finds its rows, and the
    figures count them."""
    case.make(tree.community_a, checks.DAY.replace(year=2024), "往年的服务")
    client.force_login(personas.street_a)
    response = client.get(case.page_url, {"year": "2026", "date_from": "2024-01-01"})
    assert "往年的服务" in response.content.decode()
    assert response.context["figures"]["person_times"] == 1


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.activities.exports import build_services

    case.make(tree.community_a, checks.DAY, "甲街道的服务")
    case.make(tree.community_b, checks.DAY, "乙街道的服务")
    case.make(tree.community_a, checks.DAY.replace(year=2024), "往年的服务")
    params = {"org": str(tree.street_a.pk), "year": str(checks.DAY.year)}
    sheet = build_services(personas.district, params)
    assert sheet.count == 1
    assert any("甲街道的服务" in row for row in sheet.rows)
    dated = {"org": str(tree.street_a.pk), "date_from": "2024-01-01", "date_to": "2024-12-31"}
    assert build_services(personas.district, dated).count == 1
    client.force_login(personas.street_a)
    assert client.get(reverse("activities:volunteer_export"), params).status_code == 200
    refused = client.get(reverse("activities:volunteer_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
    backwards = client.get(
        reverse("activities:volunteer_export"),
        {"date_from": "2026-03-11", "date_to": "2026-03-10"},
    )
    assert backwards.status_code == 404
