"""The ledger list pages of the benchmark: each page as a clerk requests it, through the
whole Django stack in process (middleware, session, view, template), at each level of
the tree (the ``org`` filter of the shared ledger filters), and the searches.

Reported per page and level: the page's median and 95th percentile, its queries and the
time those queries spent in the database."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from taizhang.organizations.models import Organization
from taizhang.statistics.bench import measure

# Page → path template; {org} is the level's organization.
PAGES: dict[str, str] = {
    "problems": "/problems/?org={org}",
    "activities": "/activities/?org={org}",
    "people": "/people/?org={org}",
}
# Searches at city level: a selective name and a selective title.
SEARCHES: dict[str, str] = {
    "people_name": "/people/?org={org}&q=居民12345",
    "problems_title": "/problems/?org={org}&q=问题",
    "activities_topic": "/activities/?org={org}&q=学习",
}


def _client(user: Any) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _get(client: Client, path: str) -> Callable[[], None]:
    def run() -> None:
        response = client.get(path, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code}")

    return run


def _queries(run: Callable[[], None]) -> tuple[int, float]:
    spent = [0.0]
    sent = [0]

    def wrapper(execute: Any, query: str, params: Any, many: bool, context: Any) -> Any:
        sent[0] += 1
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    with connection.execute_wrapper(wrapper):
        run()
    return sent[0], spent[0] * 1000


def page(client: Client, path: str, repeat: int) -> dict[str, Any]:
    run = _get(client, path)
    result: dict[str, Any] = dict(measure.timed(run, repeat))
    queries, db_ms = _queries(run)
    result["queries"] = queries
    result["db_ms"] = round(db_ms, 3)
    return result


def ledger_lists(user: Any, levels: dict[str, Organization]) -> dict[str, Any]:
    """Each list page at each level and the searches at city level, for ``user`` (a
    clerk whose grant covers the whole tree: the level is the page's org filter)."""
    # The pages link static files by name: without a collected manifest (a bench
    # database, not a deployment), the plain storage names them.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        return _ledger_lists(user, levels)


def _ledger_lists(user: Any, levels: dict[str, Organization]) -> dict[str, Any]:
    client = _client(user)
    repeat = max(3, measure.REPEAT // 3)
    report: dict[str, Any] = {
        name: {
            level: page(client, template.format(org=org.pk), repeat)
            for level, org in levels.items()
        }
        for name, template in PAGES.items()
    }
    city = levels["city"]
    report["search"] = {
        name: page(client, template.format(org=city.pk), repeat)
        for name, template in SEARCHES.items()
    }
    return report
