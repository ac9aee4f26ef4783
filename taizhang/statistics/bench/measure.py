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

# Runs per measurement; the slow ones (large reads) take a share. The smoke test lowers it.
REPEAT = 30


def timed(run: Callable[[], Any], repeat: int = 0) -> dict[str, float]:
    """Median and 95th percentile in milliseconds, after two warm-up runs."""
    repeat = repeat or REPEAT
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
            rows: list[Any] = cursor.fetchall()
            return rows

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


def explain(query: str, params: list[Any]) -> str:
    """The database's plan for ``query``, on one line."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + query, params)
        return " | ".join(str(row[-1]).strip() for row in cursor.fetchall())


def scope_predicate(org: Organization) -> dict[str, Any]:
    """The data-scope predicate on its own: the index range on the organization path,
    counted in the database (p50/p95), with the ids brought back to Python, and through
    the product's ``Scope.org_q()`` (ORM included). ``alternatives`` are the other ways
    to find a subtree that ADR 0001 compared: Django's ``startswith`` (``LIKE 'p%'``) and
    a recursive CTE over ``parent_id``; ``ruoyi_baseline`` is the fourth."""
    from taizhang.organizations.scope import Scope

    lower, upper = subtree_bounds(org.path)
    where = "FROM organizations_organization WHERE path >= %s AND path < %s"
    count_sql = f"SELECT COUNT(*) {where}"
    ids_sql = f"SELECT id {where}"
    rows = len(sql(ids_sql, [lower, upper])())
    ids = timed(sql(ids_sql, [lower, upper]))
    scope = Scope(permission="bench", user_id=None, subtree_paths=(org.path,))
    orm = timed(lambda: Organization.objects.filter(scope.org_q()).count())
    like = "SELECT COUNT(*) FROM organizations_organization WHERE path LIKE %s ESCAPE '\\'"
    cte = (
        "WITH RECURSIVE sub(id) AS (SELECT id FROM organizations_organization WHERE id = %s "
        "UNION ALL SELECT o.id FROM "
        "organizations_organization o JOIN sub ON o.parent_id = sub.id) SELECT COUNT(*) FROM sub"
    )
    return {
        "subtree_organizations": rows,
        **timed(sql(count_sql, [lower, upper])),
        "with_ids_p50_ms": ids["p50_ms"],
        "orm_count_p50_ms": orm["p50_ms"],
        "plan": explain(count_sql, [lower, upper]),
        "alternatives": {
            "like_prefix_p50_ms": timed(sql(like, [org.path + "%"]))["p50_ms"],
            "recursive_cte_p50_ms": timed(sql(cte, [org.pk]))["p50_ms"],
        },
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


def _recorded(run: Callable[[], Any]) -> tuple[list[tuple[str, Any]], float]:
    """Run once; return the (sql, params) it sent and the seconds spent in execute."""
    sent: list[tuple[str, Any]] = []
    spent = [0.0]

    def wrapper(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((query, params))
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    with connection.execute_wrapper(wrapper):
        run()
    return sent, spent[0]


def timed_db(run: Callable[[], Any], repeat: int = 0) -> dict[str, Any]:
    """``run`` timed three ways: wall time in process (ORM and Python included), the
    time its queries spent in the driver's execute, and the same SQL replayed on a raw
    cursor (the database's share without the ORM)."""
    sent, _spent = _recorded(run)
    db: list[float] = []

    def once() -> None:
        db.append(_recorded(run)[1] * 1000)

    wall = timed(once, repeat)
    measured = sorted(db[2:])

    def replay() -> None:
        with connection.cursor() as cursor:
            for query, params in sent:
                cursor.execute(query, params)
                cursor.fetchall()

    raw = timed(replay, repeat)
    return {
        "queries": len(sent),
        "in_process_p50_ms": wall["p50_ms"],
        "in_process_p95_ms": wall["p95_ms"],
        "db_p50_ms": round(statistics.median(measured), 4),
        "db_p95_ms": round(measured[min(len(measured) - 1, int(len(measured) * 0.95))], 4),
        "raw_sql_p50_ms": raw["p50_ms"],
        "raw_sql_p95_ms": raw["p95_ms"],
    }


def dashboard_db(viewer: Any, org: Organization) -> dict[str, Any]:
    """What one dashboard request asks of the database, as the API view does it: the
    viewer's grants (read once per request), the organization, and
    ``selectors.dashboard`` for this month (stored monthly figures of the month, the
    previous month and a year earlier). ``breakdown`` is ``selectors.breakdown`` of one
    stored metric over the organization's children (the drill-down's table)."""
    from taizhang.core.registry import METRICS
    from taizhang.organizations.scope import clear_cache
    from taizhang.statistics import selectors
    from taizhang.statistics.periods import Period

    today = timezone.localdate()
    period = Period.month(today.year, today.month)
    metric = METRICS["activities.count"]

    def board() -> int:
        clear_cache(viewer)
        found = selectors.get_org_for_viewer(viewer, org.pk)
        return len(selectors.dashboard(viewer, found, period).cells)

    def children() -> int:
        clear_cache(viewer)
        return len(selectors.breakdown(viewer, metric, org, period))

    return {
        "figures": board(),
        "children": children(),
        **timed_db(board),
        "breakdown": timed_db(children),
    }


def request_in_process(token: str, path: str) -> dict[str, Any]:
    """One API request through Django's full stack (middleware, bearer token, ninja,
    view, JSON) in this process, without a server or network: the CPU a request costs."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"Authorization": f"Bearer {token}"}
    status = client.get(path, headers=headers).status_code
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return timed(lambda: client.get(path, headers=headers))


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
    plan = explain(f"SELECT a.id, a.held_on, a.participants {source}", [lower, upper])  # noqa: S608
    fetched = timed(fetch, repeat=max(3, REPEAT // 4))
    scanned = timed(scan, repeat=max(3, REPEAT // 4))
    return {
        "rows": rows,
        **fetched,
        "us_per_row": round(fetched["p50_ms"] * 1000 / max(rows, 1), 4),
        "scan_p50_ms": scanned["p50_ms"],
        "scan_us_per_row": round(scanned["p50_ms"] * 1000 / max(rows, 1), 4),
        "plan": plan,
    }


def raw_read_covering(org: Organization) -> dict[str, Any]:
    """``raw_read`` again with a covering index on ``(org_id, held_on, participants)``
    built for the occasion and dropped afterwards: what the product would read if the
    activity table had that index (it does not; ``activities`` owns its indexes). The
    rows of an organization are then contiguous in the index, with no table lookup."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # An index-only scan needs the visibility map that VACUUM keeps (VACUUM
            # cannot run in a transaction, as under the smoke test).
            if not connection.in_atomic_block:
                cursor.execute("VACUUM ANALYZE activities_activity")
            else:  # deferred foreign-key checks of fresh rows would block CREATE INDEX
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "CREATE INDEX bench_activity_cover ON activities_activity (org_id) "
                "INCLUDE (held_on, participants, id)"
            )
        else:
            cursor.execute(
                "CREATE INDEX bench_activity_cover ON activities_activity "
                "(org_id, held_on, participants)"
            )
        analyze("activities_activity")
    try:
        return raw_read(org)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX bench_activity_cover")
            analyze("activities_activity")


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
    analyze("bench_growth")
    before = timed(sql(query, [lower, upper]), repeat=max(3, REPEAT // 2))
    plan_before = explain(query, [lower, upper])
    insert(base_rows, base_rows * 9, outside)
    analyze("bench_growth")
    after = timed(sql(query, [lower, upper]), repeat=max(3, REPEAT // 2))
    plan_after = explain(query, [lower, upper])
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
        "plan_before": plan_before,
        "plan_after": plan_after,
    }


def analyze(table: str = "") -> None:
    """Fresh planner statistics, as autovacuum keeps them on PostgreSQL and ``ANALYZE``
    (or ``PRAGMA optimize``) on SQLite. SQLite samples at most 1,000 rows per index."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute(f"ANALYZE {table}".strip())


def settle() -> None:
    """Bring a freshly loaded database to the steady state of a running one: planner
    statistics everywhere, and on PostgreSQL the visibility map that index-only scans
    rely on (what autovacuum does some time after a bulk load)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        analyze()


def refresh_all() -> dict[str, Any]:
    started = time.perf_counter()
    counts = rollups.refresh_all()
    return {
        "metrics": len(counts),
        "source_rows": sum(counts.values()),
        "seconds": round(time.perf_counter() - started, 1),
    }
