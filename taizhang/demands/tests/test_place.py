"""Where the matter is: an optional point (lat/long) and address on a demand (issue 17)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from taizhang.core.models import AuditEvent
from taizhang.demands.tests.factories import make_category, make_demand
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tree):
    return make_category(tree.district)


def test_a_demand_keeps_its_point_and_address_and_audits_them(tree, category):
    demand = make_demand(
        tree.community_a,
        category,
        lat=Decimal("30.274085"),
        long=Decimal("120.155070"),
        address_string=" 青岚区海韵路12号 ",
    )
    demand.refresh_from_db()
    assert (demand.lat, demand.long) == (Decimal("30.274085"), Decimal("120.155070"))
    assert demand.address_string == "青岚区海韵路12号" and demand.has_point
    changes = AuditEvent.objects.filter(action="demand.create").latest("pk").changes
    assert changes["lat"] == [None, "30.274085"]
    assert changes["address_string"] == [None, "青岚区海韵路12号"]


def test_without_a_place_nothing_is_added_to_the_trail(tree, category):
    demand = make_demand(tree.community_a, category)
    assert demand.lat is None and demand.address_string == "" and not demand.has_point
    changes = AuditEvent.objects.filter(action="demand.create").latest("pk").changes
    assert "lat" not in changes and "address_string" not in changes


def test_half_a_point_is_refused(tree, category):
    with pytest.raises(ValidationError) as caught:
        make_demand(tree.community_a, category, lat=Decimal("30"))
    assert "lat" in caught.value.message_dict


@pytest.mark.parametrize(("lat", "long"), [("90.5", "0"), ("0", "-180.1")])
def test_a_point_off_the_globe_is_refused(tree, category, lat, long):
    with pytest.raises(ValidationError):
        make_demand(tree.community_a, category, lat=Decimal(lat), long=Decimal(long))


def test_the_detail_page_shows_the_address(client, tree, personas, category):
    demand = make_demand(
        tree.community_a,
        category,
        lat=Decimal("30.274085"),
        long=Decimal("120.155070"),
        address_string="青岚区海韵路12号",
    )
    client.login(username=personas.street_a.username, password=PASSWORD)
    body = client.get(reverse("demands:detail", args=[demand.pk])).content.decode()
    assert "青岚区海韵路12号" in body and "30.274085" in body
    plain = make_demand(tree.community_a, category)
    body = client.get(reverse("demands:detail", args=[plain.pk])).content.decode()
    assert "海韵路" not in body


def test_the_api_takes_and_gives_the_place(client, tree, personas):
    """``POST /api/v1/demands`` records the point and address; the answer carries them."""
    from taizhang.demands.tests.factories import make_category
    from tests.support import bearer

    category = make_category(tree.district)
    headers = bearer(client, personas.street_a)
    body = {
        "org_id": tree.street_a.pk,
        "location_id": tree.community_a.pk,
        "channel": "hotline",
        "category_code": category.code,
        "title": "路灯不亮",
        "content": "小区北门路灯不亮。",
        "requesters": [{"kind": "person", "name": "张大妈", "mobile": "13812345678"}],
        "lat": "30.123456",
        "long": "120.654321",
        "address_string": "北门",
    }
    response = client.post("/api/v1/demands", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["address_string"] == "北门"
    assert (answer["lat"], answer["long"]) == ("30.123456", "120.654321")
    too_far = {**body, "lat": "91"}
    response = client.post("/api/v1/demands", too_far, content_type="application/json", **headers)
    assert response.status_code == 422
    one_only = {**body, "long": None}
    response = client.post("/api/v1/demands", one_only, content_type="application/json", **headers)
    assert response.status_code == 422
