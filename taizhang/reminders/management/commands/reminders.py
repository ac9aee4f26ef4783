"""``taizhang reminders daily`` (working days, 07:30) and ``taizhang reminders dispatch``
(every 5 minutes): the scheduled work of the reminders module."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "daily: queue the deadline reminders and digests; dispatch: send deliveries due for retry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["daily", "dispatch"])
        parser.add_argument("--date", help="daily: the day to run for (YYYY-MM-DD), default today")
        parser.add_argument(
            "--now", action="store_true", help="daily: run in this process instead of the worker"
        )
        parser.add_argument("--force", action="store_true", help="daily: run even on a rest day")

    def handle(self, *args: Any, **options: Any) -> None:
        from taizhang.core.actors import SYSTEM
        from taizhang.core.calendar import is_workday
        from taizhang.core.jobs import job_start
        from taizhang.reminders.services import deliveries_dispatch, reminders_daily

        if options["action"] == "dispatch":
            result = deliveries_dispatch()
            self.stdout.write(f"reminders dispatch: {result['sent']} of {result['attempted']} sent")
            return
        try:
            day = (
                dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            )
        except ValueError as error:
            raise CommandError(f"--date: {error}") from error
        if not options["force"] and not is_workday(day):
            self.stdout.write(f"reminders daily: {day} is not a working day, nothing sent")
            return
        if options["now"]:
            result = reminders_daily(today=day, acting_user=SYSTEM)
            self.stdout.write(
                f"reminders daily {day}: {result['reminded']} deadline reminders, "
                f"{result['digests']} digests"
            )
            return
        job = job_start(
            kind="reminders.daily",
            label=f"reminders daily {day}",
            params={"date": day.isoformat()},
            acting_user=SYSTEM,
        )
        self.stdout.write(f"reminders daily {day}: queued as task {job.pk}")
