"""Internal: the part of ``taizhang bench`` that runs inside the bench database."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run by 'taizhang bench' with the bench database configured; prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--only", default="", choices=["", "lists"])

    def handle(self, *args: Any, scale: float, rebuild: bool, only: str, **options: Any) -> None:
        from taizhang.statistics.bench.run import run

        report = run(scale, rebuild, only)
        self.stdout.write("BENCH-JSON " + json.dumps(report, default=str))
