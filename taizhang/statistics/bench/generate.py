"""A city-scale data set for the benchmark, written with bulk SQL into its own database.

Six levels (city → districts → subdistricts → communities → grids → buildings), about
52,000 organizations at full scale; about a million persons; about five million ledger
rows (activities and problems) spread over two years. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from taizhang.organizations.models import OrgKind, encode_segment

# City, districts, subdistricts, communities, grids, buildings: 1+10+80+640+5,120+46,080.
FANOUT = (1, 10, 8, 8, 8, 9)
KINDS = (
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.COMMUNITY,
    OrgKind.GRID,
    OrgKind.BUILDING,
)
FULL = {"persons": 1_000_000, "activities": 4_500_000, "problems": 500_000}
BATCH = 20_000


@dataclass
class Sizes:
    organizations: int
    persons: int
    activities: int
    problems: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def fanout_for(scale: float) -> tuple[int, ...]:
    """Keep six levels at every scale; shrink the widest levels first."""
    if scale >= 1:
        return FANOUT
    wide = max(2, round(9 * scale ** (1 / 3)))
    return (1, max(2, round(10 * scale ** (1 / 3))), wide, wide, wide, wide)


def _executemany(sql: str, rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _organizations(fanout: tuple[int, ...]) -> list[tuple[int, int | None, str, int]]:
    """(id, parent id, path, depth), breadth first; ids start after existing rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM organizations_organization")
        next_id = cursor.fetchone()[0] + 1
    rows: list[tuple[int, int | None, str, int]] = []
    level: list[tuple[int | None, str]] = [(None, "")]
    for depth, width in enumerate(fanout, start=1):
        new_level = []
        for parent_id, parent_path in level:
            for _ in range(width):
                path = parent_path + encode_segment(next_id)
                rows.append((next_id, parent_id, path, depth))
                new_level.append((next_id, path))
                next_id += 1
        level = new_level
    return rows


def generate(scale: float = 1.0, seed: int = 2026) -> Sizes:
    """Fill an empty, migrated database. ``scale`` shrinks every count."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.now()
    orgs = _organizations(fanout_for(scale))
    with transaction.atomic():
        _executemany(
            "INSERT INTO organizations_organization (id, parent_id, path, depth, kind, code, "
            "name, short_name, sort_order, is_active, closed_reason) VALUES (%s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s)",
            (
                (
                    pk,
                    parent,
                    path,
                    depth,
                    KINDS[depth - 1],
                    f"B{pk}",
                    f"单位{pk}",
                    f"U{pk}",
                    0,
                    True,
                    "",
                )
                for pk, parent, path, depth in orgs
            ),
        )
    # Ledger rows belong to communities, grids and buildings (the levels that work).
    working = [pk for pk, _p, _path, depth in orgs if depth >= 4]
    persons = int(FULL["persons"] * scale)
    activities = int(FULL["activities"] * scale)
    problems = int(FULL["problems"] * scale)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM activities_activitykind ORDER BY id")
        kinds = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM problems_problemkind ORDER BY id")
        problem_kinds = [row[0] for row in cursor.fetchall()]
    with transaction.atomic():
        _executemany(
            "INSERT INTO people_person (name, gender, mobile, id_number, birth_date, "
            "is_external, affiliation, created_at, organization_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                (
                    f"居民{n}",
                    "MF"[n % 2],
                    f"139{n:08d}",
                    "",
                    None,
                    False,
                    "",
                    now,
                    rng.choice(working),
                )
                for n in range(persons)
            ),
        )
    first = dt.date(timezone.localdate().year - 1, 1, 1)
    days = (timezone.localdate() - first).days + 1
    with transaction.atomic():
        _executemany(
            "INSERT INTO activities_activity (title, held_on, mode, venue, materials, summary, "
            "attendance_mode, participants, created_at, org_id, kind_id) VALUES (%s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                (
                    "集中学习",
                    first + dt.timedelta(days=rng.randrange(days)),
                    "offline",
                    "",
                    "",
                    "",
                    "headcount",
                    rng.randrange(5, 80),
                    now,
                    rng.choice(working),
                    rng.choice(kinds),
                )
                for _ in range(activities)
            ),
        )
    with transaction.atomic():
        _executemany(
            "INSERT INTO problems_problem (title, description, source, category, origin_type, "
            "origin_label, deadline, state, raised_on, closed_on, measures, evidence_text, "
            "reopen_count, created_at, lead_unit_id, org_id, kind_id) VALUES (%s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            _problem_rows(rng, problems, working, problem_kinds, first, days, now),
        )
    return Sizes(
        organizations=len(orgs),
        persons=persons,
        activities=activities,
        problems=problems,
        seconds=round(time.perf_counter() - started, 1),
    )


def _problem_rows(
    rng: random.Random,
    count: int,
    working: list[int],
    kinds: list[int],
    first: dt.date,
    days: int,
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    for _ in range(count):
        raised = first + dt.timedelta(days=rng.randrange(days))
        org = rng.choice(working)
        state = rng.choice(("open", "in_progress", "closed", "closed"))
        yield (
            "问题",
            "",
            "self_check",
            "other",
            "",
            "",
            raised + dt.timedelta(days=60),
            state,
            raised,
            raised + dt.timedelta(days=30) if state == "closed" else None,
            "",
            "",
            0,
            now,
            org,
            org,
            rng.choice(kinds),
        )
