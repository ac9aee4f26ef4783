from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from taizhang.core.audit import KEY_HINT, audit_keys, audit_verify, verify_message
from taizhang.core.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'verify' checks the hash chain and names the first broken row; "
        "'keys' lists the configured key versions and how many events each sealed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "keys"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "keys":
            self._keys()
            return
        result = audit_verify()
        if not result.ok:
            raise CommandError(verify_message(result))
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} events."))

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
