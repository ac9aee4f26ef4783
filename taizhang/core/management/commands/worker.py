"""``taizhang worker``: run background tasks (imports, large exports) from the database queue.

A thin front to django-tasks' database worker with this project's defaults: a short
polling interval so a person watching a progress bar sees the job start at once, and no
start-up delay. ``--batch`` runs what is queued and exits (for cron, tests and CI).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run queued background tasks (imports, large exports); --batch to drain and exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is queued and exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        from taizhang.core.jobs import job_reap_stale

        # Jobs left running by a worker that died (killed, machine restarted) are failed;
        # their transactions were rolled back by the database.
        reaped = job_reap_stale()
        if reaped and options["verbosity"]:
            self.stderr.write(f"taizhang worker: {reaped} interrupted task(s) marked failed")
        extra: dict[str, Any] = {}
        if options["max_tasks"]:
            extra["max_tasks"] = options["max_tasks"]
        call_command(
            "db_worker",
            interval=options["interval"],
            batch=options["batch"],
            startup_delay=False,
            verbosity=options["verbosity"],
            **extra,
        )
