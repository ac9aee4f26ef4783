"""The benchmark inside its own database: generate (once), refresh, measure."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from taizhang.accounts.models import User
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import ScopeKind
from taizhang.statistics.bench import generate, lists, measure
from taizhang.statistics.periods import Period

BENCH_USER = "bench_clerk"


def _bench_user(root: Organization) -> tuple[User, str]:
    from taizhang.accounts.services import _token_create, grant_create, user_create

    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = user_create(
            username=BENCH_USER,
            password="Bench@" + timezone.now().strftime("%Y%m%d%H%M%S"),
            must_change_password=False,
            acting_user=SYSTEM,
        )
        grant_create(
            user=user,
            role="clerk",
            scope_kind=ScopeKind.SUBTREE,
            organization=root,
            acting_user=SYSTEM,
        )
    return user, _token_create(user=user)


def prepare(scale: float, rebuild: bool) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    report: dict[str, Any] = {}
    if rebuild or not Organization.objects.exists():
        if Organization.objects.exists():
            raise SystemExit("The bench database is not empty; delete it to rebuild.")
        report["generated"] = generate.generate(scale).as_json()
        report["refresh"] = measure.refresh_all()
    started = time.perf_counter()
    measure.settle()
    report["settle_seconds"] = round(time.perf_counter() - started, 1)
    return report


def run(scale: float, rebuild: bool, only: str = "") -> dict[str, Any]:
    report = prepare(scale, rebuild)
    root = (
        Organization.objects.get(parent=None, depth=1)
        if Organization.objects.filter(parent=None, depth=1).count() == 1
        else Organization.objects.filter(parent=None).order_by("path").first()
    )
    assert root is not None
    user, token = _bench_user(root)
    if only == "lists":
        report["ledger_lists"] = lists.ledger_lists(user, measure.level_orgs())
    else:
        report.update(measure_all(user, token))
    report["http_targets"] = dashboard_paths()
    report["token"] = token
    return report


def dashboard_paths() -> dict[str, str]:
    """The API dashboard of this month at each level."""
    today = timezone.localdate()
    return {
        level: f"/api/v1/statistics/dashboard?org_id={org.pk}&period={today:%Y-%m}"
        for level, org in measure.level_orgs().items()
    }


def measure_all(user: User, token: str, *, subtree_size: int = 5000) -> dict[str, Any]:
    """Every in-database measurement of the report, for a viewer with a grant on the
    whole tree (the HTTP part is measured by the command, outside this process)."""
    report: dict[str, Any] = {}
    report["data"] = {
        "organizations": Organization.objects.count(),
        "max_depth": max(Organization.objects.values_list("depth", flat=True)),
        "persons": _count("people_person"),
        "activities": _count("activities_activity"),
        "problems": _count("problems_problem"),
        "monthly_figures": _count("statistics_monthlyfigure"),
    }
    report["database"] = _database()
    target = measure.subtree_near(subtree_size)
    report["scope_predicate"] = measure.scope_predicate(target)
    report["ruoyi_baseline"] = measure.ruoyi_baseline(target)
    report["ruoyi_baseline"]["slower_than_range"] = round(
        report["ruoyi_baseline"]["p50_ms"] / max(report["scope_predicate"]["p50_ms"], 1e-6), 1
    )
    levels = measure.level_orgs()
    report["dashboard_db"] = {
        level: measure.dashboard_db(user, org) for level, org in levels.items()
    }
    report["request_in_process"] = {
        level: measure.request_in_process(token, path) for level, path in dashboard_paths().items()
    }
    root = levels["city"]
    subdistrict = levels.get("subdistrict") or root
    report["raw_read"] = measure.raw_read(subdistrict)
    report["raw_read_orm"] = _orm_read(user, subdistrict)
    report["raw_read_covering_index"] = measure.raw_read_covering(subdistrict)
    community = levels.get("community") or root
    base = max(1_000, min(400_000, report["data"]["activities"] // 10))
    report["growth"] = measure.growth_ratio(community, base)
    report["ledger_lists"] = lists.ledger_lists(user, levels)
    return report


def _database() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            version = str(cursor.fetchone()[0]).split(" on ")[0]
            cursor.execute("SHOW shared_buffers")
            return {
                "vendor": "postgresql",
                "version": version,
                "shared_buffers": cursor.fetchone()[0],
            }
        cursor.execute("SELECT sqlite_version()")
        return {"vendor": connection.vendor, "version": str(cursor.fetchone()[0])}


def _count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
        return int(cursor.fetchone()[0])


def _orm_read(user: User, org: Organization) -> dict[str, Any]:
    """The same rows through the product's scoped queryset (``figures.metric_rows``)."""
    from taizhang.statistics import figures

    metric = METRICS["activities.count"]
    period = Period("custom", timezone.localdate().replace(year=2000), timezone.localdate())
    rows = figures.metric_rows(user, metric, org, period).values_list(
        "pk", "held_on", "participants"
    )
    count = len(list(rows))
    result = measure.timed(lambda: list(rows.all()), repeat=max(3, measure.REPEAT // 6))
    return {
        "rows": count,
        **result,
        "us_per_row": round(result["p50_ms"] * 1000 / max(count, 1), 4),
    }
