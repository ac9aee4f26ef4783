"""Rows of the hotline adapter for tests, a signed post, and the policy samples."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from taizhang.accounts.models import AccountKind, ScopeKind, User
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.demands.models import DemandCategory
from taizhang.demands.tests.factories import make_category
from taizhang.hotline.models import HotlineEndpoint, Push, WorkOrder
from taizhang.hotline.services import WorkOrderIn, hotline_endpoint_create, work_order_receive
from taizhang.hotline.signing import signed_headers
from taizhang.organizations.models import Organization

KEY = "k3y-of-the-12345-platform-0123456789"
URL = "/hotline/v1/work-orders"
PHONE = "13812345678"
_numbers = itertools.count(1)


def make_account(org: Organization, role: str = "grid_worker") -> User:
    """A service account that records demands on ``org``'s subtree."""
    user = user_create(
        username=f"hotline_{org.code}_{next(_numbers)}",
        kind=AccountKind.SERVICE,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user, role=role, scope_kind=ScopeKind.SUBTREE, organization=org, acting_user=SYSTEM
    )
    return user


def default_category(org: Organization) -> DemandCategory:
    return DemandCategory.objects.filter(code="hotline-other").first() or make_category(
        org, code="hotline-other", name="其他诉求"
    )


def make_endpoint(
    org: Organization,
    *,
    code: str = "",
    push_url: str = "http://127.0.0.1:9/push",
    account: User | None = None,
    **kwargs: Any,
) -> HotlineEndpoint:
    return hotline_endpoint_create(
        org=org,
        code=code or f"ep-{org.code.lower()}-{next(_numbers)}",
        name=f"{org.short_name} 12345",
        account=account or make_account(org),
        push_url=push_url,
        default_category=kwargs.pop("default_category", None) or default_category(org),
        shared_key=kwargs.pop("shared_key", KEY),
        acting_user=SYSTEM,
        **kwargs,
    )


def order(**fields: Any) -> dict[str, Any]:
    """A work order as the platform posts it."""
    return {
        "order_no": "GD20260312000123",
        "category_code": "0203",
        "title": "小区电梯频繁故障",
        "content": "电梯一周停运三次，老人出行困难。",
        "requester": {"name": "张女士", "phone": PHONE},
        "address": "青岚区海韵路12号",
        **fields,
    }


def post_order(
    client: Any,
    endpoint: HotlineEndpoint,
    body: dict[str, Any] | bytes,
    *,
    key: str = KEY,
    now: float | None = None,
    **headers: str,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    signed = signed_headers(endpoint.code, key, raw, now=time.time() if now is None else now)
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signed.items()}
    return client.post(URL, data=raw, content_type="application/json", **meta, **headers)


def receive(endpoint: HotlineEndpoint, **fields: Any) -> WorkOrder:
    data = {
        "order_no": f"GD{next(_numbers):08d}",
        "content": "楼道灯坏了。",
        "requester_name": "李先生",
        "requester_phone": PHONE,
        **fields,
    }
    made, _new = work_order_receive(
        endpoint=endpoint, order=WorkOrderIn(**data), acting_user=endpoint.account
    )
    return made


def policy_samples() -> dict[str, Callable[[Organization], Any]]:
    def push(org: Organization) -> Push:
        received = receive(make_endpoint(org))
        return Push.objects.create(order=received, event="assigned", payload={})

    return {"hotline.endpoint": make_endpoint, "hotline.push": push}
