"""50 concurrent writers on one record, 0 lost updates (issue 19 §5).

Fifty threads, each with its own database connection, add one yuan to a project's
total investment through ``project_update`` the way an edit page or an API client
does: read the version, read the value, write the value plus one with that version,
and on ``StaleEdit`` read again and retry. All of them read before any of them writes
(a barrier), so without the version check 49 of the 50 additions would be lost: the
control below shows the same writers losing them when they send no version.

PostgreSQL only: the writers need row locks and real concurrent transactions, which
SQLite (one writer for the whole file, an in-memory database per connection in tests)
does not give.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, version_of
from taizhang.projects.models import Project
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_project

WRITERS = 50

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks and concurrent transactions (PostgreSQL); SQLite has one "
        "writer per database and an in-memory database per connection under tests",
    ),
]


def _run(project: Project, user: object, *, with_version: bool) -> tuple[list[int], float]:
    """Every writer adds one; returns the attempts each needed and the seconds taken."""
    start = threading.Barrier(WRITERS)

    def writer(_: int) -> int:
        try:
            first = True
            for attempt in range(1, 20 * WRITERS):
                # The version first, then the values: read the other way round, a write
                # committed in between would pair old values with the new version.
                seen = version_of(project)
                total = Project.objects.values_list("total_investment", flat=True).get(
                    pk=project.pk
                )
                if first:  # everyone has read the same value before anyone writes
                    start.wait(timeout=30)
                    first = False
                try:
                    project_update(
                        project=project,
                        acting_user=user,
                        version=seen if with_version else None,
                        total_investment=total + 1,
                    )
                    return attempt
                except StaleEdit:
                    time.sleep(random.uniform(0, 0.003))  # noqa: S311 - jitter, not secrecy
            raise AssertionError("a writer never got through")
        finally:
            connections.close_all()

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        attempts = list(pool.map(writer, range(WRITERS)))
    return attempts, time.monotonic() - began


def test_fifty_concurrent_writers_lose_no_update(tree, personas):
    project = make_project(tree.street_a, "并发项目")
    before = Project.objects.get(pk=project.pk).total_investment
    attempts, seconds = _run(project, personas.street_a, with_version=True)
    after = Project.objects.get(pk=project.pk).total_investment
    assert after == before + WRITERS  # 0 lost updates
    events = AuditEvent.objects.filter(
        action="project.update", object_id=str(project.pk)
    ).values_list("changes", flat=True)
    assert len(events) == WRITERS
    # Each audited write moved the total by exactly one from the value before it.
    steps = sorted(tuple(change["total_investment"]) for change in events)
    assert steps == [(before + n, before + n + 1) for n in range(WRITERS)]
    assert sum(attempts) > WRITERS  # they did collide: stale writes were refused
    assert seconds < 45, f"{WRITERS} writers took {seconds:.1f}s"
    print(f"\n{WRITERS} writers: {sum(attempts)} attempts, {seconds:.1f}s")  # noqa: T201


def test_without_the_version_the_same_writers_lose_updates(tree, personas):
    """The control: the test above could fail. Sending no version (an older client),
    the writers that all read the same value overwrite each other."""
    project = make_project(tree.street_a, "并发项目")
    before = Project.objects.get(pk=project.pk).total_investment
    _run(project, personas.street_a, with_version=False)
    after = Project.objects.get(pk=project.pk).total_investment
    assert after < before + WRITERS
