"""``taizhang bench_excel``: Excel import and export at district size (a benchmark).

Runs each step of ``taizhang/ingest/bench.py`` in a fresh SQLite database of its own,
in a process of its own with the production settings, and prints rows per second and
peak memory; the report goes to ``var/bench/excel.json``. ``--scale 0.1`` is a quick run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Excel import/export benchmark; writes var/bench/excel.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the issue's sizes")
        parser.add_argument("--step", default="", help="run one step in this process")
        parser.add_argument("--only", default="", help="comma-separated steps to run")

    def handle(self, *args: Any, **options: Any) -> None:
        from taizhang.ingest.bench import STEPS, run_step

        if options["step"]:
            result = run_step(options["step"], options["scale"])
            self.stdout.write("BENCH-JSON " + json.dumps(result))
            return
        steps = [s for s in options["only"].split(",") if s] or list(STEPS)
        report: dict[str, Any] = {"scale": options["scale"], "cpus": os.cpu_count()}
        for name in steps:
            with tempfile.TemporaryDirectory(prefix=f"bench-excel-{name}-") as var:
                env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}
                env.update(
                    DJANGO_SETTINGS_MODULE="config.settings.prod",
                    TAIZHANG_SECRET_KEY="bench-" + os.urandom(16).hex(),
                    TAIZHANG_AUDIT_KEY="bench-" + os.urandom(16).hex(),
                    TAIZHANG_DATA_KEY="bench-" + os.urandom(24).hex(),
                    TAIZHANG_ALLOWED_HOSTS="127.0.0.1",
                    TAIZHANG_VAR_DIR=var,
                )
                self.stderr.write(f"bench_excel: {name} (scale {options['scale']:g})…")
                command = [sys.executable, "-m", "taizhang", "bench_excel", "--step", name]
                command += ["--scale", str(options["scale"])]
                done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
                if done.returncode != 0:
                    raise CommandError(f"step {name} failed:\n{done.stderr[-4000:]}")
                line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON "))
                report[name] = json.loads(line.removeprefix("BENCH-JSON "))
                self.stderr.write(f"  {json.dumps(report[name], ensure_ascii=False)}")
        target = Path(settings.VAR_DIR) / "bench" / "excel.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
