"""Writes of the reminders module: the sender behind ``core.notify``, reading messages,
the rules dictionary, webhook endpoints and their deliveries, and the daily run.

Marking a message read is the recipient's own bookkeeping and is not audited (ADR 0049);
every change to a rule, an endpoint or a delivery is.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from taizhang.core.access import require
from taizhang.core.actors import SYSTEM, Actor, is_system, require_actor
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.calendar import WorkCalendar
from taizhang.core.masking import mask_id_number, mask_mobile
from taizhang.core.notify import RULES, Notice, notify
from taizhang.core.registry import TODOS
from taizhang.core.services import update_with_audit
from taizhang.core.versions import lock_at_version
from taizhang.organizations.models import Organization
from taizhang.reminders.channels import CHANNELS, ChannelError, Content
from taizhang.reminders.models import (
    Delivery,
    DeliveryStatus,
    Message,
    ReminderRule,
    WebhookEndpoint,
)
from taizhang.reminders.permissions import CONFIGURE, DELIVERY, ENDPOINT, can_configure_rules

logger = logging.getLogger(__name__)

DUE_SOON = "todo.due_soon"
DIGEST = "digest.daily"
COUNT_SECONDS = 60
# Minutes to wait after the first, second and third failed attempt; the fourth failure
# is final and shows on the deliveries page.
BACKOFF_MINUTES = (1, 5, 30)

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def unread_cache_key(user_pk: Any) -> str:
    return f"reminders:unread:{user_pk}"


def forget_unread(user_pks: Iterable[Any]) -> None:
    cache.delete_many([unread_cache_key(pk) for pk in user_pks])


def scrub(text: str) -> str:
    """Mask mobile and ID numbers: a message carries no personal data beyond names."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text or "")
    return _MOBILE.sub(lambda m: mask_mobile(m.group(0)), text)


def _source(obj: Any) -> tuple[str, str]:
    if obj is None or getattr(obj, "_meta", None) is None or obj.pk is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


# --- the rules dictionary ------------------------------------------------------------


def rules_ensure() -> int:
    """Create the dictionary rows of registered rules that have none yet (defaults from
    the rule's declaration); answer how many were created. Defaults are not a person's
    decision, so nothing is audited here."""
    existing = set(ReminderRule.objects.values_list("code", flat=True))
    missing = [
        ReminderRule(code=code, days_before=rule.days_before)
        for code, rule in RULES.items()
        if code not in existing
    ]
    ReminderRule.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def rule_for(code: str) -> ReminderRule | None:
    """The dictionary row of a rule (made from its declaration if missing), or None for a
    code nobody registered (such a message goes to the message centre only)."""
    row = ReminderRule.objects.filter(code=code).first()
    if row is None and code in RULES:
        row, _created = ReminderRule.objects.get_or_create(
            code=code, defaults={"days_before": RULES[code].days_before}
        )
    return row


RULE_FIELDS = ("enabled", "days_before", "to_webhook")


@transaction.atomic
def reminder_rule_update(
    *,
    rule: ReminderRule,
    enabled: bool,
    days_before: int | None,
    to_webhook: bool,
    acting_user: Actor,
    version: int | None = None,
) -> ReminderRule:
    """Switch a rule on or off, set its working days before the deadline, its robots.
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    require_actor(acting_user)
    require(can_configure_rules(acting_user))
    lock_at_version(rule, version)
    declared = RULES.get(rule.code)
    if declared is not None and declared.days_before is None:
        days_before = None  # an event rule has no deadline to count back from
    elif days_before is None or days_before < 0 or days_before > 30:
        raise ValidationError({"days_before": _("Give a number of working days from 0 to 30.")})
    update_with_audit(
        rule,
        changes={"enabled": enabled, "days_before": days_before, "to_webhook": to_webhook},
        editable=RULE_FIELDS,
        audited=RULE_FIELDS,
        action="reminder_rule.update",
        acting_user=acting_user,
    )
    return rule


# --- the sender behind core.notify ---------------------------------------------------


def message_send(notice: Notice, users: list[Any]) -> int:
    """Store the notice in each recipient's message centre (one bulk insert) when its
    rule is on, and queue it for the organization's robots after the commit."""
    rule = rule_for(notice.rule)
    if rule is not None and not rule.enabled:
        return 0
    title = scrub(str(notice.title))[:200]
    body = scrub(str(notice.body))
    url = str(notice.url or "")[:500]
    source_type, source_id = _source(notice.source)
    org = notice.org if isinstance(notice.org, Organization) else None
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            recipient=user,
            rule=notice.rule,
            title=title,
            body=body,
            url=url,
            source_type=source_type,
            source_id=source_id,
            org=org,
            created_at=now,
        )
        for user in users
    )
    forget_unread(user.pk for user in users)
    if org is not None and rule is not None and rule.to_webhook:
        _queue_deliveries(org, rule=notice.rule, title=title, body=body, url=url, now=now)
    return len(users)


def _queue_deliveries(
    org: Organization, *, rule: str, title: str, body: str, url: str, now: dt.datetime
) -> list[int]:
    endpoints = list(WebhookEndpoint.objects.filter(org=org, enabled=True))
    if not endpoints:
        return []
    rows = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            rule=rule,
            title=title,
            body=body,
            url=url,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if not ids:  # backends that return no ids: the dispatch timer sends them
        return []
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return ids


def enqueue_deliveries(ids: list[int]) -> None:
    """Hand the deliveries to the background worker; if even that fails, the dispatch
    timer (``taizhang reminders dispatch``) picks them up: the write is never undone."""
    from taizhang.reminders.tasks import send_deliveries

    try:
        send_deliveries.enqueue(ids)
    except Exception:  # the write is committed; the timer retries
        logger.exception("Could not queue deliveries %s", ids)


# --- reading messages (the recipient's own bookkeeping, not audited) ------------------


def message_mark_read(*, message: Message, acting_user: Actor) -> Message:
    require_actor(acting_user)
    if message.recipient_id != getattr(acting_user, "pk", None):
        raise PermissionDenied
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
        forget_unread([message.recipient_id])
    return message


def messages_mark_all_read(*, acting_user: Actor) -> int:
    require_actor(acting_user)
    pk = getattr(acting_user, "pk", None)
    if pk is None:
        return 0
    count = Message.objects.filter(recipient_id=pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    forget_unread([pk])
    return count


# --- webhook endpoints ---------------------------------------------------------------

ENDPOINT_FIELDS = ("org", "kind", "name", "url", "secret", "enabled")


def _masked_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The audit trail records that the secret or URL changed, never their value."""
    for name in ("secret", "url"):
        if name in changes:
            changes[name] = ["***" if v else v for v in changes[name]]
    return changes


@transaction.atomic
def webhook_endpoint_create(
    *,
    org: Organization,
    kind: str,
    name: str,
    url: str,
    secret: str = "",
    enabled: bool = True,
    acting_user: Actor,
) -> WebhookEndpoint:
    require_actor(acting_user)
    ENDPOINT.require_org(acting_user, org)
    endpoint = WebhookEndpoint(
        org=org,
        kind=kind,
        name=name.strip(),
        url=url.strip(),
        secret=secret.strip(),
        enabled=enabled,
    )
    endpoint.full_clean()
    endpoint.save()
    changes = {k: [None, v] for k, v in snapshot(endpoint, ENDPOINT_FIELDS).items()}
    audit_record(
        actor=acting_user,
        action="webhook_endpoint.create",
        obj=endpoint,
        changes=_masked_changes(changes),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, acting_user: Actor, version: int | None = None, **fields: Any
) -> WebhookEndpoint:
    """Change an endpoint; an empty ``secret`` keeps the one stored (it is never shown).
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    require_actor(acting_user)
    ENDPOINT.require(acting_user, endpoint)
    lock_at_version(endpoint, version)
    if "org" in fields:
        ENDPOINT.require_org(acting_user, fields["org"])
    if not fields.get("secret"):
        fields.pop("secret", None)
    before = snapshot(endpoint, ENDPOINT_FIELDS)
    for name, value in fields.items():
        if name not in ENDPOINT_FIELDS:
            raise TypeError(f"Not editable here: {name}")
        setattr(endpoint, name, value.strip() if isinstance(value, str) else value)
    endpoint.full_clean()
    endpoint.save()
    changes = _masked_changes(diff(before, snapshot(endpoint, ENDPOINT_FIELDS)))
    audit_record(actor=acting_user, action="webhook_endpoint.update", obj=endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, acting_user: Actor) -> None:
    require_actor(acting_user)
    ENDPOINT.require(acting_user, endpoint)
    audit_record(
        actor=acting_user,
        action="webhook_endpoint.delete",
        obj=endpoint,
        changes={"name": [endpoint.name, None], "deliveries": [endpoint.deliveries.count(), 0]},
    )
    endpoint.delete()


# --- deliveries ----------------------------------------------------------------------


def delivery_attempt(delivery: Delivery, *, now: dt.datetime | None = None) -> Delivery:
    """Send one pending delivery once. Runs outside any transaction (a slow robot holds
    no lock); claiming by the attempt count keeps two workers from sending it twice."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        delivery.refresh_from_db()
        return delivery
    attempts = delivery.attempts + 1
    endpoint = delivery.endpoint
    channel = CHANNELS.get(endpoint.kind)
    content = Content(title=delivery.title, body=delivery.body, url=delivery.url)
    try:
        if channel is None:
            raise ChannelError(f"no channel for {endpoint.kind!r}")
        channel.deliver(endpoint=endpoint, content=content)
    except ChannelError as error:
        final = attempts > len(BACKOFF_MINUTES)
        fields: dict[str, Any] = {
            "status": DeliveryStatus.FAILED if final else DeliveryStatus.PENDING,
            "next_attempt_at": None
            if final
            else now + dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1]),
            "last_error": str(error)[:500],
        }
    else:
        fields = {
            "status": DeliveryStatus.SENT,
            "next_attempt_at": None,
            "sent_at": now,
            "last_error": "",
        }
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    delivery.refresh_from_db()
    return delivery


def deliveries_send(ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Attempt the given deliveries that are still pending; answer how many went out."""
    sent = 0
    for delivery in Delivery.objects.filter(
        pk__in=list(ids), status=DeliveryStatus.PENDING
    ).select_related("endpoint"):
        if delivery_attempt(delivery, now=now).status == DeliveryStatus.SENT:
            sent += 1
    return sent


def deliveries_dispatch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Attempt every pending delivery whose time has come (the 5-minute timer)."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    sent = deliveries_send(due, now=now)
    return {"attempted": len(due), "sent": sent}


@transaction.atomic
def delivery_retry(*, delivery: Delivery, acting_user: Actor) -> Delivery:
    """Give a failed delivery a fresh round of attempts, starting after the commit."""
    require_actor(acting_user)
    DELIVERY.require(acting_user, delivery)
    if delivery.status != DeliveryStatus.FAILED:
        raise ValidationError(_("Only a failed delivery can be retried."))
    before = snapshot(delivery, ("status", "attempts"))
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(
        actor=acting_user,
        action="delivery.retry",
        obj=delivery,
        changes=diff(before, snapshot(delivery, ("status", "attempts"))),
    )
    pk = delivery.pk
    transaction.on_commit(lambda: enqueue_deliveries([pk]))
    return delivery


# --- the daily run: deadline reminders and the digest --------------------------------


def _due_date(kind: Any, obj: Any) -> dt.date | None:
    if kind.due is None:
        return None
    value = kind.due(obj)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else None


def _kinds_for(user: Any) -> list[Any]:
    return sorted(
        (kind for kind in TODOS.values() if user.has_function(kind.permission)),
        key=lambda kind: (kind.order, kind.name),
    )


def _already_reminded(user: Any, source_type: str, source_id: str) -> bool:
    return Message.objects.filter(
        recipient=user, rule=DUE_SOON, source_type=source_type, source_id=source_id
    ).exists()


@transaction.atomic
def reminders_for_user(
    *, user: Any, today: dt.date, calendar: WorkCalendar, days_before: int | None
) -> dict[str, int]:
    """One person's deadline reminders and digest; answer what was sent."""
    counts: list[tuple[str, int]] = []
    overdue = 0
    reminded = 0
    seen: set[tuple[str, str]] = set()
    for kind in _kinds_for(user):
        items = list(kind.items(user)[:500])
        if not items:
            continue
        counts.append((str(kind.label), len(items)))
        for obj in items:
            due = _due_date(kind, obj)
            if due is None:
                continue
            if due < today:
                overdue += 1
                continue
            if days_before is None:
                continue
            left = calendar.workdays_between(today, due)
            source = _source(obj)
            if (
                left > days_before
                or source in seen
                or (source[0] and _already_reminded(user, *source))
            ):
                continue
            seen.add(source)
            title = kind.title(obj)
            if left == 0:
                subject = _("Due today: %(title)s") % {"title": title}
            else:
                subject = ngettext(
                    "Due in %(days)s working day: %(title)s",
                    "Due in %(days)s working days: %(title)s",
                    left,
                ) % {"days": left, "title": title}
            body = _("%(why)s Deadline: %(due)s.") % {"why": kind.why, "due": due.isoformat()}
            reminded += notify(
                recipients=[user],
                rule=DUE_SOON,
                title=subject,
                body=body,
                url=kind.url(obj),
                source=obj,
            )
    digests = 0
    total = sum(n for _label, n in counts)
    if total:
        unread = Message.objects.filter(recipient=user, read_at__isnull=True).count()
        lines = [_("%(label)s: %(count)s") % {"label": label, "count": n} for label, n in counts]
        if overdue:
            lines.append(_("Past their deadline: %(count)s") % {"count": overdue})
        lines.append(_("Unread messages: %(count)s") % {"count": unread})
        digests = notify(
            recipients=[user],
            rule=DIGEST,
            title=ngettext(
                "Today: %(count)s to-do waiting for you",
                "Today: %(count)s to-dos waiting for you",
                total,
            )
            % {"count": total},
            body="\n".join(lines),
            url="/workbench/",
        )
    return {"reminded": reminded, "digests": digests}


def reminders_daily(
    *,
    today: dt.date | None = None,
    acting_user: Actor = SYSTEM,
    progress: Callable[..., None] | None = None,
) -> dict[str, int]:
    """For every active person account with to-dos: the deadline reminders due today
    (once per item and rule) and the daily digest. Each person in their own transaction,
    so a long run never holds the database."""
    from taizhang.accounts.models import AccountKind, User

    require_actor(acting_user)
    if not is_system(acting_user):
        require(acting_user.has_function(CONFIGURE))
    day = today or timezone.localdate()
    rules_ensure()
    due_rule = rule_for(DUE_SOON)
    days_before = due_rule.days_before if due_rule is not None and due_rule.enabled else None
    calendar = WorkCalendar()
    users = list(User.objects.filter(is_active=True, kind=AccountKind.PERSON).order_by("pk"))
    result = {"people": 0, "reminded": 0, "digests": 0, "total": len(users)}
    for index, user in enumerate(users, start=1):
        sent = reminders_for_user(user=user, today=day, calendar=calendar, days_before=days_before)
        result["reminded"] += sent["reminded"]
        result["digests"] += sent["digests"]
        result["people"] += 1 if sent["reminded"] or sent["digests"] else 0
        if progress is not None:
            progress(index, len(users))
    return result
