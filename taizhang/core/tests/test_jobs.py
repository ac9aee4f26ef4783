"""Background jobs: a large export becomes a job whose file only its owner downloads."""

from __future__ import annotations

import io
import time

import pytest
from django.core.cache import caches
from django.test import TestCase
from openpyxl import load_workbook

from taizhang.core import exports
from taizhang.core.exports import Column, Export, Sheet, register_export
from taizhang.core.jobs import (
    HANDLERS,
    job_reap,
    job_snapshot,
    job_start,
    register_job_handler,
)
from taizhang.core.models import Job, JobStatus


def _build(viewer, params):
    count = int(params.get("n", "3"))
    return Sheet(
        columns=[Column("序号"), Column("名称")],
        rows=([i, f"第{i}行"] for i in range(count)),
        count=count,
        organization_name="测试区",
    )


@pytest.fixture
def toy_export():
    export = register_export(
        Export(
            kind="core.toy",
            title="玩具台账",
            permission="audit.view",
            ascii_name="toy",
            build=_build,
        )
    )
    yield export
    exports.EXPORTS.pop("core.toy")


@pytest.fixture
def view(toy_export):

    from taizhang.core.access import requires
    from taizhang.core.exports import export_respond

    @requires("audit.view")
    def toy(request):
        return export_respond(request, "core.toy")

    return toy


def test_a_small_export_is_answered_at_once(rf, personas, view):
    request = rf.get("/toy/", {"n": "3"})
    request.user = personas.auditor
    response = view(request)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.worksheets[0].max_row == 5  # title, header, three rows


def test_a_large_export_runs_as_a_job_and_only_its_owner_downloads_it(
    rf, client, personas, view, monkeypatch
):
    monkeypatch.setattr(exports, "BACKGROUND_ROWS", 10)
    request = rf.get("/toy/", {"n": "25"})
    request.user = personas.auditor
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = view(request)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tasks/{job.pk}/"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.result["rows"] == 25
    client.force_login(personas.auditor)
    page = client.get(f"/tasks/{job.pk}/").content.decode()
    assert f"/tasks/{job.pk}/download/" in page
    download = client.get(f"/tasks/{job.pk}/download/")
    assert download.status_code == 200
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    assert load_workbook(io.BytesIO(download.content)).worksheets[0].max_row == 27
    client.force_login(personas.district)
    assert client.get(f"/tasks/{job.pk}/").status_code == 404
    assert client.get(f"/tasks/{job.pk}/download/").status_code == 404


def test_a_failing_handler_fails_its_job_with_the_reason(personas):
    def broken(job, progress):
        raise ValueError("the disk is full")

    register_job_handler("core.broken", broken)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            job = job_start(
                kind="core.broken", label="坏任务", params={}, acting_user=personas.auditor
            )
    finally:
        HANDLERS.pop("core.broken")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "the disk is full" in job.message


def test_a_running_job_whose_heartbeat_stopped_is_failed(personas, settings):
    settings.TAIZHANG_JOB_STALE_SECONDS = 5
    job = Job.objects.create(kind="core.export", label="x", status=JobStatus.RUNNING)
    caches["progress"].set(f"job:{job.pk}:beat", time.time())
    assert job_reap(job).status == JobStatus.RUNNING
    caches["progress"].set(f"job:{job.pk}:beat", time.time() - 10)
    assert job_reap(job).status == JobStatus.FAILED


def test_progress_is_read_from_the_progress_cache(personas):
    from taizhang.core.jobs import report_progress

    job = Job.objects.create(kind="core.export", label="x", status=JobStatus.RUNNING)
    report_progress(job.pk, 250, 1000)
    snapshot = job_snapshot(job)
    assert (snapshot.done, snapshot.total, snapshot.percent) == (250, 1000, 25)
