"""Rows of the reminders module for tests, and the policy conformance samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization
from taizhang.reminders.models import Delivery, WebhookEndpoint
from taizhang.reminders.services import webhook_endpoint_create
from tests.support import make_user


def make_endpoint(
    org: Organization,
    *,
    url: str = "http://127.0.0.1:9/robot?key=abcdef123456",
    kind: str = "wecom",
    secret: str = "",
) -> WebhookEndpoint:
    return webhook_endpoint_create(
        org=org,
        kind=kind,
        name=f"{org.short_name} 工作群",
        url=url,
        secret=secret,
        acting_user=SYSTEM,
    )


def make_delivery(org: Organization) -> Delivery:
    return Delivery.objects.create(endpoint=make_endpoint(org), rule="x.y", title="标题")


def make_admin(username: str, org: Organization) -> Any:
    """A system administrator of ``org`` and its subtree."""
    return make_user(username, ("system_admin", ScopeKind.SUBTREE, org))


def policy_samples() -> dict[str, Callable[[Organization], Any]]:
    return {"reminders.webhook_endpoint": make_endpoint, "reminders.delivery": make_delivery}
