"""Demo: last month's 党建工作月报, sent by the district to every subdistrict and due
yesterday. Some streets are accepted, one sent back, one waiting for review, the rest
late; the first street relayed it to its communities, partly answered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS
from taizhang.reporting import services
from taizhang.reporting.models import Assignment, FieldKind, ReportingTask
from taizhang.reporting.selectors import metric_value
from taizhang.reporting.services import FieldIn

METRIC = "activities.group_study"


def _fields() -> list[FieldIn]:
    metric = METRIC if METRIC in METRICS else ""
    return [
        FieldIn(
            label="本月集中学习场次",
            kind=FieldKind.NUMBER,
            unit_label="场",
            metric=metric,
        ),
        FieldIn(label="参加党员人次", kind=FieldKind.NUMBER, unit_label="人次"),
        FieldIn(label="党建活动经费", kind=FieldKind.MONEY, unit_label="元"),
        FieldIn(label="本月工作亮点", kind=FieldKind.TEXT, required=False),
    ]


def _answers(task: ReportingTask, org: Any, rng: Any, *, off: int = 0) -> dict[int, Any]:
    fields = list(task.fields.all())
    studies = (
        metric_value(METRICS[METRIC], org, task.period_start, task.period_end)
        if fields[0].metric
        else Decimal(rng.randint(3, 12))
    )
    return {
        fields[0].pk: str(studies + off),
        fields[1].pk: str(int(studies + off) * rng.randint(18, 35)),
        fields[2].pk: f"{rng.randint(8, 60) * 100}.00",
        fields[3].pk: rng.choice(
            ["开展“三会一课”专题学习", "组织党员志愿服务进小区", "召开党建联席会议", ""]
        ),
    }


def _submit(task: ReportingTask, org: Any, rng: Any, *, off: int = 0) -> Assignment:
    assignment = Assignment.objects.select_related("task", "org").get(task=task, org=org)
    return services.assignment_submit(
        assignment=assignment, values=_answers(task, org, rng, off=off), acting_user=SYSTEM
    )


def load(ctx: Any) -> None:
    if ctx.district is None or len(ctx.subdistricts) < 4:
        return
    rng = ctx.rng
    today = timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    task = services.task_create(
        issuer=ctx.district,
        title=f"{start.year}年{start.month}月党建工作月报",
        instructions="请各街道党工委汇总辖区社区数据后填报；集中学习场次以台账记录为准，"
        "如有出入请在工作亮点中说明。",
        period_start=start,
        period_end=end,
        deadline=today - dt.timedelta(days=1),
        fields=_fields(),
        acting_user=SYSTEM,
    )
    streets = list(ctx.subdistricts)
    services.task_send(task=task, orgs=streets, acting_user=SYSTEM)

    # The first street relays to its communities: two accepted, one waiting for its
    # review, one sent back, the rest not reported yet.
    first = Assignment.objects.select_related("task", "org").get(task=task, org=streets[0])
    communities = [c for c in ctx.communities if c.parent_id == streets[0].pk]
    if communities:
        child = services.task_relay(
            assignment=first, orgs=communities, deadline=task.deadline, acting_user=SYSTEM
        )
        for index, community in enumerate(communities[:4]):
            done = _submit(child, community, rng)
            if index < 2:
                services.assignment_accept(assignment=done, acting_user=SYSTEM)
            elif index == 3:
                services.assignment_send_back(
                    assignment=done,
                    reason="参加党员人次与活动签到表不一致，请核对后重新填报。",
                    acting_user=SYSTEM,
                )

    # The district's side: accepted, one waiting for review, one sent back, the rest late.
    for index, street in enumerate(streets[1:], start=1):
        if index in (1, 2):
            services.assignment_accept(
                assignment=_submit(task, street, rng, off=index - 1), acting_user=SYSTEM
            )
        elif index == 3:
            _submit(task, street, rng, off=1)
        elif index == 4:
            services.assignment_send_back(
                assignment=_submit(task, street, rng),
                reason="党建活动经费未附支出明细，请补充后重新报送。",
                acting_user=SYSTEM,
            )
