from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. 'verify' checks the hash chain and names the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain broken at event #{result.broken_id}: {result.reason} "
                f"({result.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {result.checked} events."))
