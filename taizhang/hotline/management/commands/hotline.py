"""``taizhang hotline dispatch`` (a timer, every few minutes): send the pushes due for a
retry. The worker retries on its own when its backend defers tasks; this catches the rest
(a worker that was down, a queue that refused the task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "dispatch: send the 12345 hotline pushes due for a retry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["dispatch"])

    def handle(self, *args: Any, **options: Any) -> None:
        from taizhang.hotline.services import pushes_dispatch

        result = pushes_dispatch()
        self.stdout.write(f"hotline dispatch: {result['sent']} of {result['attempted']} sent")
