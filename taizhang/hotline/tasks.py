"""The background task that pushes state changes once the write that made them committed
(and again, deferred, after a failed attempt: ``services.BACKOFF_MINUTES``)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_pushes(ids: list[int]) -> int:
    from taizhang.hotline.services import pushes_send

    return pushes_send(ids)
