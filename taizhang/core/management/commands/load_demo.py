from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from taizhang.core.demo import DEMO_PASSWORD, load_demo
from taizhang.core.models import AuditEvent


class Command(BaseCommand):
    help = "Load the demo district into an empty database and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Every write goes through a service and leaves an audit event, so an empty
        # audit trail means nothing was ever entered (core reads no module's tables).
        if AuditEvent.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Database already holds data; demo not loaded.")
                return
            self.stderr.write("Database is not empty; the demo loads only into an empty one.")
            raise SystemExit(1)
        ctx = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo district loaded."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, description in ctx.logins:
            self.stdout.write(f"  {username:<10} {description}")
