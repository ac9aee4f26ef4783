from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from taizhang.core import audit_checkpoint
from taizhang.core.audit import (
    KEY_HINT,
    PurgeRefused,
    audit_keys,
    audit_purge,
    audit_verify,
    verify_message,
)
from taizhang.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' checks the hash chain and names the first broken row; "
        "'keys' lists the configured key versions and how many events each sealed; "
        "'checkpoint' verifies the chain and appends a signed checkpoint of it to the "
        "checkpoint file outside the database (run it from a timer); 'purge --before "
        "YYYY-MM-DD' deletes events older than the retention (180 days at least), with "
        "the owner's database role, and records it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "keys", "checkpoint", "purge"])
        parser.add_argument(
            "--before",
            type=dt.date.fromisoformat,
            help="purge: delete the events that occurred before this day (YYYY-MM-DD), "
            "at least TAIZHANG_AUDIT_RETENTION_DAYS (180) ago",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "keys":
            self._keys()
            return
        if action == "purge":
            self._purge(options["before"])
            return
        if action == "checkpoint":
            with audit_checkpoint.exclusive():
                result = audit_verify()
                if not result.ok:
                    raise CommandError(verify_message(result))
                self._checkpoint(result.checked, result.last_id, result.last_digest)
            return
        result = audit_verify()
        if not result.ok:
            raise CommandError(verify_message(result))
        path = audit_checkpoint.checkpoint_path()
        held = (
            f"; it holds its {result.checkpoints} checkpoints ({path})"
            if result.checkpoints
            else f"; no checkpoint yet ({path})"
        )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} events{held}."))

    def _checkpoint(self, count: int, last_id: int, last_digest: str) -> None:
        """Only a chain that verified is checkpointed; the line is printed too, so the
        timer's journal keeps a second copy of it."""
        written = audit_checkpoint.write(count=count, last_id=last_id, last_digest=last_digest)
        path = audit_checkpoint.checkpoint_path()
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {count} events; checkpoint at event #{last_id} "
                f"appended to {path}."
            )
        )
        self.stdout.write(json.dumps(written, sort_keys=True, ensure_ascii=False))

    def _purge(self, before: dt.date | None) -> None:
        if before is None:
            raise CommandError("audit purge needs --before YYYY-MM-DD")
        try:
            result = audit_purge(before)
        except PurgeRefused as refused:
            raise CommandError(f"Purge refused: {refused}") from refused
        if not result.purged:
            self.stdout.write(f"No audit events before {before.isoformat()}: nothing purged.")
            return
        assert result.event is not None  # noqa: S101 - a purge that deleted records itself
        self.stdout.write(
            self.style.SUCCESS(
                f"Purged {result.purged} audit events before {before.isoformat()}; the chain "
                f"now starts at event #{result.first_kept_id}. Recorded as event "
                f"#{result.event.pk} (audit.purge) and in a signed purge checkpoint."
            )
        )
        self.stdout.write(json.dumps(result.checkpoint, sort_keys=True, ensure_ascii=False))

    def _keys(self) -> None:
        configured = list(audit_keys())
        used = dict(
            # order_by() drops Meta.ordering, which would otherwise split the groups by id.
            AuditEvent.objects.order_by()
            .values("key_version")
            .annotate(n=Count("id"))
            .values_list("key_version", "n")
        )
        for version in sorted(set(configured) | set(used), reverse=True):
            state = "current" if version == configured[0] else "verify only"
            if version not in configured:
                state = "NOT CONFIGURED"
            self.stdout.write(f"version {version}: {state}, {used.get(version, 0)} events")
        missing = sorted(set(used) - set(configured))
        if missing:
            raise CommandError(
                f"Events sealed with key versions {missing} cannot be verified. {KEY_HINT}"
            )
