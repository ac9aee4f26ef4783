"""``/healthz`` for the load balancer and the monitoring: is this instance fit to serve?

Public and cheap: three checks, a few bytes of JSON, no detail a stranger could use (the
reason for a failure goes to the log, not the answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from taizhang.core.access import public
from taizhang.core.models import AuditHead

logger = logging.getLogger("taizhang.health")

# Once every migration is applied it stays so until the next deployment restarts the
# workers, so the migration graph (read from disk) is loaded once per process.
_migrations_applied = False


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migration(s) not applied")
    _migrations_applied = True


def check_audit() -> None:
    # A fresh database has no head row yet; the point is that the table answers.
    AuditHead.objects.filter(pk=1).values_list("count", flat=True).first()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "audit": check_audit,
}


@public
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 ``{"status": "ok", ...}`` when all checks pass, else 503 naming the failures."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if results.get("database") == "fail":
            results[name] = "skipped"  # without a database the other checks say nothing
            continue
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "fail"
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result == "fail"]
    body: dict[str, object] = {"status": "fail" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
