"""The one background task: run a :class:`~taizhang.core.models.Job` by its kind."""

from __future__ import annotations

from django_tasks import task

from taizhang.core.jobs import job_run


@task()
def run_job(job_pk: int) -> None:
    job_run(job_pk)
