"""The platform's POST of a work order: signature, replay window, idempotency, category
mapping, scope, personal data and the error shape."""

from __future__ import annotations

import json
import time

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.demands.models import Channel, Demand, DemandRequester
from taizhang.demands.tests.factories import make_category
from taizhang.hotline.models import WorkOrder
from taizhang.hotline.services import hotline_endpoint_update
from taizhang.hotline.tests.factories import (
    KEY,
    PHONE,
    URL,
    make_account,
    make_endpoint,
    order,
    post_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(tree):
    return make_endpoint(tree.street_a, code="qinglan-a")


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_a_signed_order_becomes_a_demand_of_the_endpoint(client, tree, endpoint):
    """Given a valid signature, the order is a demand received by the endpoint's
    organization on channel hotline, recorded by its service account; the answer is the
    demand number."""
    response = post_order(client, endpoint, order())
    assert response.status_code == 201, response.content
    answer = response.json()
    demand = Demand.objects.get()
    assert answer == {
        "order_no": "GD20260312000123",
        "demand_number": demand.number,
        "due_on": demand.due_on.isoformat(),
        "duplicate": False,
    }
    assert demand.org == tree.street_a and demand.location == tree.street_a
    assert demand.channel == Channel.HOTLINE
    assert demand.created_by == endpoint.account
    assert demand.title == "小区电梯频繁故障" and demand.address_string == "青岚区海韵路12号"
    assert WorkOrder.objects.get().demand == demand


def test_a_wrong_signature_is_refused_and_audited(client, endpoint):
    response = post_order(client, endpoint, order(), key="another-key-of-someone-else")
    _error(response, 401, "signature_invalid")
    assert not Demand.objects.exists()
    denied = AuditEvent.objects.filter(action="access.denied").latest("pk")
    assert denied.object_repr == f"POST {URL}"


def test_a_tampered_body_is_refused(client, endpoint):
    """The signature covers the body: changing a byte after signing breaks it."""
    raw = json.dumps(order(), ensure_ascii=False).encode()
    from taizhang.hotline.signing import signed_headers

    headers = signed_headers(endpoint.code, KEY, raw)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    tampered = raw.replace("电梯".encode(), "水管".encode())
    response = client.post(URL, data=tampered, content_type="application/json", **meta)
    _error(response, 401, "signature_invalid")


def test_an_unknown_key_id_is_answered_like_a_wrong_signature(client, endpoint):
    endpoint.code = "nobody"
    _error(post_order(client, endpoint, order()), 401, "signature_invalid")


@pytest.mark.parametrize(
    ("timestamp", "signature"), [("1773279000", "é" * 64), ("１７７３", "ab" * 32), ("x", "")]
)
def test_garbled_signature_headers_are_refused_not_crashed(client, endpoint, timestamp, signature):
    """Non-hex or non-ASCII header values are a wrong signature (401), never a 500."""
    response = client.post(
        URL,
        data=json.dumps(order()),
        content_type="application/json",
        HTTP_X_KEY_ID=endpoint.code,
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE=signature,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"signature_invalid", "signature_missing"}


def test_missing_headers_are_refused(client, endpoint):
    response = client.post(URL, data=json.dumps(order()), content_type="application/json")
    _error(response, 401, "signature_missing")


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_an_old_or_future_timestamp_is_refused(client, endpoint, offset):
    """Outside the 5-minute window a correctly signed request is a replay: refused."""
    response = post_order(client, endpoint, order(), now=time.time() + offset)
    _error(response, 401, "timestamp_expired")
    assert not Demand.objects.exists()


def test_inside_the_window_is_accepted(client, endpoint):
    assert post_order(client, endpoint, order(), now=time.time() - 290).status_code == 201


def test_an_inactive_endpoint_is_refused(client, endpoint):
    hotline_endpoint_update(endpoint=endpoint, active=False, acting_user=SYSTEM)
    _error(post_order(client, endpoint, order()), 403, "endpoint_inactive")


def test_the_same_order_again_answers_the_same_demand(client, endpoint):
    """Idempotent on the work-order number: nothing is created the second time, even
    when the platform resends it with other words."""
    first = post_order(client, endpoint, order()).json()
    events = AuditEvent.objects.count()
    again = post_order(client, endpoint, order(content="重发的内容。"))
    assert again.status_code == 200
    assert again.json() == {**first, "duplicate": True}
    assert Demand.objects.count() == 1 and WorkOrder.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_the_same_number_at_another_endpoint_is_another_order(client, tree, endpoint):
    other = make_endpoint(tree.street_b, code="qinglan-b")
    a = post_order(client, endpoint, order()).json()
    b = post_order(client, other, order()).json()
    assert a["demand_number"] != b["demand_number"]


def test_category_from_the_mapping_table(client, tree, endpoint):
    elevator = make_category(tree.district, code="elevator", name="电梯故障")
    hotline_endpoint_update(endpoint=endpoint, mapping={"0203": elevator}, acting_user=SYSTEM)
    post_order(client, endpoint, order(category_code="0203"))
    assert Demand.objects.get().category == elevator


def test_category_by_the_demand_category_code(client, tree, endpoint):
    water = make_category(tree.district, code="water", name="供水")
    post_order(client, endpoint, order(category_code="water"))
    assert Demand.objects.get().category == water


def test_an_unknown_category_goes_to_the_endpoint_default(client, endpoint):
    post_order(client, endpoint, order(category_code="9999"))
    demand = Demand.objects.get()
    assert demand.category == endpoint.default_category
    assert WorkOrder.objects.get().platform_category == "9999"


def test_personal_data_is_stored_as_demands_do_and_never_echoed(client, endpoint):
    """The name and phone become the demand's requester (masked like any other); the
    answer, the audit trail and an error answer never repeat the phone."""
    response = post_order(client, endpoint, order())
    assert PHONE not in response.content.decode() and "张女士" not in response.content.decode()
    requester = DemandRequester.objects.get()
    assert (requester.name, requester.mobile) == ("张女士", PHONE)
    assert not AuditEvent.objects.filter(changes__icontains=PHONE).exists()
    bad = post_order(client, endpoint, order(order_no="GD2", requester={"phone": "1381234567x"}))
    error = _error(bad, 422, "invalid")
    assert "requester_phone" in error["fields"]
    assert "1381234567x" not in bad.content.decode()


def test_an_area_inside_the_endpoint_places_the_demand(client, tree, endpoint):
    post_order(client, endpoint, order(area_code=tree.community_a.code))
    demand = Demand.objects.get()
    assert demand.org == tree.street_a and demand.location == tree.community_a


def test_the_endpoint_organization_bounds_where_the_demand_goes(client, tree, endpoint):
    """An order naming an area of another street is refused: nothing is created."""
    error = _error(
        post_order(client, endpoint, order(area_code=tree.community_b.code)), 422, "invalid"
    )
    assert set(error["fields"]) == {"area_code"}
    assert not Demand.objects.exists()


def test_an_account_without_the_right_there_cannot_serve_an_endpoint(tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        make_endpoint(tree.street_a, account=make_account(tree.street_b))
    assert "account" in refused.value.message_dict


def test_an_account_that_lost_its_grant_is_refused_at_intake(client, tree, endpoint):
    endpoint.account.grants.update(is_active=False)
    _error(post_order(client, endpoint, order()), 403, "not_allowed")
    assert not Demand.objects.exists()


def test_the_intake_is_audited(client, endpoint):
    post_order(client, endpoint, order())
    demand = Demand.objects.get()
    received = AuditEvent.objects.get(action="hotline_order.receive")
    assert received.actor_id == endpoint.account.pk
    assert received.changes["order_no"] == [None, "GD20260312000123"]
    assert received.changes["demand"] == [None, demand.number]
    created = AuditEvent.objects.get(action="demand.create")
    assert created.actor_id == endpoint.account.pk


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
    ],
)
def test_a_body_that_is_not_an_object(client, endpoint, body, status, code):
    _error(post_order(client, endpoint, body), status, code)


def test_missing_fields_are_named(client, endpoint):
    error = _error(post_order(client, endpoint, {"title": "无单号"}), 422, "invalid")
    assert {"order_no", "content"} <= set(error["fields"])


def test_errors_are_in_chinese_by_default_and_english_on_request(client, endpoint):
    chinese = post_order(client, endpoint, order(), key="wrong-wrong-wrong-wrong")
    assert _error(chinese, 401, "signature_invalid")["message"] == "签名与请求不符。"
    english = post_order(
        client, endpoint, order(), key="wrong-wrong-wrong-wrong", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert _error(english, 401, "signature_invalid")["message"] == (
        "The signature does not match the request."
    )


def test_another_method_is_405(client):
    _error(client.get(URL), 405, "method_not_allowed")
