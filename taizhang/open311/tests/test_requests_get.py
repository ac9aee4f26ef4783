"""GET requests and one request: the spec's filters and shapes, the status mapping, and
what the public and a key's holder may read (never a requester's personal data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.demands import services
from taizhang.demands.models import Demand
from taizhang.demands.tests.factories import make_category, make_demand
from taizhang.open311.services import open311_request_create
from taizhang.open311.tests.conftest import BASE, EMAIL, PHONE, as_json, as_xml, make_channel

pytestmark = pytest.mark.django_db

REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def submitted(channel, category, **kwargs) -> Demand:
    fields = {
        "service_user": channel.user,
        "category": category,
        "description": "路灯不亮已经三天。",
        "lat": Decimal("37.765241"),
        "long": Decimal("-122.421204"),
        "address_string": "青岚区海韵路12号",
        "first_name": "晓明",
        "last_name": "欧阳",
        "phone": PHONE,
        **kwargs,
    }
    return open311_request_create(**fields)


def test_request_json_in_the_spec_shape(client, tree, category, channel):
    demand = submitted(channel, category, media_url="https://img.example.cn/1.jpg")
    rows = as_json(client.get(f"{BASE}/requests/{demand.number}.json"))
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == REQUEST_KEYS
    assert row["service_request_id"] == demand.number
    assert row["status"] == "open"
    assert row["service_code"] == "streetlight" and row["service_name"] == "路灯照明"
    assert row["description"] == "路灯不亮已经三天。"
    assert row["media_url"] == "https://img.example.cn/1.jpg"
    assert row["address"] == "青岚区海韵路12号"
    assert row["lat"] == 37.765241 and row["long"] == -122.421204
    # Received by street A, not yet passed on: street A holds it.
    assert row["agency_responsible"] == tree.street_a.name
    assert row["requested_datetime"] == timezone.localtime(demand.received_at).isoformat(
        timespec="seconds"
    )
    assert row["expected_datetime"].startswith(f"{demand.due_on:%Y-%m-%d}T23:59:59")
    assert row["updated_datetime"] >= row["requested_datetime"]


def test_request_xml(client, category, channel):
    demand = submitted(channel, category)
    root = as_xml(client.get(f"{BASE}/requests/{demand.number}.xml"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert {child.tag for child in request} == REQUEST_KEYS
    assert request.findtext("service_request_id") == demand.number
    assert request.findtext("status") == "open"
    assert request.findtext("lat") == "37.765241"
    assert request.findtext("zipcode") == ""


def test_personal_data_never_leaves(client, personas, category, channel):
    """Neither the public nor the key's holder reads a requester's name, phone or
    e-mail, in a list or a single request, in JSON or XML."""
    demand = submitted(channel, category)
    key = {"api_key": channel.token}
    for fmt in ("json", "xml"):
        for params in ({}, key):
            for url in (f"{BASE}/requests.{fmt}", f"{BASE}/requests/{demand.number}.{fmt}"):
                body = client.get(url, params).content.decode()
                assert demand.number in body
                for secret in (PHONE, "欧阳", "晓明", EMAIL, "5678"):
                    assert secret not in body, (url, params, secret)


def test_public_reads_only_what_came_through_open311(client, tree, category, channel):
    """A demand staff recorded (a reception-day visit) is not public; with the key of
    its organization it is read, without requesters."""
    staff = make_demand(tree.community_a, category, channel="reception_day", title="接待日诉求")
    online = submitted(channel, category)
    public = as_json(client.get(f"{BASE}/requests.json"))
    assert [r["service_request_id"] for r in public] == [online.number]
    assert client.get(f"{BASE}/requests/{staff.number}.json").status_code == 404
    keyed = as_json(client.get(f"{BASE}/requests.json", {"api_key": channel.token}))
    assert {r["service_request_id"] for r in keyed} == {online.number, staff.number}


def test_a_key_reads_only_its_subtree(client, tree, category, channel):
    """Street B's channel does not read street A's requests (the same 404 as missing)."""
    demand = submitted(channel, category)
    other = make_channel(tree.street_b, username="open311_b")
    assert as_json(client.get(f"{BASE}/requests.json", {"api_key": other.token})) == []
    response = client.get(f"{BASE}/requests/{demand.number}.json", {"api_key": other.token})
    assert response.status_code == 404


def test_a_bad_key_on_a_read_is_refused(client, category, channel):
    response = client.get(f"{BASE}/requests.json", {"api_key": "nope"})
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "api_key is invalid"}]


def test_filters_ids_codes_and_status(client, tree, category, channel):
    other = make_category(tree.district, code="water", name="供水")
    first = submitted(channel, category)
    second = submitted(channel, other, description="停水两天。")
    third = submitted(channel, category, description="第三件。")
    services.demand_assign(demand=third, acting_user=SYSTEM)
    services.demand_start(demand=third, acting_user=SYSTEM)
    services.demand_reply(demand=third, reply_text="已更换灯泡，恢复照明。", acting_user=SYSTEM)
    services.demand_follow_up(demand=third, satisfaction="satisfied", acting_user=SYSTEM)

    def ids(**params):
        return [
            r["service_request_id"] for r in as_json(client.get(f"{BASE}/requests.json", params))
        ]

    assert ids() == [third.number, second.number, first.number]
    assert ids(service_request_id=f"{first.number},{third.number}") == [third.number, first.number]
    assert ids(service_code="water") == [second.number]
    assert ids(service_code="water,streetlight") == [third.number, second.number, first.number]
    assert ids(status="closed") == [third.number]
    assert ids(status="open") == [second.number, first.number]
    assert ids(status="open,closed") == [third.number, second.number, first.number]
    assert client.get(f"{BASE}/requests.json", {"status": "done"}).status_code == 400


def test_dates_default_to_the_last_90_days(client, category, channel):
    old = submitted(channel, category)
    Demand.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - dt.timedelta(days=100),
        received_on=timezone.localdate() - dt.timedelta(days=100),
    )
    new = submitted(channel, category)

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [new.number]
    start = (timezone.now() - dt.timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - dt.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old.refresh_from_db()
    assert ids(start_date=start, end_date=end) == [old.number]
    assert ids(start_date=start) == [old.number]  # 90 days from the start
    # An explicit id overrides the window.
    assert ids(service_request_id=old.number) == [old.number]


def test_bad_dates_are_400(client, category):
    for params in (
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},
    ):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 400, params
        assert response.json()[0]["code"] == 400


def test_status_mapping_and_notes(client, tree, category, channel):
    """受理/分派/办理/答复 are open, 办结 and merged are closed; the notes say the state,
    the public never reads the reply, the key's holder does."""
    demand = submitted(channel, category)

    def row(**params):
        return as_json(client.get(f"{BASE}/requests/{demand.number}.json", params))[0]

    assert (row()["status"], row()["status_notes"]) == ("open", "已受理，待分派承办单位")
    services.demand_assign(demand=demand, acting_user=SYSTEM)
    assert row()["agency_responsible"] == tree.community_a.name  # routed by the rule
    assert row()["status_notes"] == "已分派承办单位"
    services.demand_start(demand=demand, acting_user=SYSTEM)
    assert (row()["status"], row()["status_notes"]) == ("open", "承办单位办理中")
    services.demand_reply(demand=demand, reply_text="已更换灯泡，恢复照明。", acting_user=SYSTEM)
    assert (row()["status"], row()["status_notes"]) == ("open", "已答复，待回访")
    assert row(api_key=channel.token)["status_notes"] == "已答复，待回访：已更换灯泡，恢复照明。"
    assert row(api_key="")["status_notes"] == "已答复，待回访"  # an empty key is no key
    services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=SYSTEM)
    assert (row()["status"], row()["status_notes"]) == ("closed", "已办结")


def test_merged_is_closed_and_names_the_one_kept(client, category, channel):
    kept = submitted(channel, category)
    duplicate = submitted(channel, category)
    services.demand_merge(duplicate=duplicate, into=kept, acting_user=SYSTEM)
    row = as_json(client.get(f"{BASE}/requests/{duplicate.number}.json"))[0]
    assert row["status"] == "closed"
    assert row["status_notes"] == f"已合并至{kept.number}"


def test_unknown_or_malformed_request_is_404(client, category, channel):
    demand = submitted(channel, category)
    wrong_year = demand.number.replace(f"SQ{demand.received_on:%Y}", "SQ1999")
    for number in ("SQ2026-99999", wrong_year, "12"):
        response = client.get(f"{BASE}/requests/{number}.json")
        assert response.status_code == 404
        assert response.json()[0] == {
            "code": 404,
            "description": f"service_request_id {number} not found",
        }


def test_updated_after_and_before(client, category, channel):
    """A sync asks what changed since its last run, whatever the 90-day window."""
    demand = submitted(channel, category)
    other = submitted(channel, category)
    Demand.objects.filter(pk=demand.pk).update(received_at=timezone.now() - dt.timedelta(days=200))
    mark = timezone.now()
    services.demand_assign(demand=demand, acting_user=SYSTEM)
    stamp = mark.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    rows = as_json(client.get(f"{BASE}/requests.json", {"updated_after": stamp}))
    assert [r["service_request_id"] for r in rows] == [demand.number]
    rows = as_json(client.get(f"{BASE}/requests.json", {"updated_before": stamp}))
    assert [r["service_request_id"] for r in rows] == [other.number]


def test_the_answer_is_capped_at_1000(client, category, channel, monkeypatch):
    from taizhang.open311 import selectors

    monkeypatch.setattr(selectors, "MAX_RESULTS", 2)
    for _ in range(3):
        submitted(channel, category)
    assert len(as_json(client.get(f"{BASE}/requests.json"))) == 2
    assert selectors.MAX_RESULTS == 2  # the real cap is the spec's 1000


def test_token_answers_the_id_at_once(client, category, channel):
    demand = submitted(channel, category)
    assert as_json(client.get(f"{BASE}/tokens/{demand.number}.json")) == [
        {"service_request_id": demand.number, "token": demand.number}
    ]
    root = as_xml(client.get(f"{BASE}/tokens/{demand.number}.xml"))
    assert root.findtext("request/service_request_id") == demand.number
    assert root.findtext("request/token") == demand.number
    assert client.get(f"{BASE}/tokens/SQ2026-99999.json").status_code == 404


def test_lists_read_in_a_fixed_number_of_queries(
    client, category, channel, django_assert_num_queries
):
    """One query for a public list, however many requests; the same for the updates."""
    for _ in range(4):
        submitted(channel, category)
    with django_assert_num_queries(1):
        assert len(client.get(f"{BASE}/requests.json").json()) == 4
    with django_assert_num_queries(1):
        assert len(client.get(f"{BASE}/servicerequestupdates.json").json()) == 4
