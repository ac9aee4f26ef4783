"""The Excel benchmark: imports and exports at the sizes a district brings and takes.

Each step runs in a process of its own (``taizhang bench_excel`` starts them) on a fresh
database with the production settings, so its peak memory is its own: the resident set
(``ru_maxrss``) at the end, next to the resident set right after Django started.

* ``activities``: a 50,000-row activities file with attendance by name (about 250,000
  attendance rows), through the whole flow: upload, check, import (``job_run`` exactly as
  the worker runs it);
* ``organizations``: a 50,000-organization tree by code and parent code, the same way;
* ``export_50k`` and ``export``: 50,000 (issue 20's size) and 500,000 problems written
  by the problems ledger's registered export, through the same ``core.exports._write``
  the request and the background job call (build, write, audit record); at 50,000 also
  the seconds the ledger takes to build and read the same rows without writing them
  (``rows_only_seconds``: the module's share, the rest is the writer's).

Bench data that the steps need before measuring (organizations, persons, problems) is
bulk-inserted directly: it is the set-up, not what is measured.
"""

from __future__ import annotations

import datetime as dt
import io
import resource
import time
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.utils.functional import Promise
from openpyxl import Workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import IMPORTERS


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _user(root: Any, role: str = "clerk") -> Any:
    from taizhang.accounts.services import grant_create, user_create
    from taizhang.organizations.scope import ScopeKind

    user = user_create(
        username="bench_importer",
        password="Bench@" + dt.datetime.now().strftime("%Y%m%d%H%M%S%f"),
        must_change_password=False,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user, role=role, scope_kind=ScopeKind.SUBTREE, organization=root, acting_user=SYSTEM
    )
    return user


def _tree(branches: int) -> tuple[Any, list[Any]]:
    """A district with ``branches`` open units under 10 streets (through the service)."""
    from taizhang.organizations.models import OrgKind
    from taizhang.organizations.services import organization_create

    root = organization_create(
        parent=None,
        kind=OrgKind.DISTRICT_COMMITTEE,
        code="B",
        name="基准区委",
        short_name="基准区",
        acting_user=SYSTEM,
    )
    units = []
    for s in range(10):
        street = organization_create(
            parent=root,
            kind=OrgKind.WORKING_COMMITTEE,
            code=f"B{s:02d}",
            name=f"第{s}街道党工委",
            short_name=f"第{s}街道",
            acting_user=SYSTEM,
        )
        for b in range(branches // 10):
            units.append(
                organization_create(
                    parent=street,
                    kind=OrgKind.COMMITTEE,
                    code=f"B{s:02d}{b:03d}",
                    name=f"第{s}街道第{b}社区党委",
                    short_name=f"{s}街{b}社区",
                    acting_user=SYSTEM,
                )
            )
    return root, units


def _sheet(kind: str, rows: Callable[[], Any]) -> bytes:
    """A workbook with the importer's header and ``rows`` (dicts by field key), streamed."""
    importer = IMPORTERS[kind]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(importer.label)[:31])
    sheet.append([f.title for f in importer.fields])
    keys = [f.key for f in importer.fields]
    for row in rows():
        sheet.append([_plain(row.get(k)) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Promise) else value


def _run_import(kind: str, content: bytes, user: Any) -> dict[str, Any]:
    """Upload, check and import as the worker would; the seconds of each step."""
    from taizhang.core.jobs import job_run
    from taizhang.ingest.models import BatchStatus, ImportBatch
    from taizhang.ingest.services import batch_import, batch_upload

    started = time.perf_counter()
    batch = batch_upload(kind=kind, file_name="bench.xlsx", content=content, acting_user=user)
    assert batch.job is not None
    job_run(batch.job.pk)
    checked = time.perf_counter()
    batch.refresh_from_db()
    if batch.status != BatchStatus.CHECKED:
        raise SystemExit(f"check failed: {batch.errors[:5]}")
    batch = batch_import(batch=batch, acting_user=user)
    assert batch.job is not None
    job_run(batch.job.pk)
    done = time.perf_counter()
    batch = ImportBatch.objects.get(pk=batch.pk)
    if batch.status != BatchStatus.IMPORTED:
        raise SystemExit(f"import failed: {batch.status} {batch.errors[:5]} {batch.message}")
    rows = batch.rows
    return {
        "rows": rows,
        "file_mb": round(len(content) / 1e6, 1),
        "check_seconds": round(checked - started, 1),
        "import_seconds": round(done - checked, 1),
        "total_seconds": round(done - started, 1),
        "rows_per_second": round(rows / (done - started)),
        "import_rows_per_second": round(rows / (done - checked)),
    }


def step_activities(rows: int) -> dict[str, Any]:
    from taizhang.activities.models import ActivityKind, Attendance
    from taizhang.people.models import Person

    root, units = _tree(200)
    user = _user(root)
    persons = [
        Person(organization=units[i % len(units)], name=f"成员{i:06d}", gender="M")
        for i in range(20_000)
    ]
    Person.objects.bulk_create(persons, batch_size=2000)
    kind = ActivityKind.objects.filter(is_active=True).first()
    assert kind is not None
    day = dt.date(2025, 1, 1)

    def generate() -> Any:
        for i in range(rows):
            unit = units[i % len(units)]
            yield {
                "org_code": unit.code,
                "kind": kind.name,
                "title": f"集中学习第{i}次",
                "held_on": day + dt.timedelta(days=i % 360),
                "attendees": "、".join(f"成员{(i * 7 + k) % 20_000:06d}" for k in range(5)),
            }

    content = _sheet("activities.activity", generate)
    base = _rss_mb()
    result = _run_import("activities.activity", content, user)
    result["attendance_rows"] = Attendance.objects.count()
    result["rss_after_setup_mb"] = base
    return result


def step_organizations(rows: int) -> dict[str, Any]:
    from taizhang.organizations.models import Organization
    from taizhang.organizations.tests.tree_file import tree_rows

    root, _units = _tree(0)
    user = _user(root, "system_admin")  # who keeps the organization tree
    content = _sheet(
        "organizations.organization", lambda: iter(tree_rows(rows, parent_code="B00", fanout=8))
    )
    base = _rss_mb()
    result = _run_import("organizations.organization", content, user)
    result["organizations"] = Organization.objects.count()
    result["rss_after_setup_mb"] = base
    return result


def step_export(rows: int) -> dict[str, Any]:
    from taizhang.core.exports import EXPORTS, _write

    root, units = _tree(200)
    user = _user(root)
    _bulk_problems(units, rows)
    export = EXPORTS["problems.problem"]
    base = _rss_mb()
    started = time.perf_counter()
    written, _name = _write(export, user, {})
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "rows": written.rows,
        "file_mb": round(len(written.content) / 1e6, 1),
        "seconds": round(seconds, 1),
        "rows_per_second": round(written.rows / seconds),
        "rss_after_setup_mb": base,
    }
    if rows <= 100_000:
        # The module's share: the same rows built and read, nothing written.
        started = time.perf_counter()
        for _row in export.build(user, {}).rows:
            pass
        result["rows_only_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _bulk_problems(units: list[Any], rows: int) -> None:
    """Set-up only: ``rows`` open problems spread over the units, inserted in bulk."""
    from taizhang.problems.models import Problem, ProblemKind, ProblemSource

    kind = ProblemKind.objects.first()
    assert kind is not None
    day = dt.date(2025, 1, 1)
    batch: list[Problem] = []
    for i in range(rows):
        unit = units[i % len(units)]
        batch.append(
            Problem(
                org=unit,
                lead_unit=unit,
                title=f"第{i}号问题：道路破损需修复",
                kind=kind,
                source=ProblemSource.choices[0][0],
                deadline=day + dt.timedelta(days=30 + i % 300),
                raised_on=day + dt.timedelta(days=i % 300),
                measures="制定整改方案，明确责任人和完成时限。",
            )
        )
        if len(batch) == 5000:
            Problem.objects.bulk_create(batch)
            batch = []
    Problem.objects.bulk_create(batch)


STEPS = {
    "activities": (step_activities, 50_000),
    "organizations": (step_organizations, 50_000),
    "export_50k": (step_export, 50_000),
    "export": (step_export, 500_000),
}


def run_step(name: str, scale: float) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    step, rows = STEPS[name]
    result = step(max(100, int(rows * scale)))
    result["peak_rss_mb"] = _rss_mb()
    return result
