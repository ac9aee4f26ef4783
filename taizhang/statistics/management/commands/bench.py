"""``taizhang bench``: build a city-scale data set in its own database and measure the
data scope, dashboards, raw reads, growth and requests per second. A benchmark, not a
test: it prints what it measured and writes ``var/bench/report.json``.

The data set is kept between runs (``--rebuild`` makes it anew); ``--scale 0.1`` gives a
quick run; ``--database-url postgresql://…/taizhang_bench`` runs on PostgreSQL (the
database is created when missing and must not be your working one).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.statistics.bench.report import summarize, write_markdown


class Command(BaseCommand):
    help = "City-scale benchmark; writes var/bench/report.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = about 5M rows")
        parser.add_argument("--rebuild", action="store_true", help="generate the data anew")
        parser.add_argument("--database-url", default="", help="PostgreSQL URL of a bench DB")
        parser.add_argument("--seconds", type=float, default=10.0, help="load per level")
        parser.add_argument("--no-http", action="store_true", help="skip requests per second")
        parser.add_argument("--markdown", default="", help="also write the tables here")
        parser.add_argument(
            "--only",
            default="",
            choices=["", "lists"],
            help="lists: only the ledger list pages and searches (no HTTP load)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bench_dir = Path(settings.VAR_DIR) / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("TAIZHANG_")}
        # Production settings (DEBUG off) for the measuring process as for the server.
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
        env["TAIZHANG_SECRET_KEY"] = "bench-" + os.urandom(16).hex()
        env["TAIZHANG_AUDIT_KEY"] = "bench-" + os.urandom(16).hex()
        # One data key for every run: the bench data sets are kept between runs, and a
        # row encrypted under one run's key must read in the next (ADR 0058).
        key_file = bench_dir / "data.key"
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("bench-" + os.urandom(24).hex())
        env["TAIZHANG_DATA_KEY"] = key_file.read_text().strip()
        env["TAIZHANG_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        scale = options["scale"]
        if options["database_url"]:
            url = options["database_url"]
            _ensure_postgres_database(url, rebuild=options["rebuild"])
            env["TAIZHANG_DATABASE_URL"] = url
            engine = "postgresql"
        else:
            data_dir = bench_dir / f"sqlite-scale-{scale:g}"
            if options["rebuild"] and data_dir.exists():
                shutil.rmtree(data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            env["TAIZHANG_VAR_DIR"] = str(data_dir)
            engine = "sqlite"
        started = time.perf_counter()
        worker = [sys.executable, "-m", "taizhang", "bench_worker", "--scale", str(scale)]
        if options["rebuild"]:
            worker.append("--rebuild")
        if options["only"]:
            worker += ["--only", options["only"]]
        self.stderr.write(f"Preparing and measuring the {engine} data set (scale {scale:g})…")
        done = subprocess.run(worker, env=env, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise CommandError(f"bench worker failed:\n{done.stderr[-4000:]}")
        line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON "))
        report = json.loads(line.removeprefix("BENCH-JSON "))
        token = report.pop("token")
        targets = report.pop("http_targets")
        if not options["no_http"] and not options["only"]:
            report["http"] = _http(env, token, targets, options["seconds"])
        report["machine"] = {
            "engine": engine,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "scale": scale,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        }
        report["total_seconds"] = round(time.perf_counter() - started, 1)
        if options["only"]:
            target = bench_dir / f"report-{options['only']}-{engine}.json"
            target.write_text(json.dumps(report, indent=2, ensure_ascii=False))
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
            self.stderr.write(f"Report written to {target}")
            return
        report["goals"] = summarize(report)
        target = bench_dir / "report.json"
        target.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        # The latest report of each engine is kept too, to compare the two.
        (bench_dir / f"report-{engine}.json").write_text(target.read_text())
        if options["markdown"]:
            write_markdown(report, Path(options["markdown"]))
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        self.stderr.write(f"Report written to {target}")


def _http(
    env: dict[str, str], token: str, targets: dict[str, str], seconds: float
) -> dict[str, Any]:
    """Each level through gunicorn with the shipped production settings, then with
    persistent database connections (``bench/settings.py``): single-request latency
    on an idle server and requests per second under four keep-alive clients."""
    from taizhang.statistics.bench.load import Server, latency, throughput

    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, Any] = {}
    for name, module in (
        ("prod_settings", "config.settings.prod"),
        ("persistent_connections", "taizhang.statistics.bench.settings"),
    ):
        with Server(env, settings=module) as server:
            result[name] = {
                level: {
                    "latency": latency(server.port, path, headers, min(seconds, 3.0)),
                    "load": throughput(server.port, path, headers, seconds),
                }
                for level, path in targets.items()
            }
    return result


def _ensure_postgres_database(url: str, *, rebuild: bool) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name in {"test", "postgres", "taizhang"}:
        raise CommandError("Use a database of its own for the benchmark, e.g. taizhang_bench.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and rebuild:
            connection.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
