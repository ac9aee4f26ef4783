"""Reads of reporting tasks: lists, the progress board, the fill rows with their
prefill (the records' figure, the children's roll-up) and reported figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.core.registry import METRICS, Metric
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import ScopeKind, scope_for
from taizhang.reporting.models import (
    OPEN_STATES,
    SUMMED_KINDS,
    Answer,
    Assignment,
    AssignmentState,
    FieldKind,
    ReportingTask,
    TaskField,
    TaskState,
)
from taizhang.reporting.permissions import ASSIGNMENT, FILL, ISSUE, TASK, VIEW

DONE_STATES = (AssignmentState.SUBMITTED, AssignmentState.ACCEPTED)


# --- whose units --------------------------------------------------------------------


def my_unit_ids(viewer: Actor | None, permission: str) -> set[int]:
    """The units the viewer's grants for ``permission`` name themselves (not the units
    below them): a district clerk's units are the district, not every street."""
    ids: set[int] = set()
    for fact in scope_for(viewer, permission).grants:
        if fact.kind in (ScopeKind.ORG, ScopeKind.SUBTREE) and fact.org_id:
            ids.add(fact.org_id)
        elif fact.kind == ScopeKind.LISTED:
            ids.update(pk for pk, _path, _name in fact.listed)
    return ids


# --- lists ----------------------------------------------------------------------------


def assignments_to_fill(*, viewer: Actor) -> QuerySet[Assignment]:
    """The assignments of the viewer's own units (sent, not draft), open ones first."""
    return (
        ASSIGNMENT.queryset(viewer, FILL)
        .filter(org_id__in=my_unit_ids(viewer, FILL), task__state__in=(TaskState.SENT,))
        .select_related("task", "task__issuer", "org")
        .order_by("task__deadline", "org__path", "pk")
    )


def tasks_issued(*, viewer: Actor) -> QuerySet[ReportingTask]:
    """Tasks issued by units in the viewer's scope, with progress (done / total)."""
    by_issuer = scope_for(viewer, VIEW).records_q(org_field="issuer")
    return (
        TASK.queryset(viewer)
        .filter(by_issuer)
        .select_related("issuer")
        .annotate(
            total=Count("assignments"),
            done=Count("assignments", filter=Q(assignments__state__in=DONE_STATES)),
        )
        .order_by("state", "-deadline", "-pk")
    )


def get_task_for_viewer(viewer: Actor, pk: Any) -> ReportingTask:
    return TASK.get(viewer, pk, base=ReportingTask.objects.select_related("issuer"))


def get_assignment_for_viewer(viewer: Actor, pk: Any) -> Assignment:
    return ASSIGNMENT.get(
        viewer, pk, base=Assignment.objects.select_related("task", "task__issuer", "org")
    )


def sees_issuer(viewer: Actor, task: ReportingTask) -> bool:
    """The board and the answers of every unit are the issuing side's."""
    return scope_for(viewer, VIEW).covers(task.issuer)


def task_fields(task: ReportingTask) -> list[TaskField]:
    return list(task.fields.all())


# --- ledger figures -------------------------------------------------------------------


def _is_datetime(model: type[models.Model], path: str) -> bool:
    target: Any = model
    found: Any = None
    for hop in path.split("__"):
        try:
            found = target._meta.get_field(hop)
        except Exception:  # noqa: BLE001 - a lookup we cannot follow: treat as a date
            return False
        target = getattr(found, "related_model", None) or target
    return isinstance(found, models.DateTimeField)


def metric_value(metric: Metric, org: Organization, start: dt.date, end: dt.date) -> Decimal:
    """The figure the records give for ``org``'s subtree over ``[start, end]``, from the
    metric's own definition (the statistics module is not imported)."""
    qs = metric.queryset()
    lower, upper = org.subtree_bounds
    qs = qs.filter(
        **{f"{metric.org_field}__path__gte": lower, f"{metric.org_field}__path__lt": upper}
    )
    date = (
        f"{metric.date_field}__date"
        if _is_datetime(qs.model, metric.date_field)
        else (metric.date_field)
    )
    qs = qs.filter(**{f"{date}__gte": start, f"{date}__lte": end})
    if metric.distinct:
        return Decimal(qs.values(metric.distinct).distinct().count())
    if metric.value == "count":
        return Decimal(qs.count())
    total = qs.aggregate(total=Sum(metric.value))["total"]
    return Decimal(str(total or 0))


def metric_choices(viewer: Actor) -> list[tuple[str, str]]:
    """The registered metrics the viewer may read, as (name, label) choices."""
    return [
        (name, str(metric.label))
        for name, metric in sorted(METRICS.items(), key=lambda item: str(item[1].label))
        if viewer.has_function(metric.permission)
    ]


# --- values ---------------------------------------------------------------------------


def as_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def plain(number: Decimal | None) -> str:
    """A decimal without trailing zeros: 12, 3.5."""
    if number is None:
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- fill rows ------------------------------------------------------------------------


@dataclass
class FillRow:
    field: TaskField
    answer: Answer | None
    value: Any  # what the form shows: the saved answer, else the roll-up, else the record
    record: Decimal | None = None  # the records' figure (metric fields)
    rollup: Decimal | None = None  # the accepted children's sum (relayed tasks)

    @property
    def number(self) -> Decimal | None:
        return as_decimal(self.value) if self.field.is_summed else None

    @property
    def difference(self) -> Decimal | None:
        """Reported minus records, when both exist and differ."""
        number = self.number
        if self.record is None or number is None or number == self.record:
            return None
        return number - self.record


@dataclass
class Relayed:
    """The child tasks a unit relayed its assignment to, and how far they are."""

    tasks: list[ReportingTask]
    total: int = 0
    accepted: int = 0
    missing: list[Assignment] = dc_field(default_factory=list)


def relay_status(assignment: Assignment) -> Relayed:
    tasks = list(ReportingTask.objects.filter(parent_assignment=assignment).order_by("pk"))
    children = list(
        Assignment.objects.filter(task__parent_assignment=assignment)
        .select_related("org")
        .order_by("org__path")
    )
    accepted = [a for a in children if a.state == AssignmentState.ACCEPTED]
    return Relayed(
        tasks=tasks,
        total=len(children),
        accepted=len(accepted),
        missing=[a for a in children if a.state != AssignmentState.ACCEPTED],
    )


def relayed_org_ids(assignment: Assignment) -> set[int]:
    """The units ``assignment``'s task was already relayed to from it."""
    return set(
        Assignment.objects.filter(task__parent_assignment=assignment).values_list(
            "org_id", flat=True
        )
    )


def rollup(assignment: Assignment) -> dict[int, Decimal]:
    """Per field of ``assignment``'s task: the sum of the accepted answers of the
    child tasks relayed from it (numbers and money; text is not summed)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    answers = Answer.objects.filter(
        assignment__task__parent_assignment=assignment,
        assignment__state=AssignmentState.ACCEPTED,
        field__source__task_id=assignment.task_id,
        field__kind__in=(FieldKind.NUMBER, FieldKind.MONEY),
    ).values_list("field__source_id", "value")
    for field_id, value in answers:
        number = as_decimal(value)
        if number is not None and field_id is not None:
            totals[field_id] += number
    return dict(totals)


def records_for(assignment: Assignment, fields: list[TaskField]) -> dict[int, Decimal]:
    task = assignment.task
    found: dict[int, Decimal] = {}
    for f in fields:
        metric = METRICS.get(f.metric) if f.metric else None
        if metric is not None:
            found[f.pk] = metric_value(metric, assignment.org, task.period_start, task.period_end)
    return found


def fill_rows(assignment: Assignment) -> list[FillRow]:
    """One row per field: the saved answer, else the children's roll-up, else the
    records' figure, with the records' figure beside it."""
    fields = task_fields(assignment.task)
    answers = {a.field_id: a for a in assignment.answers.all()}
    records = records_for(assignment, fields)
    rolled = rollup(assignment)
    rows = []
    for f in fields:
        answer = answers.get(f.pk)
        record = records.get(f.pk)
        roll = rolled.get(f.pk) if f.is_summed else None
        if answer is not None and answer.value not in (None, ""):
            value: Any = answer.value
        elif roll is not None:
            value = plain(roll)
        elif record is not None:
            value = plain(record)
        else:
            value = None
        rows.append(FillRow(field=f, answer=answer, value=value, record=record, rollup=roll))
    return rows


def review_rows(assignment: Assignment) -> list[FillRow]:
    """The submitted answers beside the records' figure saved with them."""
    answers = {a.field_id: a for a in assignment.answers.all()}
    rows = []
    for f in task_fields(assignment.task):
        answer = answers.get(f.pk)
        rows.append(
            FillRow(
                field=f,
                answer=answer,
                value=answer.value if answer is not None else None,
                record=answer.record_value if answer is not None else None,
            )
        )
    return rows


# --- the progress board ---------------------------------------------------------------


@dataclass
class BoardRow:
    assignment: Assignment
    late: bool
    urged_today: bool
    # The unit relayed the task below: how many units it went to, how many accepted.
    relayed_total: int = 0
    relayed_accepted: int = 0


@dataclass
class Board:
    task: ReportingTask
    rows: list[BoardRow]
    counts: dict[str, int]
    totals: list[tuple[TaskField, Decimal]]
    fields: list[TaskField]
    answers: dict[tuple[int, int], Any]


def board(task: ReportingTask) -> Board:
    """One row per receiving unit (with how far the units below are when it relayed
    the task), the counts (reported / not reported, by state, late) and the accepted
    totals per number/money field. Four queries, whatever the number of units."""
    today = timezone.localdate()
    assignments = list(task.assignments.select_related("org").order_by("org__path", "pk"))
    for a in assignments:
        a.task = task
    fields = task_fields(task)
    answers: dict[tuple[int, int], Any] = {}
    for assignment_id, field_id, value in Answer.objects.filter(assignment__task=task).values_list(
        "assignment_id", "field_id", "value"
    ):
        answers[(assignment_id, field_id)] = value
    relayed = {
        row["task__parent_assignment"]: row
        for row in Assignment.objects.filter(task__parent_assignment__task=task)
        .values("task__parent_assignment")
        .annotate(total=Count("pk"), accepted=Count("pk", filter=Q(state=AssignmentState.ACCEPTED)))
        .order_by()
    }
    counts = dict.fromkeys(AssignmentState.values, 0)
    counts["late"] = 0
    counts["total"] = len(assignments)
    # 已报 / 未报: every unit is one or the other (a sent-back report is not reported).
    counts["done"] = 0
    counts["open"] = 0
    rows = []
    for a in assignments:
        counts[a.state] += 1
        counts["done" if a.state in DONE_STATES else "open"] += 1
        late = a.is_late(today)
        counts["late"] += late
        urged = a.last_urged_at is not None and timezone.localdate(a.last_urged_at) == today
        below = relayed.get(a.pk, {})
        rows.append(
            BoardRow(
                assignment=a,
                late=late,
                urged_today=urged,
                relayed_total=below.get("total", 0),
                relayed_accepted=below.get("accepted", 0),
            )
        )
    accepted = {a.pk for a in assignments if a.state == AssignmentState.ACCEPTED}
    totals = []
    for f in fields:
        if f.is_summed:
            total = sum(
                (as_decimal(answers.get((pk, f.pk))) or Decimal(0) for pk in accepted),
                Decimal(0),
            )
            totals.append((f, total))
    return Board(task=task, rows=rows, counts=counts, totals=totals, fields=fields, answers=answers)


def not_submitted(task: ReportingTask) -> QuerySet[Assignment]:
    return task.assignments.filter(state__in=OPEN_STATES)


# --- to-dos ---------------------------------------------------------------------------


def todo_to_fill(*, viewer: Actor) -> QuerySet[Assignment]:
    """My units' assignments still to report (pending or sent back), soonest first."""
    return assignments_to_fill(viewer=viewer).filter(state__in=OPEN_STATES)


def todo_to_review(*, viewer: Actor) -> QuerySet[Assignment]:
    """Answers submitted to tasks my units issued, waiting for my review."""
    return (
        ASSIGNMENT.queryset(viewer)
        .filter(
            task__issuer_id__in=my_unit_ids(viewer, ISSUE),
            task__state=TaskState.SENT,
            state=AssignmentState.SUBMITTED,
        )
        .select_related("task", "org")
        .order_by("submitted_at", "pk")
    )


# --- reported figures for indicators and briefings -----------------------------------


def reported_value(
    metric_name: str, org: Organization, start: dt.date, end: dt.date
) -> Decimal | None:
    """What ``org`` itself reported for a metric over exactly ``[start, end]`` in
    accepted answers (the latest accepted task), or None when it reported nothing."""
    answer = (
        Answer.objects.filter(
            field__metric=metric_name,
            assignment__org=org,
            assignment__state=AssignmentState.ACCEPTED,
            assignment__task__period_start=start,
            assignment__task__period_end=end,
        )
        .order_by("-assignment__reviewed_at", "-pk")
        .values_list("value", flat=True)
        .first()
    )
    return as_decimal(answer)


def _item_text(kind: str, value: Decimal, unit: str) -> str:
    from taizhang.core.formatting import format_yuan

    return format_yuan(value) if kind == FieldKind.MONEY else f"{value.normalize():f}{unit}"


def reported_items(org: Organization, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """The figures reported for ``org`` over exactly ``[start, end]`` in accepted answers
    that confirm no ledger figure (numbers and amounts only), for a briefing's
    「各单位报送情况」, one per item label: what ``org`` itself reported (the latest
    accepted task's), else the sum of what the units it asked reported and it accepted
    (its own tasks for the period). In task order."""
    scope = Q(
        field__metric="",
        field__kind__in=SUMMED_KINDS,
        assignment__state=AssignmentState.ACCEPTED,
        assignment__task__period_start=start,
        assignment__task__period_end=end,
    )
    found: dict[str, dict[str, Any]] = {}
    own = (
        Answer.objects.filter(scope, assignment__org=org)
        .select_related("field", "assignment__task")
        .order_by("-assignment__reviewed_at", "-pk")
    )
    for answer in own:
        value = as_decimal(answer.value)
        if value is None or answer.field.label in found:
            continue
        found[answer.field.label] = {
            "field": answer.field,
            "value": value,
            "task": answer.assignment.task,
        }
    asked = (
        Answer.objects.filter(scope, assignment__task__issuer=org)
        .exclude(field__label__in=list(found))
        .select_related("field", "assignment__task")
        .order_by("assignment__task_id", "field__order", "pk")
    )
    summed: dict[str, dict[str, Any]] = {}
    for answer in asked:
        value = as_decimal(answer.value)
        if value is None:
            continue
        entry = summed.setdefault(
            answer.field.label,
            {"field": answer.field, "value": Decimal(0), "task": answer.assignment.task},
        )
        entry["value"] += value
    found.update(summed)
    ordered = sorted(found.values(), key=lambda e: (e["task"].pk, e["field"].order, e["field"].pk))
    return [
        {
            # The same item in a later task is the same figure.
            "key": f"reported:{entry['field'].label}",
            "label": entry["field"].label,
            "value": str(entry["value"]),
            "text": _item_text(entry["field"].kind, entry["value"], entry["field"].unit_label),
            "task": entry["task"].title,
        }
        for entry in ordered
    ]
