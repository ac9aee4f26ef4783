"""Requests per second through a real server: gunicorn (2 workers, threads) on this
machine, driven by ApacheBench (``ab -k``, keep-alive) when it is installed, else by
Python client processes; latency of single requests by one keep-alive client."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """gunicorn serving taizhang with production settings against the bench database."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        threads: int = 4,
        settings: str = "config.settings.prod",
    ) -> None:
        self.port = _free_port()
        self.env = {
            **env,
            "DJANGO_SETTINGS_MODULE": settings,
            "TAIZHANG_SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "TAIZHANG_AUDIT_KEY": env.get("TAIZHANG_AUDIT_KEY") or "bench-" + os.urandom(16).hex(),
            # The generator's and the server's processes must share one data key.
            "TAIZHANG_DATA_KEY": env.get("TAIZHANG_DATA_KEY") or "bench-" + os.urandom(24).hex(),
            "TAIZHANG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def _client(args: tuple[int, str, dict[str, str], float]) -> tuple[int, int, list[float]]:
    port, path, headers, seconds = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = failed = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        latencies.append((time.perf_counter() - started) * 1000)
        done += ok
        failed += not ok
    connection.close()
    return done, failed, latencies


def latency(port: int, path: str, headers: dict[str, str], seconds: float) -> dict[str, Any]:
    """One client, one request at a time: end-to-end time of a request on an idle server."""
    _client((port, path, headers, min(1.0, seconds)))  # warm-up
    done, failed, samples = _client((port, path, headers, seconds))
    samples.sort()
    return {
        "requests": done,
        "failed": failed,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95)], 2),
    }


def throughput(
    port: int, path: str, headers: dict[str, str], seconds: float, clients: int = 4
) -> dict[str, Any]:
    """Requests per second with ``clients`` concurrent keep-alive connections."""
    _client((port, path, headers, min(1.0, seconds)))  # warm-up
    if shutil.which("ab"):
        return _apache_bench(port, path, headers, seconds, clients)
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.perf_counter()
        results = pool.map(_client, [(port, path, headers, seconds)] * clients)
        elapsed = time.perf_counter() - started
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    return {
        "tool": "python",
        "requests": done,
        "failed": failed,
        "clients": clients,
        "requests_per_second": round(done / elapsed, 1),
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_ms": round(latencies[int(len(latencies) * 0.95)], 2) if latencies else None,
    }


def _apache_bench(
    port: int, path: str, headers: dict[str, str], seconds: float, clients: int
) -> dict[str, Any]:
    command = ["ab", "-q", "-k", "-c", str(clients), "-t", f"{seconds:g}", "-n", "10000000"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603

    def number(label: str) -> float:
        found = re.search(rf"^{label}:\s+([0-9.]+)", out, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    def percentile(pct: int) -> float | None:
        found = re.search(rf"^\s+{pct}%\s+([0-9]+)", out, re.MULTILINE)
        return float(found.group(1)) if found else None

    complete = int(number("Complete requests"))
    failed = int(number("Failed requests") + number("Non-2xx responses"))
    return {
        "tool": "ab -k",
        "requests": complete - failed,
        "failed": failed,
        "clients": clients,
        "requests_per_second": number("Requests per second"),
        "latency_p50_ms": percentile(50),
        "latency_p95_ms": percentile(95),
    }
