"""The shared list filters on the partnership list (page, API, export): organization
and its subtree on the partnership's organization, dates on the day it was signed,
"mine" (the viewer's person is, or was, an ambassador under it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.organizations.tests import ledger_checks as checks
from taizhang.pairing.models import AmbassadorRole, PartnershipKind
from taizhang.pairing.services import ambassador_appoint, partnership_create

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return partnership_create(
        org=org,
        kind=PartnershipKind.AGREEMENT,
        partner="上海某科技园",
        title=title,
        signed_on=day,
        acting_user=SYSTEM,
    )


def _make_mine(user, org, day, title):
    """A partnership under which ``user``'s person is appointed an ambassador."""
    partnership = _make(org, day, title)
    ambassador_appoint(
        partnership=partnership,
        person=checks.person_of(user, org),
        role=AmbassadorRole.INVESTMENT,
        appointed_on=day,
        acting_user=SYSTEM,
    )
    return partnership


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("pairing:partnerships"),
        api_url="/api/v1/pairing/partnerships",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["title"],
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's partnerships (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (the day signed)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the partnerships the viewer's person is an ambassador under."""
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel exports (partnerships, ambassadors) read the page's filters; one the
    page refuses is a 404."""
    from taizhang.pairing.exports import build_ambassadors, build_partnerships

    case.make(tree.community_a, checks.DAY, "甲街道的合作")
    case.make(tree.community_b, checks.DAY, "乙街道的合作")
    case.make_mine(personas.district, tree.community_b, checks.DAY, "区里的大使合作")
    assert build_partnerships(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    window = {"date_from": "2026-03-11", "date_to": "2026-12-31"}
    assert build_partnerships(personas.district, window).count == 0
    assert build_partnerships(personas.district, {"mine": "1"}).count == 1
    assert build_ambassadors(personas.district, {"mine": "1"}).count == 1
    assert build_ambassadors(personas.district, {"org": str(tree.street_a.pk)}).count == 0
    client.force_login(personas.street_a)
    for name in ("pairing:partnership_export", "pairing:ambassador_export"):
        refused = client.get(reverse(name), {"org": tree.street_b.pk})
        assert refused.status_code == 404
        backwards = client.get(reverse(name), {"date_from": "2026-03-11", "date_to": "2026-03-10"})
        assert backwards.status_code == 404
