"""Background tasks a person can watch: start one, report progress, see how it ended.

A request never waits minutes. It creates a :class:`~taizhang.core.models.Job` and the
background worker (``taizhang worker``: django-tasks with its database backend, no
broker) runs the handler a module registered for the job's kind. While it runs, the
handler reports ``progress(done, total)`` and a heartbeat thread marks it alive. Both
go to the ``progress`` cache, not the database: the work may hold one transaction for
its whole length (an all-or-nothing import), and rows written by another connection
would wait for it on SQLite. A job whose heartbeat stops (the worker was killed) is
marked failed the next time anyone looks at it; its transaction was rolled back by the
database, so nothing of it remains.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, require_actor, user_of
from taizhang.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3.0
STALE_SECONDS = 45.0  # settings.TAIZHANG_JOB_STALE_SECONDS overrides it

# ``progress(done, total)`` or ``progress(done, total, stage)``: what the page shows.
Progress = Callable[..., None]
Handler = Callable[[Job, Progress], dict[str, Any]]

HANDLERS: dict[str, Handler] = {}


class JobFailed(Exception):
    """A handler's expected failure: the message is shown, the result kept."""

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result or {}


def register_job_handler(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


def _cache() -> Any:
    return caches["progress"]


@dataclass(frozen=True)
class Snapshot:
    """What the task page shows: status, rows done of total, percent."""

    status: str
    done: int
    total: int
    stage: str

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def job_start(*, kind: str, label: str, params: dict[str, Any], acting_user: Actor) -> Job:
    """Record a job and queue it once the caller's transaction commits."""
    require_actor(acting_user)
    if kind not in HANDLERS:
        raise KeyError(f"No handler registered for job kind {kind!r}")
    # The worker answers in the language of the person who started the job.
    params = {**params, "language": translation.get_language() or settings.LANGUAGE_CODE}
    job = Job.objects.create(
        kind=kind, label=label[:200], params=params, created_by=user_of(acting_user)
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_pk: int) -> None:
    from taizhang.core.tasks import run_job

    result = run_job.enqueue(job_pk)
    Job.objects.filter(pk=job_pk, task_id="").update(task_id=str(result.id)[:64])


def job_retry(*, job: Job, acting_user: Actor) -> Job:
    """Queue a failed job again with the same parameters."""
    if job.status != JobStatus.FAILED:
        raise ValueError("Only a failed job is run again")
    return job_start(kind=job.kind, label=job.label, params=job.params, acting_user=acting_user)


def report_progress(job_pk: int, done: int, total: int, stage: str = "") -> None:
    _cache().set(f"job:{job_pk}:progress", (done, total, stage, time.time()), 86400)


def _beat(job_pk: int) -> None:
    _cache().set(f"job:{job_pk}:beat", time.time(), 86400)


def job_snapshot(job: Job) -> Snapshot:
    done, total, stage, _at = _cache().get(f"job:{job.pk}:progress") or (0, 0, "", 0)
    if job.finished and job.result.get("total"):
        done = total = int(job.result["total"])
    return Snapshot(status=job.status, done=done, total=total, stage=stage)


def job_reap(job: Job) -> Job:
    """Mark a running job failed when its worker stopped beating (killed, machine down)."""
    if job.status != JobStatus.RUNNING:
        return job
    beat = _cache().get(f"job:{job.pk}:beat") or 0
    stale = float(getattr(settings, "TAIZHANG_JOB_STALE_SECONDS", STALE_SECONDS))
    if time.time() - float(beat) < stale:
        return job
    message = _("The worker stopped while running this task; nothing of it was kept.")
    if Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, message=message, finished_at=timezone.now()
    ):
        _on_failed(job)
    job.refresh_from_db()
    return job


def job_reap_stale() -> int:
    """Mark every running job whose worker stopped as failed (a worker does this on start)."""
    reaped = 0
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        if job_reap(job).status == JobStatus.FAILED:
            reaped += 1
    return reaped


FAILURE_LISTENERS: list[Callable[[Job], None]] = []


def _on_failed(job: Job) -> None:
    for listener in FAILURE_LISTENERS:
        listener(job)


def job_run(job_pk: int) -> None:
    """Run one job in the worker: mark it running, call its handler, record the end.

    The worker (django-tasks' database worker) manages the connection around each task;
    closing it here would break a task run inside a caller's transaction (tests)."""
    claimed = Job.objects.filter(pk=job_pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # run already, or cancelled
    job = Job.objects.get(pk=job_pk)
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            _beat(job_pk)
            stop.wait(HEARTBEAT_SECONDS)

    _beat(job_pk)
    thread = threading.Thread(target=beat, name=f"job-{job_pk}-heartbeat", daemon=True)
    thread.start()
    status, message, result = JobStatus.FAILED, "", {}
    try:
        handler = HANDLERS[job.kind]
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            result = handler(
                job,
                lambda done, total, stage="": report_progress(job_pk, done, total, stage),
            )
        status = JobStatus.SUCCEEDED
    except JobFailed as failure:
        message, result = failure.message, failure.result
    except Exception as error:  # the job records the failure; the worker goes on
        logger.exception("Job %s (%s) failed", job_pk, job.kind)
        message = _("The task failed: %(error)s") % {"error": str(error)[:500]}
    finally:
        stop.set()
        thread.join(timeout=HEARTBEAT_SECONDS * 2)
        Job.objects.filter(pk=job_pk).update(
            status=status, message=message, result=result, finished_at=timezone.now()
        )
        if status == JobStatus.FAILED:
            job.refresh_from_db()
            _on_failed(job)
