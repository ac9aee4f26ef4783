"""The goals of the issue against what the benchmark measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

GOALS = {
    "scope_predicate_ms": 1.0,
    "dashboard_db_ms": 2.0,
    "dashboard_end_to_end_ms": 50.0,
    "raw_read_us_per_row": 0.3,
    "raw_read_into_python_us_per_row": 0.3,
    "growth_ratio": 1.2,
    "requests_per_second": 1000.0,
}


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """Each goal with the measured value (worst level where there are levels)."""
    dashboards = report["dashboard_db"].values()
    measured: dict[str, Any] = {
        "scope_predicate_ms": report["scope_predicate"]["p50_ms"],
        # The database's share of a dashboard: the larger of the time inside the
        # driver's execute (ORM) and of the same SQL on a raw cursor, worst level.
        "dashboard_db_ms": max(max(v["db_p50_ms"], v["raw_sql_p50_ms"]) for v in dashboards),
        "raw_read_us_per_row": report["raw_read"]["scan_us_per_row"],
        "raw_read_into_python_us_per_row": report["raw_read"]["us_per_row"],
        "growth_ratio": report["growth"]["ratio"],
    }
    if "http" in report:
        shipped = report["http"]["prod_settings"].values()
        # End to end: a single request's p95 on an idle server, worst level.
        measured["dashboard_end_to_end_ms"] = max(v["latency"]["p95_ms"] for v in shipped)
        measured["requests_per_second"] = min(v["load"]["requests_per_second"] for v in shipped)
    result = {}
    for name, goal in GOALS.items():
        if name not in measured or measured[name] is None:
            continue
        value = measured[name]
        met = value >= goal if name == "requests_per_second" else value <= goal
        result[name] = {"goal": goal, "measured": value, "met": met}
    return result


def write_markdown(report: dict[str, Any], path: Path) -> None:
    lines = ["| measure | goal | measured | met |", "| --- | --- | --- | --- |"]
    for name, row in report["goals"].items():
        lines.append(
            f"| {name} | {row['goal']} | {row['measured']} | {'yes' if row['met'] else 'no'} |"
        )
    path.write_text("\n".join(lines) + "\n")
