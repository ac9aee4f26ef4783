"""The background task that sends deliveries once the write that made them committed."""

from __future__ import annotations

from django_tasks import task


@task()
def send_deliveries(ids: list[int]) -> int:
    from taizhang.reminders.services import deliveries_send

    return deliveries_send(ids)
