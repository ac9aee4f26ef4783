"""Requesters' mobiles are encrypted in the database (ADR 0058, issue 19 §3)."""

from __future__ import annotations

import pytest
from django.db import connection

from taizhang.core.actors import SYSTEM
from taizhang.core.crypto import equals
from taizhang.demands import services
from taizhang.demands.models import DemandRequester, RequesterKind
from taizhang.demands.services import RequesterIn
from taizhang.demands.tests.factories import make_category, make_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tree):
    return make_category(tree.district, code="property")


def test_the_mobile_column_holds_a_token_and_reveal_still_shows_it(tree, personas, category):
    demand = make_demand(tree.community_a, category)
    requester = demand.requesters.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT mobile, mobile_hash, address FROM demands_demandrequester WHERE id = %s",
            [requester.pk],
        )
        mobile, mobile_hash, _address = cursor.fetchone()
    assert mobile.startswith("enc:1:") and "13812345678" not in mobile + mobile_hash
    assert requester.mobile == "13812345678"
    assert requester.masked_mobile == "138****5678"
    rows = services.demand_reveal(demand=demand, acting_user=personas.personnel)
    assert rows is not None and rows[0]["mobile"] == "13812345678"


def test_a_requester_is_found_by_mobile_through_the_hash(tree, category):
    first = make_demand(tree.community_a, category)
    make_demand(
        tree.community_a,
        category,
        requesters=[RequesterIn(kind=RequesterKind.PERSON, name="李四", mobile="13900001111")],
    )
    found = DemandRequester.objects.filter(equals(DemandRequester, "mobile", "13812345678"))
    assert [r.demand_id for r in found] == [first.pk]


def test_a_merge_moves_requesters_with_their_tokens_intact(tree, category):
    keep = make_demand(tree.community_a, category)
    duplicate = make_demand(
        tree.community_a,
        category,
        requesters=[RequesterIn(kind=RequesterKind.PERSON, name="李四", mobile="13900001111")],
    )
    services.demand_merge(duplicate=duplicate, into=keep, acting_user=SYSTEM)
    assert sorted(r.mobile for r in keep.requesters.all()) == ["13812345678", "13900001111"]
