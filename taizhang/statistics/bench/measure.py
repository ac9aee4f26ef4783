"""Measurements of the benchmark, on the generated data set (see ``generate.py``).

Database times are taken with a raw cursor around the exact SQL the product issues
(median of repeated runs after a warm-up); in-process times include the ORM.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from taizhang.organizations.models import Organization, subtree_bounds
from taizhang.statistics import rollups

REPEAT = 30


def timed(run: Callable[[], Any], repeat: int = REPEAT) -> dict[str, float]:
    """Median and 95th percentile in milliseconds, after two warm-up runs."""
    run()
    run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 4),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 4),
    }


def sql(query: str, params: list[Any]) -> Callable[[], list[Any]]:
    def run() -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    return run


def subtree_near(size: int) -> Organization:
    """The organization whose subtree size is closest to ``size``."""
    best, best_gap = None, None
    for org in Organization.objects.filter(depth__lte=3).order_by("path"):
        lower, upper = subtree_bounds(org.path)
        count = Organization.objects.filter(path__gte=lower, path__lt=upper).count()
        gap = abs(count - size)
        if best_gap is None or gap < best_gap:
            best, best_gap = org, gap
    assert best is not None
    return best


def scope_predicate(org: Organization) -> dict[str, Any]:
    """The data-scope predicate on its own (an index range counted in the database) and
    with the ids brought back to Python, as a scoped query uses them."""
    lower, upper = subtree_bounds(org.path)
    count_sql = "SELECT COUNT(*) FROM organizations_organization WHERE path >= %s AND path < %s"
    ids_sql = "SELECT id FROM organizations_organization WHERE path >= %s AND path < %s"
    rows = len(sql(ids_sql, [lower, upper])())
    ids = timed(sql(ids_sql, [lower, upper]))
    return {
        "subtree_organizations": rows,
        **timed(sql(count_sql, [lower, upper])),
        "with_ids_p50_ms": ids["p50_ms"],
    }


def ruoyi_baseline(org: Organization) -> dict[str, Any]:
    """RuoYi keeps each department's ancestor ids in a string and finds a subtree with
    ``find_in_set(id, ancestors)``: a scan of every row. Built on a scratch table."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ruoyi_dept")
        cursor.execute(
            "CREATE TABLE bench_ruoyi_dept (dept_id bigint PRIMARY KEY, parent_id bigint, "
            "ancestors varchar(500) NOT NULL)"
        )
        parents = dict(Organization.objects.values_list("pk", "parent_id"))
        rows: list[tuple[int, int, str]] = []
        for pk, parent in parents.items():
            chain: list[int] = []
            node: int | None = parent
            while node is not None:
                chain.append(node)
                node = parents.get(node)
            rows.append((pk, parent or 0, ",".join(["0", *map(str, reversed(chain))])))
        cursor.executemany(
            "INSERT INTO bench_ruoyi_dept (dept_id, parent_id, ancestors) VALUES (%s, %s, %s)",
            rows,
        )
    where = "WHERE dept_id = %s OR (',' || ancestors || ',') LIKE %s"
    params = [org.pk, f"%,{org.pk},%"]
    found = sql(f"SELECT dept_id FROM bench_ruoyi_dept {where}", params)()  # noqa: S608
    ids = timed(sql(f"SELECT dept_id FROM bench_ruoyi_dept {where}", params))  # noqa: S608
    return {
        "subtree_organizations": len(found),
        **timed(sql(f"SELECT COUNT(*) FROM bench_ruoyi_dept {where}", params)),  # noqa: S608
        "with_ids_p50_ms": ids["p50_ms"],
    }


def level_orgs() -> dict[str, Organization]:
    first = {
        depth: Organization.objects.filter(depth=depth).order_by("path").first()
        for depth in (1, 2, 3, 4)
    }
    names = {1: "city", 2: "district", 3: "subdistrict", 4: "community"}
    return {names[depth]: org for depth, org in first.items() if org is not None}


def timed_db(run: Callable[[], Any], repeat: int = REPEAT) -> dict[str, float]:
    """Like ``timed``, and also the time spent inside the database driver's execute."""
    spent: list[float] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[-1] += time.perf_counter() - started

    db_samples = []

    def once() -> None:
        spent.append(0.0)
        run()
        db_samples.append(spent[-1] * 1000)

    with connection.execute_wrapper(wrapper):
        wall = timed(once, repeat)
    measured = sorted(db_samples[2:])
    return {
        **wall,
        "db_p50_ms": round(statistics.median(measured), 4),
        "db_p95_ms": round(measured[min(len(measured) - 1, int(len(measured) * 0.95))], 4),
    }


def dashboard_db(org: Organization, names: list[str]) -> dict[str, Any]:
    """The two queries of the stored figures a dashboard issues (``selectors._monthly``):
    25 months of every metric for the organization (period, previous, a year earlier,
    trend) and the chosen metric for each child."""
    from taizhang.statistics import selectors

    today = timezone.localdate()
    start = dt.date(today.year - 2, today.month, 1)
    month = today.replace(day=1)
    children = list(Organization.objects.filter(parent=org).values_list("pk", flat=True))

    def both() -> tuple[int, int]:
        stored = selectors._monthly(set(names), [org.pk], start, today)
        per_child = selectors._monthly({names[0]}, children, month, today)
        return len(stored), len(per_child)

    stored, per_child = both()
    return {
        "children": len(children),
        "stored_rows_read": stored + per_child,
        **timed_db(both),
    }


def dashboard_in_process(viewer: Any, org: Organization) -> dict[str, Any]:
    """``selectors.dashboard`` as a page calls it: stored figures plus the figures
    computed from the records (distinct members, what is overdue today)."""
    from taizhang.statistics import selectors
    from taizhang.statistics.periods import Period

    today = timezone.localdate()
    period = Period.month(today.year, today.month)
    return timed(lambda: selectors.dashboard(viewer, org, period), repeat=10)


def raw_read(org: Organization) -> dict[str, Any]:
    """Scoped read of raw ledger rows: every activity of a subtree, as the drill-down and
    the briefing's trace read them (one range predicate on the organization path).
    ``us_per_row`` brings every row into Python; ``scan_us_per_row`` is the database's
    own cost (the same rows summed where they lie)."""
    lower, upper = subtree_bounds(org.path)
    source = (
        "FROM activities_activity a JOIN organizations_organization o ON o.id = a.org_id "
        "WHERE o.path >= %s AND o.path < %s"
    )
    fetch = sql(f"SELECT a.id, a.held_on, a.participants {source}", [lower, upper])  # noqa: S608
    scan = sql(f"SELECT COUNT(*), SUM(a.participants) {source}", [lower, upper])  # noqa: S608
    rows = len(fetch())
    fetched = timed(fetch, repeat=7)
    scanned = timed(scan, repeat=7)
    return {
        "rows": rows,
        **fetched,
        "us_per_row": round(fetched["p50_ms"] * 1000 / max(rows, 1), 4),
        "scan_p50_ms": scanned["p50_ms"],
        "scan_us_per_row": round(scanned["p50_ms"] * 1000 / max(rows, 1), 4),
    }


def growth_ratio(org: Organization, base_rows: int) -> dict[str, Any]:
    """Time a fixed subtree query on a scratch ledger table of ``base_rows`` rows, grow
    the table tenfold with rows outside the subtree, and time it again."""
    lower, upper = subtree_bounds(org.path)
    inside = list(
        Organization.objects.filter(path__gte=lower, path__lt=upper).values_list("pk", flat=True)
    )
    outside = list(
        Organization.objects.exclude(path__gte=lower, path__lt=upper)
        .filter(depth__gte=4)
        .values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_growth")
        cursor.execute(
            "CREATE TABLE bench_growth (id bigint PRIMARY KEY, org_id bigint NOT NULL, "
            "held_on date NOT NULL, value integer NOT NULL)"
        )
        cursor.execute("CREATE INDEX bench_growth_org ON bench_growth (org_id)")

    def insert(start: int, count: int, orgs: list[int]) -> None:
        day = dt.date(2026, 1, 1)
        with transaction.atomic(), connection.cursor() as cursor:
            for offset in range(0, count, 20_000):
                cursor.executemany(
                    "INSERT INTO bench_growth (id, org_id, held_on, value) VALUES (%s, %s, %s, %s)",
                    [
                        (start + n, orgs[n % len(orgs)], day + dt.timedelta(days=n % 300), n % 50)
                        for n in range(offset, min(offset + 20_000, count))
                    ],
                )

    share = max(1, base_rows // 10)
    insert(0, share, inside)
    insert(share, base_rows - share, outside)
    query = (
        "SELECT g.id, g.value FROM bench_growth g JOIN organizations_organization o ON "
        "o.id = g.org_id WHERE o.path >= %s AND o.path < %s"
    )
    before = timed(sql(query, [lower, upper]), repeat=15)
    insert(base_rows, base_rows * 9, outside)
    after = timed(sql(query, [lower, upper]), repeat=15)
    rows = len(sql(query, [lower, upper])())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_growth")
    return {
        "table_rows_before": base_rows,
        "table_rows_after": base_rows * 10,
        "rows_read": rows,
        "before_p50_ms": before["p50_ms"],
        "after_p50_ms": after["p50_ms"],
        "ratio": round(after["p50_ms"] / before["p50_ms"], 3) if before["p50_ms"] else None,
    }


def refresh_all() -> dict[str, Any]:
    started = time.perf_counter()
    counts = rollups.refresh_all()
    return {
        "metrics": len(counts),
        "source_rows": sum(counts.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }
