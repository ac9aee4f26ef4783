"""Reporting tasks for tests: a monthly task with a ledger figure, sent and answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization
from taizhang.reporting import services
from taizhang.reporting.models import Answer, Assignment, FieldKind, ReportingTask, TaskField
from taizhang.reporting.services import FieldIn

METRIC = "activities.group_study"
PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def default_fields() -> list[FieldIn]:
    return [
        FieldIn(label="本月集中学习场次", kind=FieldKind.NUMBER, unit_label="场", metric=METRIC),
        FieldIn(label="参加人次", kind=FieldKind.NUMBER, unit_label="人次"),
        FieldIn(label="经费", kind=FieldKind.MONEY, unit_label="元", required=False),
        FieldIn(label="情况说明", kind=FieldKind.TEXT, required=False),
    ]


def make_task(
    issuer: Organization,
    *,
    fields: list[FieldIn] | None = None,
    deadline: dt.date | None = None,
    acting_user: Any = SYSTEM,
    **kwargs: Any,
) -> ReportingTask:
    return services.task_create(
        issuer=issuer,
        title=kwargs.pop("title", "2026年11月党建工作月报"),
        instructions=kwargs.pop("instructions", "请于截止日前填报本月数据。"),
        period_start=kwargs.pop("period_start", PERIOD[0]),
        period_end=kwargs.pop("period_end", PERIOD[1]),
        deadline=deadline or timezone.localdate() + dt.timedelta(days=5),
        fields=fields if fields is not None else default_fields(),
        acting_user=acting_user,
    )


def send_task(issuer: Organization, orgs: list[Organization], **kwargs: Any) -> ReportingTask:
    acting_user = kwargs.get("acting_user", SYSTEM)
    task = make_task(issuer, **kwargs)
    services.task_send(task=task, orgs=orgs, acting_user=acting_user)
    return task


def assignment_of(task: ReportingTask, org: Organization) -> Assignment:
    return Assignment.objects.select_related("task", "org").get(task=task, org=org)


def fields_of(task: ReportingTask) -> list[TaskField]:
    return list(task.fields.all())


def values(task: ReportingTask, *numbers: Any) -> dict[int, Any]:
    """Answers for the first fields of ``task``, in order."""
    return {f.pk: v for f, v in zip(fields_of(task), numbers, strict=False)}


def answer_and_submit(
    task: ReportingTask, org: Organization, *numbers: Any, acting_user: Any = SYSTEM
) -> Assignment:
    assignment = assignment_of(task, org)
    return services.assignment_submit(
        assignment=assignment, values=values(task, *numbers), acting_user=acting_user
    )


def policy_samples() -> dict[str, Any]:
    """One row of each policy booked on ``org`` (the conformance test's matrix)."""

    def task(org: Organization) -> ReportingTask:
        return make_task(org, fields=[FieldIn(label="数", kind=FieldKind.NUMBER)])

    def field(org: Organization) -> TaskField:
        return task(org).fields.get()

    def _root(org: Organization) -> Organization:
        root = org
        while root.parent_id is not None:
            root = Organization.objects.get(pk=root.parent_id)
        return root

    def assignment(org: Organization) -> Assignment:
        # Sent from the top of the tree, so only the receiving unit books it below.
        issuer = _root(org)
        t = make_task(issuer, fields=[FieldIn(label="数", kind=FieldKind.NUMBER)])
        return Assignment.objects.create(task=t, org=org)

    def answer(org: Organization) -> Answer:
        a = assignment(org)
        return Answer.objects.create(assignment=a, field=a.task.fields.get(), value="1")

    return {
        "reporting.task": task,
        "reporting.field": field,
        "reporting.assignment": assignment,
        "reporting.answer": answer,
    }
