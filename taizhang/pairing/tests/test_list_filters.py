"""The shared list filters on the pair list (page, API, export): organization and its
subtree on the village or the helping organization, dates on the day the assistance
starts, "mine" (the viewer recorded or confirmed a figure of the pair's village)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import OrgKind
from taizhang.organizations.services import organization_create
from taizhang.organizations.tests import ledger_checks as checks
from taizhang.pairing.models import Indicator
from taizhang.pairing.services import VILLAGE_KINDS, indicator_record, pair_create

pytestmark = pytest.mark.django_db

_codes = itertools.count(1)


def _org(parent, name, kind=OrgKind.COMMITTEE):
    return organization_create(
        parent=parent,
        kind=kind,
        code=f"PT{next(_codes)}",
        name=name,
        short_name=name,
        acting_user=SYSTEM,
    )


def _pair(village, helper, day):
    return pair_create(
        helper=helper,
        village=village,
        starts_on=day,
        ends_on=dt.date(day.year + 2, 12, 31),
        acting_user=SYSTEM,
    )


def _make(org, day, title):
    """A pair whose helping organization (named ``title``) sits at ``org``, helping the
    nearest village or community at or above ``org``."""
    village = org
    while village.kind not in VILLAGE_KINDS:
        village = village.parent
    return _pair(village, _org(org, title), day)


def _make_mine(user, org, day, title):
    """A pair of a village of its own whose income ``user`` recorded."""
    village = _org(org, f"{title}村")
    indicator_record(
        village=village,
        indicator=Indicator.COLLECTIVE_INCOME,
        year=day.year - 1,
        value=300_000,
        acting_user=user,
    )
    return _pair(village, _org(org, title), day)


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("pairing:pairs"),
        api_url="/api/v1/pairing/pairs",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["helper"],
        # The page shows the pairs of one year: the checks' rows start in DAY's year.
        extra_query={"year": str(checks.DAY.year)},
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's pairs (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (the assistance starts)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the pairs of the villages whose figures the viewer recorded."""
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.pairing.exports import build_pairs

    case.make(tree.community_a, checks.DAY, "甲街道的帮扶")
    case.make(tree.community_b, checks.DAY, "乙街道的帮扶")
    params = {"org": str(tree.street_a.pk), "year": str(checks.DAY.year)}
    assert build_pairs(personas.district, params).count == 1
    client.force_login(personas.street_a)
    refused = client.get(reverse("pairing:export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
