"""Measure subtree predicates for ADR 0001 on an in-memory SQLite tree (or PostgreSQL).

Builds a six-level tree of about 51,000 organizations with fixed-width base-36 paths,
then times, for a subtree of about 5,000 nodes:
  * the path range ``path >= p AND path < p || '~'`` (what taizhang uses);
  * ``path LIKE 'p%' ESCAPE '\\'`` (what Django's ``startswith`` generates);
  * a recursive CTE over ``parent_id``;
  * a RuoYi-style scan of an ``ancestors`` string (``',' || ancestors || ',' LIKE '%,id,%'``).

Usage: python scripts/measure_tree.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def seg(pk: int) -> str:
    out = ""
    while pk:
        pk, r = divmod(pk, 36)
        out = ALPHABET[r] + out
    return out.rjust(6, "0")


def build(conn: sqlite3.Connection) -> dict[str, int]:
    conn.execute(
        "CREATE TABLE org (id INTEGER PRIMARY KEY, parent_id INTEGER, path TEXT NOT NULL UNIQUE,"
        " ancestors TEXT NOT NULL, depth INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX org_parent ON org(parent_id)")
    # 1 + 10 + 80 + 640 + 5,120 + 46,080 = 51,931 organizations, six levels deep.
    fanout = [1, 10, 8, 8, 8, 9]
    rows = []
    next_id = 1
    level = [(None, "", "0")]
    for depth, width in enumerate(fanout, start=1):
        new_level = []
        for parent_id, parent_path, parent_anc in level:
            for _ in range(width):
                pk = next_id
                next_id += 1
                path = parent_path + seg(pk)
                anc = parent_anc if parent_id is None else f"{parent_anc},{parent_id}"
                rows.append((pk, parent_id, path, anc, depth))
                new_level.append((pk, path, anc))
        level = new_level
    conn.executemany("INSERT INTO org VALUES (?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.execute("ANALYZE")
    return {"organizations": len(rows)}


def timed(conn: sqlite3.Connection, sql: str, params: tuple, repeat: int) -> dict[str, float]:
    samples = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = conn.execute(sql, params).fetchone()[0]
        samples.append((time.perf_counter() - start) * 1000)
    plan = " | ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    return {"median_ms": round(statistics.median(samples), 3), "rows": count, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    conn = sqlite3.connect(":memory:")
    info = build(conn)
    # A depth-2 node (a subdistrict) holds 1 + 8 + 64 + 512 + 4,608 = 5,193 organizations.
    first = "SELECT id, path FROM org WHERE depth = 2 ORDER BY id LIMIT 1"
    pk, path = conn.execute(first).fetchone()
    results = {
        "path_range": timed(
            conn,
            "SELECT count(*) FROM org WHERE path >= ? AND path < ?",
            (path, path + "~"),
            args.repeat,
        ),
        "like_prefix (django startswith)": timed(
            conn,
            "SELECT count(*) FROM org WHERE path LIKE ? ESCAPE '\\'",
            (path + "%",),
            args.repeat,
        ),
        "recursive_cte": timed(
            conn,
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM org o JOIN sub"
            " ON o.parent_id = sub.id) SELECT count(*) FROM sub",
            (pk,),
            args.repeat,
        ),
        "ruoyi_ancestors_scan": timed(
            conn,
            "SELECT count(*) FROM org WHERE id = ? OR (',' || ancestors || ',') LIKE ?",
            (pk, f"%,{pk},%"),
            args.repeat,
        ),
    }
    print(
        json.dumps(
            {"sqlite": sqlite3.sqlite_version, **info, "subtree_root": pk, "results": results},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
