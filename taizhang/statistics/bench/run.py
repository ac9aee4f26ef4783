"""The benchmark inside its own database: generate (once), refresh, measure."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.utils import timezone

from taizhang.accounts.models import User
from taizhang.core.registry import METRICS
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import ScopeKind
from taizhang.statistics.bench import generate, measure
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
            acting_user=None,
        )
        grant_create(
            user=user,
            role="clerk",
            scope_kind=ScopeKind.SUBTREE,
            organization=root,
            acting_user=None,
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
    return report


def run(scale: float, rebuild: bool) -> dict[str, Any]:
    report = prepare(scale, rebuild)
    root = (
        Organization.objects.get(parent=None, depth=1)
        if Organization.objects.filter(parent=None, depth=1).count() == 1
        else Organization.objects.filter(parent=None).order_by("path").first()
    )
    assert root is not None
    user, token = _bench_user(root)
    report["data"] = {
        "organizations": Organization.objects.count(),
        "persons": _count("people_person"),
        "activities": _count("activities_activity"),
        "problems": _count("problems_problem"),
        "monthly_figures": _count("statistics_monthlyfigure"),
    }
    target = measure.subtree_near(5000)
    report["scope_predicate"] = measure.scope_predicate(target)
    report["ruoyi_baseline"] = measure.ruoyi_baseline(target)
    levels = measure.level_orgs()
    names = [m.name for m in METRICS.values() if m.additive]
    report["dashboard_db"] = {
        level: measure.dashboard_db(org, names) for level, org in levels.items()
    }
    report["dashboard_in_process"] = {
        level: measure.dashboard_in_process(user, org) for level, org in levels.items()
    }
    subdistrict = levels.get("subdistrict") or root
    report["raw_read"] = measure.raw_read(subdistrict)
    report["raw_read_orm"] = _orm_read(user, subdistrict)
    community = levels.get("community") or root
    base = max(10_000, min(400_000, report["data"]["activities"] // 10))
    report["growth"] = measure.growth_ratio(community, base)
    today = timezone.localdate()
    report["http_targets"] = {
        level: f"/api/v1/statistics/dashboard?org_id={org.pk}&period={today:%Y-%m}"
        for level, org in levels.items()
    }
    report["token"] = token
    return report


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
    result = measure.timed(lambda: list(rows.all()), repeat=5)
    return {
        "rows": count,
        **result,
        "us_per_row": round(result["p50_ms"] * 1000 / max(count, 1), 4),
    }
