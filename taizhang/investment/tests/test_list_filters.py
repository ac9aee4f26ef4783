"""The shared list filters on the lead ledger (page, API, export): organization and its
subtree on the lead's organization, dates on the day the lead was put on the ledger,
"mine" (the viewer's person leads or is a member of the lead's team)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import Lead
from taizhang.investment.services import competition_create, team_create
from taizhang.investment.tests.factories import make_lead
from taizhang.organizations.tests import ledger_checks as checks

pytestmark = pytest.mark.django_db


def _noon(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _make(org, day, title, **kwargs):
    lead = make_lead(org, title, **kwargs)
    # Leads are put on the ledger today; the checks need a given day.
    Lead.objects.filter(pk=lead.pk).update(created_at=_noon(day))
    return lead


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
    return _make(org, day, title, team=_team(org, leader=checks.person_of(user, org)))


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("investment:leads"),
        api_url="/api/v1/investment/leads",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["project_name"],
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's leads (and below) only."""
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
    """mine=1: the leads of the team the viewer's person leads."""
    checks.check_mine(client, tree, personas, case)


def test_mine_team_member(client, tree, personas, case):
    """mine=1 also finds the leads of a team the viewer's person is a member of."""

    def make_mine(user, org, day, title):
        return _make(org, day, title, team=_team(org, members=[checks.person_of(user, org)]))

    case.make_mine = make_mine
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.investment.exports import build_leads

    case.make(tree.community_a, checks.DAY, "甲街道的线索")
    case.make(tree.community_b, checks.DAY, "乙街道的线索")
    assert build_leads(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    client.force_login(personas.street_a)
    refused = client.get(reverse("investment:lead_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
