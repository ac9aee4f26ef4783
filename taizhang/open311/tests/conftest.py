"""Open311 fixtures: a category routed from street A, and street A's channel (a service
account with a grid worker's grant on A's subtree, and its token)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own answers in tests
from dataclasses import dataclass
from typing import Any

import pytest

from taizhang.accounts.models import AccountKind, ScopeKind, User
from taizhang.accounts.services import grant_create, service_token_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.demands.services import routing_rule_set
from taizhang.demands.tests.factories import make_category

BASE = "/open311/v2"
PHONE = "13912345678"
EMAIL = "zhang.san@example.cn"


@dataclass
class Channel:
    user: User
    token: str


def make_channel(org: Any, username: str = "open311_a", role: str = "grid_worker") -> Channel:
    user = user_create(username=username, kind=AccountKind.SERVICE, acting_user=SYSTEM)
    grant_create(
        user=user, role=role, scope_kind=ScopeKind.SUBTREE, organization=org, acting_user=SYSTEM
    )
    _record, token = service_token_create(user=user, name="open311", acting_user=SYSTEM)
    return Channel(user, token)


@pytest.fixture
def category(tree):
    made = make_category(tree.district, code="streetlight", days=5, name="路灯照明")
    routing_rule_set(
        category=made, area=tree.street_a, handling_org=tree.community_a, acting_user=SYSTEM
    )
    return made


@pytest.fixture
def channel(tree):
    return make_channel(tree.street_a)


def post(client: Any, fmt: str = "json", **data: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def submit(client: Any, channel: Channel, **data: Any) -> str:
    """POST a request with the spec's example fields; its service_request_id."""
    fields = {
        "api_key": channel.token,
        "service_code": "streetlight",
        "lat": "37.76524078",
        "long": "-122.4212043",
        "address_string": "青岚区海韵路12号",
        "description": "路灯不亮已经三天，夜间行人看不清路。",
        "first_name": "晓明",
        "last_name": "欧阳",
        "phone": PHONE,
        "email": EMAIL,
        **data,
    }
    response = post(client, **fields)
    assert response.status_code == 200, response.content
    number: str = response.json()[0]["service_request_id"]
    return number


def as_json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def as_xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("application/xml"), response["Content-Type"]
    return ET.fromstring(response.content)  # noqa: S314 - our own answer
