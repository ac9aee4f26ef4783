"""A real worker process killed in the middle of an import leaves nothing of the batch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

ROOT = Path(__file__).resolve().parents[3]

SETUP = """
import datetime as dt
from tests.support import make_personas, make_tree
from tests.xlsx import fill
from taizhang.activities.models import ActivityKind
from taizhang.ingest.services import batch_upload
tree = make_tree()
personas = make_personas(tree)
kind = ActivityKind.objects.filter(is_active=True).first().name
rows = [
    {"org_code": "A1", "kind": kind, "title": f"学习{i}", "held_on": dt.date(2025, 1 + i % 12, 1),
     "participants": 5}
    for i in range(ROWS)
]
batch = batch_upload(kind="activities.activity", file_name="十万.xlsx",
                     content=fill("activities.activity", rows), acting_user=personas.street_a)
print("BATCH", batch.pk)
"""

IMPORT = """
from taizhang.ingest.models import ImportBatch
from taizhang.ingest.services import batch_import
batch = ImportBatch.objects.get(pk=PK)
batch = batch_import(batch=batch, acting_user=batch.created_by)
print("JOB", batch.job_id)
"""


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        TAIZHANG_SECRET_KEY="worker-test-" + "s" * 40,
        TAIZHANG_AUDIT_KEY="worker-test-" + "a" * 40,
        TAIZHANG_DATA_KEY="worker-test-" + "d" * 40,
        TAIZHANG_ALLOWED_HOSTS="127.0.0.1",
        TAIZHANG_VAR_DIR=str(var),
        PYTHONPATH=str(ROOT),
    )
    return env


def _taizhang(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "taizhang", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _shell(env: dict[str, str], code: str, tag: str) -> int:
    out = _taizhang(env, "shell", "-c", code)
    return int(next(line for line in out.splitlines() if line.startswith(tag)).split()[1])


def _one(db: Path, sql: str) -> object:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_no_row_and_a_retry_succeeds(tmp_path):
    env = _env(tmp_path)
    db = tmp_path / "taizhang.sqlite3"
    _taizhang(env, "migrate", "-v", "0")
    batch = _shell(env, SETUP.replace("ROWS", "10000"), "BATCH")
    _taizhang(env, "worker", "--batch", "-v", "0")
    assert _one(db, f"select status from ingest_importbatch where id={batch}") == "checked"

    job = _shell(env, IMPORT.replace("PK", str(batch)), "JOB")
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "taizhang", "worker", "-v", "0"], env=env, cwd=ROOT
    )
    progress = FileBasedCache(str(tmp_path / "progress"), {})
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            seen = progress.get(f"job:{job}:progress")
            if seen and seen[2] == "writing":
                break
            assert worker.poll() is None, "the worker ended before writing"
            time.sleep(0.05)
        else:
            raise AssertionError("the import never started writing")
        time.sleep(0.5)  # inside the bulk insert of 10,000 activities
        assert worker.poll() is None, "the import finished before it could be killed"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert _one(db, "select count(*) from activities_activity") == 0
    assert _one(db, f"select status from ingest_importbatch where id={batch}") == "importing"
    # The next worker finds the job's heartbeat stopped and fails the job and the batch.
    _taizhang({**env, "TAIZHANG_JOB_STALE_SECONDS": "0"}, "worker", "--batch", "-v", "0")
    assert _one(db, f"select status from core_job where id={job}") == "failed"
    assert _one(db, f"select status from ingest_importbatch where id={batch}") == "failed"
    assert _one(db, "select count(*) from activities_activity") == 0

    _shell(env, IMPORT.replace("PK", str(batch)), "JOB")
    _taizhang(env, "worker", "--batch", "-v", "0")
    assert _one(db, f"select status from ingest_importbatch where id={batch}") == "imported"
    assert _one(db, "select count(*) from activities_activity") == 10000
