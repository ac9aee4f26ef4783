"""Pages of pairing: scope, the locked values, corrections and bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.pairing.models import IndicatorCorrection, IndicatorValue, Pair
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from tests.support import PASSWORD, make_org

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_nobody_is_refused(client, personas):
    """Without pairing.view every page is a 403."""
    login(client, personas.nobody)
    for name in ("pairs", "partnerships"):
        assert client.get(reverse(f"pairing:{name}")).status_code == 403


def test_pair_detail_out_of_scope_is_404(client, personas, tree):
    """B's clerk gets 404 for A's pair and for a missing one, and A is not listed."""
    pair = make_pair(make_organ(tree), tree.community_a)
    login(client, personas.street_b)
    for pk in (pair.pk, 999_999):
        assert client.get(reverse("pairing:pair_detail", args=[pk])).status_code == 404
    body = client.get(reverse("pairing:pairs"), {"year": FIRST_YEAR}).content.decode()
    assert reverse("pairing:pair_detail", args=[pair.pk]) not in body
    assert ">A1</a>" not in body


def test_pair_list_headline_and_query_count(client, personas, tree, django_assert_max_num_queries):
    """The list states the computed headline and runs a bounded number of queries."""
    organ = make_organ(tree)
    for i in range(30):
        village = make_org(tree.street_a, f"V{i}")
        make_pair(organ, village)
        make_income(village, THIS_YEAR - 1, 400_000 + i * 10_000)
    login(client, personas.district)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("pairing:pairs"), {"year": THIS_YEAR - 1})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>20</strong>" in body  # 500,000 .. 690,000: twenty villages


def test_create_pair_through_the_form(client, personas, tree):
    """A's clerk pairs an organ with her community."""
    organ = make_organ(tree)
    login(client, personas.street_a)
    response = client.post(
        reverse("pairing:pair_create"),
        {
            "helper": organ.pk,
            "village": tree.community_a.pk,
            "starts_on": f"{FIRST_YEAR}-01-01",
            "ends_on": f"{THIS_YEAR}-12-31",
            "target_income": "500000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Pair.objects.get().target_year == THIS_YEAR
    response = client.post(
        reverse("pairing:pair_create"),
        {
            "helper": organ.pk,
            "village": tree.community_b.pk,
            "starts_on": f"{FIRST_YEAR}-01-01",
            "ends_on": f"{THIS_YEAR}-12-31",
            "target_income": "500000",
        },
    )
    assert response.status_code == 422  # B's community is not a choice for A's clerk
    assert Pair.objects.count() == 1


def test_record_confirm_and_correct_through_the_pages(client, personas, tree):
    """Record, confirm (locked: recording again is refused), correct with a reason."""
    pair = make_pair(make_organ(tree), tree.community_a)
    login(client, personas.street_a)
    record = reverse("pairing:value_record", args=[pair.pk])
    data = {"value-indicator": "collective_income", "value-year": FIRST_YEAR, "value-value": 480000}
    assert client.post(record, data).status_code == 302
    row = IndicatorValue.objects.get()
    # The recorder may not confirm her own figure; the district clerk confirms it.
    assert client.post(reverse("pairing:value_confirm", args=[pair.pk, row.pk])).status_code == 403
    login(client, personas.district)
    client.post(reverse("pairing:value_confirm", args=[pair.pk, row.pk]))
    row.refresh_from_db()
    assert row.is_locked
    login(client, personas.street_a)
    response = client.post(record, {**data, "value-value": 999999})
    assert response.status_code == 422
    row.refresh_from_db()
    assert row.value == 480_000
    correct = reverse("pairing:value_correct", args=[pair.pk, row.pk])
    prefix = f"correct{row.pk}"
    assert client.post(correct, {f"{prefix}-new_value": 520000}).status_code == 422
    response = client.post(
        correct, {f"{prefix}-new_value": 520000, f"{prefix}-reason": "漏计租金收入"}
    )
    assert response.status_code == 302
    page = client.get(reverse("pairing:pair_detail", args=[pair.pk])).content.decode()
    assert "漏计租金收入" in page and "48万元" in page and "52万元" in page
    assert IndicatorCorrection.objects.get().old_value == 480_000


def test_year_outside_the_pair_is_422(client, personas, tree):
    """A value for a year outside the pair's period is refused on the pair's page."""
    pair = make_pair(make_organ(tree), tree.community_a)
    login(client, personas.street_a)
    response = client.post(
        reverse("pairing:value_record", args=[pair.pk]),
        {"value-indicator": "collective_income", "value-year": FIRST_YEAR - 1, "value-value": 1},
    )
    assert response.status_code == 422


def test_leader_reads_but_cannot_confirm(client, tree):
    """A linked leader views pairs; confirming is a 403."""
    from tests.support import make_user

    leader = make_user("leader1", ("leader", "subtree", tree.district))
    pair = make_pair(make_organ(tree), tree.community_a)
    row = make_income(tree.community_a, FIRST_YEAR, 100_000, confirm=False)
    login(client, leader)
    assert client.get(reverse("pairing:pair_detail", args=[pair.pk])).status_code == 200
    response = client.post(reverse("pairing:value_confirm", args=[pair.pk, row.pk]))
    assert response.status_code == 403


def test_partnership_pages(client, personas, tree):
    """Record a partnership and appoint an ambassador through the pages."""
    from taizhang.people.services import person_create

    person = person_create(organization=tree.street_a, name="陈远", gender="M", acting_user=SYSTEM)
    login(client, personas.street_a)
    response = client.post(
        reverse("pairing:partnerships"),
        {
            "kind": "investment_station",
            "title": "驻深圳招商工作站",
            "partner": "深圳青岚商会",
            "org": tree.street_a.pk,
            "signed_on": f"{FIRST_YEAR}-04-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        response["Location"],
        {
            "ambassador-person": person.pk,
            "ambassador-role": "investment",
            "ambassador-appointed_on": f"{FIRST_YEAR}-04-01",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "陈远" in page


def test_detail_and_partnership_pages_query_count(
    client, personas, tree, django_assert_max_num_queries
):
    """The pair page and the partnership list run a bounded number of queries."""
    from taizhang.pairing.services import partnership_create

    pair = make_pair(make_organ(tree), tree.community_a)
    for year in (FIRST_YEAR, FIRST_YEAR + 1):
        make_income(tree.community_a, year, 300_000 * (year - FIRST_YEAR + 1))
    for i in range(10):
        partnership_create(
            org=tree.street_a,
            kind="agreement",
            partner=f"合作方{i}",
            title=f"协议{i}",
            signed_on=f"{FIRST_YEAR}-01-0{1 + i % 9}",
            acting_user=SYSTEM,
        )
    login(client, personas.street_a)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("pairing:pair_detail", args=[pair.pk])).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("pairing:partnerships")).status_code == 200
