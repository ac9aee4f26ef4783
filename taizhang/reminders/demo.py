"""Demo: the daily reminders run for the demo's today, so each persona opens the site to
unread messages (a digest, deadlines near), besides what the ledgers' demos already sent
(escalations, send-backs, assignments); and a district robot, left switched off, for the
administrator's page. The demo sends nothing outside the machine."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.reminders.services import reminders_daily, webhook_endpoint_create


def load(ctx: Any) -> None:
    if ctx.district is not None:
        webhook_endpoint_create(
            org=ctx.district,
            kind="wecom",
            name="区委办工作群（示例，未启用）",
            url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=00000000-demo-0000-0000-000000000000",
            enabled=False,
            acting_user=SYSTEM,
        )
    reminders_daily(today=timezone.localdate(), acting_user=SYSTEM)
