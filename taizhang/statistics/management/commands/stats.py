"""``taizhang stats refresh [metric ...]``: rebuild the monthly figures from the records.

``taizhang stats check`` compares every stored subtree total with the records and exits
non-zero naming the first figure that differs.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.statistics import rollups


class Command(BaseCommand):
    help = "Rebuild (refresh) or verify (check) the pre-aggregated monthly figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh", "check"])
        parser.add_argument("metrics", nargs="*", help="metric names; all when omitted")

    def handle(self, *args: Any, action: str, metrics: list[str], **options: Any) -> None:
        known = {m.name for m in rollups.additive_metrics()}
        unknown = sorted(set(metrics) - known)
        if unknown:
            raise CommandError(f"Not an additive metric: {', '.join(unknown)}")
        if action == "refresh":
            started = time.perf_counter()
            counts = rollups.refresh_all(metrics or None)
            for name, rows in counts.items():
                self.stdout.write(f"{name}: {rows} rows")
            elapsed = time.perf_counter() - started
            self.stdout.write(f"Refreshed {len(counts)} metrics in {elapsed:.1f} s.")
            return
        problems = rollups.check(metrics or None)
        if problems:
            raise CommandError(f"{len(problems)} figures differ; first: {problems[0]}")
        self.stdout.write("Every stored figure equals its records.")
