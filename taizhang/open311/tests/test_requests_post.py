"""POST requests: a live service account's token turns a request into a demand of its
organization (channel online), through demand_create, routed and audited; everything
else is refused in the spec's format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taizhang.accounts.models import ApiToken
from taizhang.accounts.services import token_issue, token_revoke, user_set_active
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.demands.models import Channel, Demand, DemandState
from taizhang.demands.services import demand_assign
from taizhang.open311.tests.conftest import (
    BASE,
    EMAIL,
    PHONE,
    as_json,
    as_xml,
    make_channel,
    post,
    submit,
)
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def _demand(number: str) -> Demand:
    return Demand.objects.get(pk=int(number.split("-")[1]))


def test_post_json_creates_a_demand_of_the_keys_organization(client, tree, category, channel):
    response = post(
        client,
        api_key=channel.token,
        service_code="streetlight",
        lat="37.76524078",
        long="-122.4212043",
        address_string="青岚区海韵路12号",
        description="路灯不亮已经三天，夜间行人看不清路。",
        first_name="晓明",
        last_name="欧阳",
        phone=PHONE,
        email=EMAIL,
        media_url="https://img.example.cn/light.jpg",
    )
    assert response.status_code == 200
    (row,) = as_json(response)
    assert set(row) == {"service_request_id", "service_notice", "account_id"}
    demand = _demand(row["service_request_id"])
    assert row["service_request_id"] == demand.number
    assert demand.number in row["service_notice"]
    assert f"{demand.due_on:%Y-%m-%d}" in row["service_notice"]
    assert demand.org == tree.street_a and demand.location == tree.street_a
    assert demand.channel == Channel.ONLINE and demand.created_by == channel.user
    assert demand.state == DemandState.RECEIVED
    assert (demand.lat, demand.long) == (Decimal("37.765241"), Decimal("-122.421204"))
    assert demand.address_string == "青岚区海韵路12号"
    assert demand.title == "路灯不亮已经三天，夜间行人看不清路。"
    (requester,) = demand.requesters.all()
    assert (requester.name, requester.mobile) == ("欧阳晓明", PHONE)
    # Audited by demand_create as the service account, without the contact data.
    event = AuditEvent.objects.filter(action="demand.create").latest("pk")
    assert event.actor_id == channel.user.pk and event.object_id == str(demand.pk)
    assert PHONE not in str(event.changes) and EMAIL not in str(event.changes)


def test_post_xml(client, category, channel):
    response = post(
        client,
        "xml",
        api_key=channel.token,
        service_code="streetlight",
        address_string="海韵路12号",
        description="路灯不亮。",
    )
    root = as_xml(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert number and _demand(number).address_string == "海韵路12号"
    assert root.findtext("request/service_notice")


def test_the_posted_demand_is_routed_like_any_other(client, tree, category, channel):
    """The street assigns it; the routing rule (street A → community A1) applies."""
    demand = _demand(submit(client, channel))
    demand = demand_assign(demand=demand, acting_user=SYSTEM)
    assert demand.handling_org == tree.community_a


def test_no_name_is_an_anonymous_requester(client, category, channel):
    number = submit(client, channel, first_name="", last_name="", phone="")
    (requester,) = _demand(number).requesters.all()
    assert (requester.name, requester.mobile) == ("匿名", "")


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"service_code": ""}, "service_code is required"),
        (
            {"lat": "", "long": "", "address_string": ""},
            "lat and long, or address_string, is required",
        ),
        ({"long": ""}, "lat and long must be given together"),
        ({"lat": "north"}, "lat is not a number"),
        ({"lat": "91"}, "lat must lie between -90 and 90"),
        ({"long": "-181"}, "long must lie between -180 and 180"),
        ({"description": " "}, "description is required"),
        ({"description": "长" * 4001}, "description is longer than 4000 characters"),
        ({"phone": "call me"}, "phone is not a telephone number"),
        ({"email": "not-an-address"}, "email is not an e-mail address"),
        ({"media_url": "ftp://x.cn/a.jpg"}, "media_url is not an http(s) URL"),
    ],
)
def test_bad_parameters_are_400(client, category, channel, change, description):
    fields = {
        "api_key": channel.token,
        "service_code": "streetlight",
        "lat": "37.7",
        "long": "-122.4",
        "description": "路灯不亮。",
        **change,
    }
    for fmt in ("json", "xml"):
        response = post(client, fmt, **fields)
        assert response.status_code == 400
        if fmt == "json":
            assert response.json() == [{"code": 400, "description": description}]
        else:
            assert as_xml(response).findtext("error/description") == description
    assert not Demand.objects.exists()


def test_an_unknown_service_is_404(client, category, channel):
    response = post(
        client, api_key=channel.token, service_code="nothing", lat="1", long="1", description="x"
    )
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def _refused(client, api_key=None):
    fields = {"service_code": "streetlight", "lat": "1", "long": "1", "description": "路灯不亮。"}
    if api_key is not None:
        fields["api_key"] = api_key
    response = post(client, **fields)
    assert response.status_code == 403, response.content
    assert response.json()[0]["code"] == 403
    assert not Demand.objects.exists()
    return response


def test_without_a_key_nothing_is_written(client, category):
    assert _refused(client).json()[0]["description"] == "api_key is required"
    event = AuditEvent.objects.filter(action="access.denied").latest("pk")
    assert event.object_repr == f"POST {BASE}/requests.json"


def test_a_wrong_key_is_refused(client, category, channel):
    _refused(client, "not-a-token")


def test_a_persons_token_is_no_key(client, category, personas):
    _refused(client, token_issue(username=personas.street_a.username, password=PASSWORD))


def test_a_disabled_account_is_refused(client, category, channel):
    user_set_active(user=channel.user, active=False, acting_user=SYSTEM)
    _refused(client, channel.token)


def test_a_revoked_token_is_refused(client, category, channel):
    token_revoke(token=ApiToken.objects.get(user=channel.user), acting_user=SYSTEM)
    _refused(client, channel.token)


def test_an_account_without_the_right_to_record_is_refused(client, tree, category):
    """A service account that may only read demands (viewer) cannot submit one."""
    reader = make_channel(tree.street_a, username="reader", role="viewer")
    response = _refused(client, reader.token)
    assert response.json()[0]["description"] == "api_key may not submit requests"


def test_a_bad_key_on_a_post_is_refused_in_xml(client, category):
    response = client.post(f"{BASE}/requests.xml", data={"api_key": "x"})
    assert response.status_code == 403
    root = as_xml(response)
    assert root.findtext("error/code") == "403"
