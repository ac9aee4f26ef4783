"""The pairing API follows the same scope, locks and services as the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.organizations.policy import unknown_message
from taizhang.pairing.models import IndicatorValue, Pair, Partnership
from taizhang.pairing.services import partnership_create
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from taizhang.people.tests.factories import make_person
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/pairing"


def test_pairs_are_scoped(client, personas, tree):
    """A's clerk lists A's pair only; B's clerk gets 404 on it."""
    organ = make_organ(tree)
    pair = make_pair(organ, tree.community_a)
    make_pair(organ, tree.community_b)
    body = client.get(f"{URL}/pairs", **bearer(client, personas.street_a)).json()
    assert [item["village_id"] for item in body["items"]] == [tree.community_a.pk]
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/pairs/{pair.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/pairs/999999", **headers).status_code == 404


def test_nobody_is_forbidden(client, personas):
    """Without pairing.view the API answers 403."""
    assert client.get(f"{URL}/pairs", **bearer(client, personas.nobody)).status_code == 403


def _unknown(response, field):
    assert response.status_code == 422, response.content
    return response.json()["error"]["fields"][field]


def test_hidden_and_missing_village_ids_are_the_same_422(client, personas, tree):
    """Naming B's community or no organization at all: one 422, one message, no pair
    (a 403 for an existing id would tell the caller which ids exist)."""
    organ = make_organ(tree)
    post = lambda **ids: client.post(  # noqa: E731
        f"{URL}/pairs",
        data={
            "helper_id": organ.pk,
            "starts_on": f"{FIRST_YEAR}-01-01",
            "ends_on": f"{THIS_YEAR}-12-31",
            **ids,
        },
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    hidden = _unknown(post(village_id=tree.community_b.pk), "village_id")
    missing = _unknown(post(village_id=999_999), "village_id")
    assert hidden == missing == [unknown_message()]
    assert _unknown(post(village_id=tree.community_a.pk, helper_id=999_999), "helper_id") == [
        unknown_message()
    ]
    assert not Pair.objects.exists()


def test_record_confirm_lock_and_correct(client, personas, tree):
    """Record, confirm, then a new value is 422 and a correction keeps the old one."""
    pair = make_pair(make_organ(tree), tree.community_a)
    headers = bearer(client, personas.street_a)
    response = client.post(
        f"{URL}/pairs/{pair.pk}/values",
        data={"indicator": "collective_income", "year": FIRST_YEAR, "value": 480000},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    value_id = response.json()["id"]
    confirm = f"{URL}/pairs/{pair.pk}/values/{value_id}/confirm"
    assert client.post(confirm, **headers).status_code == 403  # she recorded it
    district = bearer(client, personas.district)
    response = client.post(confirm, **district)
    assert response.json()["status"] == "confirmed"
    assert client.post(confirm, **district).status_code == 403  # already locked
    response = client.post(
        f"{URL}/pairs/{pair.pk}/values",
        data={"indicator": "collective_income", "year": FIRST_YEAR, "value": 1},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    response = client.post(
        f"{URL}/pairs/{pair.pk}/values/{value_id}/correct",
        data={"new_value": 520000, "reason": "漏计租金收入"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["value"] == 520_000
    assert body["corrections"][0]["old_value"] == 480_000
    assert IndicatorValue.objects.get().value == 520_000
    b_headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/pairs/{pair.pk}/values", **b_headers).status_code == 404


def test_villages_over_is_computed_in_scope(client, personas, tree):
    """The headline endpoint counts confirmed values at or above the threshold, in scope."""
    organ = make_organ(tree)
    make_pair(organ, tree.community_a)
    make_pair(organ, tree.community_b)
    make_income(tree.community_a, FIRST_YEAR, 650_000)
    make_income(tree.community_b, FIRST_YEAR, 700_000)
    url = f"{URL}/pairs/villages-over?year={FIRST_YEAR}"
    assert client.get(url, **bearer(client, personas.district)).json()["villages_over"] == 2
    body = client.get(url, **bearer(client, personas.street_b)).json()
    assert body == {
        "year": FIRST_YEAR,
        "threshold": 500000,
        "villages_over": 1,
        "villages_paired": 1,
    }


def test_hidden_and_missing_ids_for_partnerships_are_the_same_422(client, personas, tree):
    """B's organization and a missing one for a partnership; B's person and a missing one
    for an ambassador: the same 422 and message each time, and nothing written."""
    headers = bearer(client, personas.street_a)
    post = lambda path, data: client.post(  # noqa: E731
        f"{URL}{path}", data=data, content_type="application/json", **headers
    )
    body = {
        "kind": "agreement",
        "partner": "某大学",
        "title": "越权协议",
        "signed_on": f"{FIRST_YEAR}-01-01",
    }
    hidden = _unknown(post("/partnerships", {**body, "org_id": tree.street_b.pk}), "org_id")
    missing = _unknown(post("/partnerships", {**body, "org_id": 999_999}), "org_id")
    assert hidden == missing == [unknown_message()]
    assert not Partnership.objects.exists()
    partnership = partnership_create(
        org=tree.street_a, acting_user=SYSTEM, **{**body, "signed_on": dt.date(FIRST_YEAR, 1, 1)}
    )
    outsider = make_person(tree.community_b, "乙方人员")
    appoint = lambda pk: post(  # noqa: E731
        f"/partnerships/{partnership.pk}/ambassadors",
        {"person_id": pk, "role": "talent", "appointed_on": f"{FIRST_YEAR}-02-01"},
    )
    hidden = _unknown(appoint(outsider.pk), "person_id")
    missing = _unknown(appoint(999_999), "person_id")
    assert hidden == missing == [unknown_message()]
    assert not partnership.ambassadors.exists()
