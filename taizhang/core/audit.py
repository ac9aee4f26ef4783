"""Record audit events and verify the chain.

Services call :func:`audit_record` once per write, inside their transaction. The
request's IP address reaches it through :mod:`taizhang.core.request_context`, so
services never take a ``request``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core import audit_checkpoint
from taizhang.core.actors import SYSTEM, is_system, require_actor
from taizhang.core.audit_checkpoint import Loaded
from taizhang.core.models import AuditEvent, AuditHead, AuditOutcome
from taizhang.core.registry import AUDIT_ORG, register_audit_action, register_audit_fields
from taizhang.core.request_context import current_ip

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """Make a field value JSON-friendly and stable for hashing."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Return the named fields of ``instance`` as plain values (FKs by id)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _plain(getattr(instance, attname))
    return result


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field changes as ``{field: [old, new]}``; unchanged fields are left out."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)
    }


def _canonical(event: AuditEvent, *, legacy: bool = False) -> bytes:
    payload = {
        "id": event.pk,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip": event.ip,
        "outcome": event.outcome,
        "previous": event.previous_digest,
    }
    if not legacy:
        payload["key_version"] = event.key_version
    if event.scope_org is not None:
        # Rows sealed before the column existed have none and keep their digest.
        payload["scope_org"] = event.scope_org
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()


class UnknownKeyVersion(LookupError):
    """A row names an audit key version that settings.AUDIT_KEYS does not hold."""

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def audit_keys() -> dict[int, str]:
    """The configured keys, current first (``TAIZHANG_AUDIT_KEYS``; see config/settings)."""
    keys: dict[int, str] = dict(getattr(settings, "AUDIT_KEYS", {}) or {})
    if not keys:
        raise ImproperlyConfigured("No audit key: set TAIZHANG_AUDIT_KEYS (docs/backup.md)")
    return keys


def current_key_version() -> int:
    return next(iter(audit_keys()))


def compute_digest(event: AuditEvent, *, legacy: bool = False) -> str:
    """HMAC-SHA256 of the row with the key of its own ``key_version``.

    ``legacy`` reads a row sealed before key versions existed (its digest leaves the
    version out); only rows up to ``AuditHead.legacy_through`` are read that way.
    """
    key = audit_keys().get(event.key_version)
    if key is None:
        raise UnknownKeyVersion(event.key_version)
    return hmac.new(key.encode(), _canonical(event, legacy=legacy), hashlib.sha256).hexdigest()


def audit_org_of(obj: models.Model) -> int | None:
    """The id of the organization ``obj`` belongs to, as the organizations module tells
    (``core.registry.AuditOrgHook``); None where none is registered or it has none."""
    hook = AUDIT_ORG.get("hook")
    return hook.of(obj) if hook is not None else None


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditHead.objects.create(pk=1)
    return head


@transaction.atomic
def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the chain. Call it from the service, inside its transaction."""
    require_actor(actor)
    head = _lock_head()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    actor_id = None if is_system(actor) else getattr(actor, "pk", None)
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor_id,
        actor_name=getattr(actor, "username", "") if actor_id else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=_plain(changes or {}),
        ip=current_ip(),
        outcome=outcome,
        previous_digest=head.last_digest or GENESIS,
        key_version=current_key_version(),
        scope_org=audit_org_of(obj) if obj is not None else None,
        # The id is part of the digest, so insert first and seal the row right after.
        digest=f"pending-{head.count + 1}-{head.last_event_id}",
    )
    event.save(force_insert=True)
    event.digest = compute_digest(event)
    AuditEvent.objects.filter(pk=event.pk).update(digest=event.digest)
    head.last_event_id = event.pk
    head.last_digest = event.digest
    head.count += 1
    head.save(update_fields=["last_event_id", "last_digest", "count"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    # Set when the break looks like a missing or wrong key rather than a changed row: a
    # row names a key version that is not configured, or the first row sealed with a
    # version already fails (every row of that version would).
    key_problem: bool = False
    # The newest verified event (what a checkpoint records, audit_checkpoint.py).
    last_id: int = 0
    last_digest: str = ""
    # The chain does not hold a signed checkpoint, or the checkpoint file does not verify.
    checkpoint_problem: bool = False
    # The events a purge checkpoint removed are still there: its commit failed.
    unfinished_purge: bool = False
    # How many checkpoints (since the last purge) the intact chain was found to hold.
    checkpoints: int = 0


def audit_verify(
    batch_size: int = 2000,
    progress: Callable[[int, int], Any] | None = None,
    checkpoints: Loaded | None = None,
) -> VerifyResult:
    """Walk the chain in id order and name the first row that does not fit.

    ``progress(done, total)`` is told after every ``batch_size`` rows (the page's task).

    Each row is checked with the key of its own version, so rows sealed before a
    rotation stay verifiable as long as their key stays configured.

    The chain must also hold every signed checkpoint written since the last purge
    (``audit_checkpoint``, read from the file outside the database unless
    ``checkpoints`` is given): the event at each checkpoint's id, with its digest, as the
    checkpoint's count-th event. That is what the head, which lives in the same
    database, cannot vouch for: a truncated or wiped table with a reset head, or a chain
    rewritten and re-sealed.
    """
    audit_keys()
    loaded = checkpoints if checkpoints is not None else audit_checkpoint.load()
    if loaded.problem:
        return VerifyResult(
            False, 0, None, loaded.problem, key_problem=loaded.key_problem, checkpoint_problem=True
        )
    # A purge restarts the chain at its first kept event; checkpoints written before it
    # describe events that are gone on purpose and only had their signature checked.
    anchored = loaded.checkpoints
    purge = next((cp for cp in reversed(anchored) if cp.kind == audit_checkpoint.PURGE), None)
    if purge is not None:
        anchored = anchored[anchored.index(purge) :]
    pending = sorted(anchored, key=lambda cp: cp.last_id)
    previous = purge.first_kept_previous if purge is not None else GENESIS
    checked = 0
    last_id = 0
    head = AuditHead.objects.filter(pk=1).first()
    legacy_through = head.legacy_through if head else 0
    seen_versions: set[int] = set()
    rows = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    for event in rows:
        if purge is not None and checked == 0 and event.pk != purge.first_kept_id:
            if event.pk < purge.first_kept_id:
                reason = _(
                    "events before #%(id)s are still there although the purge checkpoint of"
                    " %(time)s removed them: the purge did not finish; run it again"
                )
            else:
                reason = _(
                    "the chain starts at event #%(first)s, but the purge checkpoint of"
                    " %(time)s starts it at #%(id)s: the oldest events were deleted"
                )
            return VerifyResult(
                False,
                checked,
                event.pk,
                reason % {"id": purge.first_kept_id, "first": event.pk, "time": purge.when},
                checkpoint_problem=True,
                unfinished_purge=event.pk < purge.first_kept_id,
            )
        if pending and pending[0].last_id < event.pk:
            missing = pending[0]
            return VerifyResult(
                False,
                checked,
                missing.last_id,
                _("event #%(id)s, recorded by the checkpoint of %(time)s, is missing")
                % {"id": missing.last_id, "time": missing.when},
                checkpoint_problem=True,
            )
        if event.previous_digest != previous:
            return VerifyResult(
                False, checked, event.pk, "previous digest does not match the row before it"
            )
        legacy = event.pk <= legacy_through
        if legacy and event.key_version != 1:
            return VerifyResult(
                False,
                checked,
                event.pk,
                f"sealed before key versions existed but names key version {event.key_version}",
            )
        try:
            digest = compute_digest(event, legacy=legacy)
        except UnknownKeyVersion as unknown:
            configured = ", ".join(str(v) for v in audit_keys())
            return VerifyResult(
                False,
                checked,
                event.pk,
                f"sealed with audit key version {unknown.version}, which is not configured "
                f"(configured: {configured})",
                key_problem=True,
            )
        if digest != event.digest:
            first_of_version = event.key_version not in seen_versions
            reason = "content does not match its digest"
            if first_of_version:
                reason += (
                    f" (it is the first row sealed with key version {event.key_version}:"
                    " a wrong key for that version reads the same way)"
                )
            return VerifyResult(False, checked, event.pk, reason, key_problem=first_of_version)
        seen_versions.add(event.key_version)
        previous = event.digest
        last_id = event.pk
        checked += 1
        while pending and pending[0].last_id == event.pk:
            mark = pending.pop(0)
            if mark.last_digest != event.digest:
                return VerifyResult(
                    False,
                    checked - 1,
                    event.pk,
                    _(
                        "event #%(id)s does not have the digest the checkpoint of %(time)s"
                        " recorded: the chain was rewritten"
                    )
                    % {"id": event.pk, "time": mark.when},
                    checkpoint_problem=True,
                )
            if mark.count != checked:
                return VerifyResult(
                    False,
                    checked - 1,
                    event.pk,
                    _(
                        "the chain holds %(checked)s events up to #%(id)s, but the checkpoint"
                        " of %(time)s recorded %(count)s"
                    )
                    % {"id": event.pk, "checked": checked, "count": mark.count, "time": mark.when},
                    checkpoint_problem=True,
                )
        if progress is not None and checked % batch_size == 0:
            progress(checked, head.count if head else checked)
    if pending:
        newest = pending[-1]
        values = {
            "id": newest.last_id,
            "count": newest.count,
            "time": newest.when,
            "last": last_id,
            "checked": checked,
        }
        if checked == 0:
            reason = _(
                "the audit table is empty, but the checkpoint of %(time)s recorded %(count)s"
                " events up to #%(id)s: the trail was wiped"
            )
        else:
            reason = _(
                "the chain ends at event #%(last)s (%(checked)s events), but the checkpoint"
                " of %(time)s recorded %(count)s events up to #%(id)s: the newest events"
                " were deleted"
            )
        return VerifyResult(
            False, checked, newest.last_id, reason % values, checkpoint_problem=True
        )
    expected = head.count if head else 0
    if head and (
        head.last_event_id != last_id or head.last_digest != (previous if checked else "")
    ):
        return VerifyResult(
            False, checked, head.last_event_id, "the newest rows are missing or were replaced"
        )
    if checked != expected:
        return VerifyResult(False, checked, last_id, f"expected {expected} rows, found {checked}")
    return VerifyResult(
        True,
        checked,
        last_id=last_id,
        last_digest=previous if checked else "",
        checkpoints=len(anchored),
    )


KEY_HINT = (
    "This looks like a missing or wrong audit key, not necessarily a changed row: the key "
    "is not in the database or in backups. Set TAIZHANG_AUDIT_KEYS with every version the "
    "chain uses, from escrow (docs/backup.md)."
)


def verify_message(result: VerifyResult) -> str:
    """The one-line failure text of ``audit verify`` (restore prints it too)."""
    if result.checkpoint_problem:
        where = f" at event #{result.broken_id}" if result.broken_id is not None else ""
        message = (
            f"Audit checkpoint check failed{where}: {result.reason} "
            f"({result.checked} events verified before it)."
        )
        return f"{message} {KEY_HINT}" if result.key_problem else message
    message = (
        f"Audit chain broken at event #{result.broken_id}: {result.reason} "
        f"({result.checked} events verified before it)."
    )
    return f"{message} {KEY_HINT}" if result.key_problem else message


# --- retention ---------------------------------------------------------------------

# 等保 level 3 asks for audit records of at least six months; the setting can only
# lengthen it.
RETENTION_MINIMUM_DAYS = 180
PURGE_ACTION = "audit.purge"
register_audit_action(PURGE_ACTION, gettext_lazy("Audit events older than the retention purged"))
register_audit_fields(
    {
        "before": gettext_lazy("purged before"),
        "purged": gettext_lazy("events purged"),
        "first_kept_id": gettext_lazy("first kept event"),
        "retention_days": gettext_lazy("retention (days)"),
    },
    object_type="core.auditevent",
)


class PurgeRefused(Exception):
    """``audit purge`` will not run; the message says why and what to do."""


def retention_days() -> int:
    """``TAIZHANG_AUDIT_RETENTION_DAYS`` (a setting, else the environment): default and
    minimum 180."""
    value: Any = getattr(settings, "TAIZHANG_AUDIT_RETENTION_DAYS", None)
    if value in (None, ""):
        value = os.environ.get("TAIZHANG_AUDIT_RETENTION_DAYS", "").strip() or (
            RETENTION_MINIMUM_DAYS
        )
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"TAIZHANG_AUDIT_RETENTION_DAYS must be a whole number of days, not {value!r}"
        ) from None
    if days < RETENTION_MINIMUM_DAYS:
        raise ImproperlyConfigured(
            f"TAIZHANG_AUDIT_RETENTION_DAYS is {days}: audit events are kept at least "
            f"{RETENTION_MINIMUM_DAYS} days (等保 level 3)"
        )
    return days


def _owns_audit_table(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class"
            " WHERE oid = %s::regclass",
            [AuditEvent._meta.db_table],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    before: dt.date
    first_kept_id: int = 0
    event: AuditEvent | None = None
    checkpoint: dict[str, Any] | None = None


def audit_purge(
    before: dt.date, *, actor: Any = SYSTEM, using: str = DEFAULT_DB_ALIAS
) -> PurgeResult:
    """Delete the events that occurred before ``before`` (local midnight), the oldest
    first and only as a prefix of the chain, and record it: an ``audit.purge`` event and
    a signed purge checkpoint naming the first kept event and its previous digest, so
    ``audit_verify`` starts the chain there. Refused for a date younger than the
    retention, on a chain that does not verify (the evidence stays), and on PostgreSQL
    for a role that does not own the audit table (only the owner may switch its
    append-only trigger off, and does so inside the purge's transaction alone).

    The checkpoint line is written before the transaction commits: should the commit
    fail, ``audit verify`` names the events the checkpoint says are gone, and running
    the purge again finishes it.
    """
    days = retention_days()
    latest = timezone.localdate() - dt.timedelta(days=days)
    if before > latest:
        raise PurgeRefused(
            f"Audit events are kept at least {days} days (TAIZHANG_AUDIT_RETENTION_DAYS): "
            f"--before may be {latest.isoformat()} at the latest, not {before.isoformat()}."
        )
    conn = connections[using]
    postgresql = conn.vendor == "postgresql"
    if postgresql and not _owns_audit_table(using):
        raise PurgeRefused(
            "The database role of this connection does not own the audit table, so it "
            "cannot lift the append-only trigger: run the purge with the owner's role "
            "(TAIZHANG_DATABASE_URL of the role that ran `taizhang migrate`; docs/backup.md)."
        )
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    table = AuditEvent._meta.db_table
    with audit_checkpoint.exclusive():
        verified = audit_verify()
        if not verified.ok and verified.unfinished_purge:
            # A purge whose commit failed after its checkpoint was written: the chain must
            # verify without that line, and this purge finishes the job.
            loaded = audit_checkpoint.load()
            marks = list(loaded.checkpoints)
            unfinished = max(i for i, cp in enumerate(marks) if cp.kind == audit_checkpoint.PURGE)
            verified = audit_verify(
                checkpoints=Loaded(marks[:unfinished] + marks[unfinished + 1 :])
            )
        if not verified.ok:
            raise PurgeRefused(
                "The audit chain does not verify, so nothing is purged (the evidence "
                f"stays): {verify_message(verified)}"
            )
        with transaction.atomic(using=using):
            head = _lock_head()
            # Events appended since the verification are new, so never purged.
            first_kept = AuditEvent.objects.filter(occurred_at__gte=cutoff).order_by("id").first()
            boundary = first_kept.pk if first_kept else head.last_event_id + 1
            doomed = AuditEvent.objects.filter(pk__lt=boundary)
            last_purged = doomed.order_by("-id").first()
            if last_purged is None:
                return PurgeResult(0, before)
            count = doomed.count()
            with conn.cursor() as cursor:
                if postgresql:
                    cursor.execute(
                        f"ALTER TABLE {table} DISABLE TRIGGER core_auditevent_append_only"
                    )
                cursor.execute(f"DELETE FROM {table} WHERE id < %s", [boundary])  # noqa: S608
                if postgresql:
                    cursor.execute(
                        f"ALTER TABLE {table} ENABLE TRIGGER core_auditevent_append_only"
                    )
            head.count -= count
            head.save(update_fields=["count"])
            event = audit_record(
                actor=actor,
                action=PURGE_ACTION,
                object_type="core.auditevent",
                object_repr=_("events before %(date)s") % {"date": before.isoformat()},
                changes={
                    "before": before.isoformat(),
                    "purged": count,
                    "first_kept_id": first_kept.pk if first_kept else None,
                    "retention_days": days,
                },
            )
            head = AuditHead.objects.get(pk=1)
            first_kept_id = first_kept.pk if first_kept else event.pk
            checkpoint = audit_checkpoint.write(
                kind=audit_checkpoint.PURGE,
                count=head.count,
                last_id=head.last_event_id,
                last_digest=head.last_digest,
                extra={
                    "before": before.isoformat(),
                    "purged": count,
                    "first_kept_id": first_kept_id,
                    "first_kept_previous": last_purged.digest,
                },
            )
    return PurgeResult(count, before, first_kept_id, event, checkpoint)
