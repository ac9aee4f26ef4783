"""Who may see what of the reminders module.

* A :class:`Message` belongs to its recipient alone: no grant, however wide, shows
  another person's messages (``message_get``: the same 404 for missing and another's).
  Messages are personal, not booked on an organization, so they have no scope policy.
* Webhook endpoints and their deliveries are booked on an organization:
  ``reminders.configure`` on it (the system administrator of that part of the tree)
  sees and manages them (``ENDPOINT``, ``DELIVERY``).
* The rules dictionary is one for the whole site: editing it needs
  ``reminders.configure`` on a top-level organization (``can_configure_rules``).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from taizhang.core.actors import Actor, is_system
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import ScopePolicy
from taizhang.organizations.scope import scope_for
from taizhang.reminders.models import Delivery, Message, WebhookEndpoint

CONFIGURE = "reminders.configure"

ENDPOINT: ScopePolicy[WebhookEndpoint] = ScopePolicy(
    name="reminders.webhook_endpoint",
    model=WebhookEndpoint,
    view=CONFIGURE,
    manage=CONFIGURE,
    org_fields=("org",),
)

DELIVERY: ScopePolicy[Delivery] = ScopePolicy(
    name="reminders.delivery",
    model=Delivery,
    view=CONFIGURE,
    manage=CONFIGURE,
    org_fields=("endpoint__org",),
)


def message_get(viewer: Actor, pk: Any) -> Message:
    """The viewer's own message, or 404 (missing and someone else's alike)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    row = Message.objects.filter(pk=key, recipient_id=getattr(viewer, "pk", None)).first()
    if row is None or getattr(viewer, "pk", None) is None:
        raise Http404
    return row


def can_configure_rules(viewer: Actor | None) -> bool:
    """The site-wide rules: ``reminders.configure`` on a top-level organization."""
    if viewer is None:
        return False
    if is_system(viewer):
        return True
    if not getattr(viewer, "is_authenticated", False):
        return False
    scope = scope_for(viewer, CONFIGURE)
    if scope.unrestricted:
        return True
    return any(scope.covers(org) for org in Organization.objects.filter(parent__isnull=True))
