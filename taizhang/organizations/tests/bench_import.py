"""Measure the import of a generated org chart: rows per second and peak memory.

    .venv/bin/python -m taizhang.organizations.tests.bench_import [units] [--keep]

A benchmark, not a test (no timing is asserted anywhere): it migrates a file-backed
SQLite database in a temporary directory, builds the shared test tree, writes a file of
``units`` new units (50,000 by default, eight children each, six levels below 社区 A1),
then uploads, checks and imports it through the ingest flow as A's system administrator,
exactly as the batch page does (tasks run at once), and finally undoes the batch.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    """The peak resident memory since the last ``_reset_peak`` (Linux), in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Forget the peak so far (the generated file's workbook), where Linux allows it."""
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        with contextlib.suppress(OSError):
            clear.write_text("5")


def main(argv: list[str]) -> int:
    count = int(next((a for a in argv if a.isdigit()), "50000"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    workdir = Path(tempfile.mkdtemp(prefix="tree-bench-"))
    connection.settings_dict["TEST"]["NAME"] = str(workdir / "bench.sqlite3")
    setup_test_environment()
    started = time.perf_counter()
    databases = setup_databases(verbosity=0, interactive=False)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    try:
        return _measure(count)
    finally:
        if "--keep" not in argv:
            teardown_databases(databases, verbosity=0)


def _measure(count: int) -> int:
    from django.utils import translation

    from taizhang.accounts.models import ScopeKind
    from taizhang.ingest.models import BatchStatus
    from taizhang.ingest.services import batch_undo
    from taizhang.organizations.models import Organization
    from taizhang.organizations.tests.tree_file import tree_file, tree_rows
    from tests.support import make_tree, make_user
    from tests.xlsx import errors, run

    translation.activate("zh-hans")
    tree = make_tree()
    admin = make_user("sys_a", ("system_admin", ScopeKind.SUBTREE, tree.street_a))
    started = time.perf_counter()
    content = tree_file(tree_rows(count, parent_code=tree.community_a.code))
    print(
        f"file: {count} units, {len(content) / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s"
    )
    phases = _time_phases()
    import gc

    gc.collect()
    _reset_peak()
    baseline = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    batch = run("organizations.organization", content, admin, name="组织架构.xlsx")
    if os.environ.get("BENCH_PROFILE"):
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if batch.status != BatchStatus.IMPORTED:
        print("not imported:", errors(batch)[:5])
        return 1
    created = Organization.objects.filter(path__startswith=tree.community_a.path).count() - 2
    print(
        f"upload + check + import: {elapsed:.1f} s, {count / elapsed:.0f} rows/s; "
        f"{cpu:.1f} s of CPU, {count / cpu:.0f} rows per CPU second "
        f"({created} units below A1); peak RSS {_rss_mb():.0f} MB "
        f"(+{_rss_mb() - baseline:.0f} MB over the {baseline:.0f} MB before the upload)"
    )
    print("  of which " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    _export_back(admin, count)
    started = time.perf_counter()
    batch_undo(batch=batch, acting_user=admin)
    print(f"undo: {time.perf_counter() - started:.1f} s")
    return 0


def _export_back(admin: Any, count: int) -> None:
    """Export A's units (the tree page's export) and check the file back: all unchanged."""
    from django.utils import timezone

    from taizhang.core.exports import write_workbook
    from taizhang.organizations.exports import EXPORT
    from tests.xlsx import errors, run

    _reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    sheet = EXPORT.build(admin, {})
    written = write_workbook(
        title=EXPORT.title,
        organization_name=sheet.organization_name,
        as_of=timezone.localdate(),
        columns=sheet.columns,
        rows=sheet.rows,
    )
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"export: {written.rows} rows in {took:.1f} s ({cpu:.1f} s CPU), peak {_rss_mb():.0f} MB")
    _reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    batch = run("organizations.organization", written.content, admin, commit=False)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"export checked back: {batch.rows} rows, {batch.to_create} new, {batch.to_update} "
        f"changed, {batch.unchanged} unchanged {errors(batch)[:3]}; {took:.1f} s "
        f"({cpu:.1f} s CPU), peak RSS {_rss_mb():.0f} MB"
    )


def _time_phases() -> dict[str, float]:
    """Wrap the reader, ``prepare`` and ``commit`` to add up the time spent in each."""
    from taizhang.ingest import services as ingest
    from taizhang.organizations.imports import OrganizationImporter

    spent: dict[str, float] = {}

    def timed(name: str, function: Any) -> Any:
        spent[name] = spent[f"{name} CPU"] = 0.0

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
                spent[f"{name} CPU"] += time.process_time() - cpu

        return wrapper

    ingest.read_table = timed("reading (core.imports)", ingest.read_table)  # type: ignore[assignment]
    OrganizationImporter.prepare = timed("prepare", OrganizationImporter.prepare)  # type: ignore[method-assign]
    OrganizationImporter.commit = timed("commit", OrganizationImporter.commit)  # type: ignore[method-assign]
    return spent


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
