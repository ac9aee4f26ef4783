"""Writes of reporting tasks: each an atomic service with one audit event.

下发 ``task_send``, 填报 ``answer_save`` / ``assignment_submit``, 催报 ``task_urge``,
审核 ``assignment_accept`` / ``assignment_send_back``, 汇总 through ``task_relay`` (the
children's accepted answers prefill the relaying unit's own, see selectors.rollup).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.selectors import users_at
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.notify import notify
from taizhang.core.registry import METRICS
from taizhang.core.uploads import check_request_limits, check_upload
from taizhang.core.versions import require_version
from taizhang.organizations.models import Organization
from taizhang.reporting.models import (
    OPEN_STATES,
    Answer,
    Assignment,
    AssignmentState,
    FieldKind,
    ReportingTask,
    TaskField,
    TaskState,
)
from taizhang.reporting.permissions import ASSIGNMENT, FILL, ISSUE, TASK, may_relay
from taizhang.reporting.selectors import plain, records_for, relayed_org_ids

TASK_FIELDS = ("issuer", "title", "instructions", "period_start", "period_end", "deadline", "state")
ASSIGNMENT_FIELDS = ("state", "review_reason", "times_sent_back")
MAX_FIELDS = 40


@dataclass(frozen=True)
class FieldIn:
    label: str
    kind: str
    required: bool = True
    unit_label: str = ""
    choices: Sequence[str] = field(default_factory=tuple)
    metric: str = ""


# --- tasks ----------------------------------------------------------------------------


def _check_task(
    *,
    title: str,
    period_start: dt.date,
    period_end: dt.date,
    deadline: dt.date,
    fields: Sequence[FieldIn],
    acting_user: Actor,
) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the task a title.")]
    if period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    if deadline < period_start:
        errors["deadline"] = [_("The deadline is before the period starts.")]
    if not fields:
        errors["fields"] = [_("Add at least one field to fill in.")]
    if len(fields) > MAX_FIELDS:
        errors["fields"] = [_("A task has at most %(n)s fields.") % {"n": MAX_FIELDS}]
    for index, f in enumerate(fields, start=1):
        problem = ""
        if not f.label.strip():
            problem = _("Field %(n)s has no name.") % {"n": index}
        elif f.kind not in FieldKind.values:
            problem = _("Field %(n)s has an unknown kind.") % {"n": index}
        elif f.kind == FieldKind.CHOICE and len([c for c in f.choices if c.strip()]) < 2:
            problem = _("Field %(n)s needs at least two choices.") % {"n": index}
        elif f.metric:
            metric = METRICS.get(f.metric)
            if metric is None or not (
                is_system(acting_user) or acting_user.has_function(metric.permission)
            ):
                problem = _("Field %(n)s names a ledger figure you cannot read.") % {"n": index}
            elif f.kind not in (FieldKind.NUMBER, FieldKind.MONEY):
                problem = _("Field %(n)s: a ledger figure is a number.") % {"n": index}
        if problem:
            errors.setdefault("fields", []).append(problem)
    if errors:
        raise ValidationError(errors)


def _write_fields(task: ReportingTask, fields: Sequence[FieldIn]) -> list[TaskField]:
    task.fields.all().delete()
    return TaskField.objects.bulk_create(
        [
            TaskField(
                task=task,
                order=index,
                label=f.label.strip()[:100],
                kind=f.kind,
                required=f.required,
                unit_label=f.unit_label.strip()[:20],
                choices=[c.strip() for c in f.choices if c.strip()],
                metric=f.metric,
            )
            for index, f in enumerate(fields, start=1)
        ]
    )


def _field_snapshot(fields: Iterable[TaskField]) -> list[str]:
    return [f"{f.label}:{f.kind}{':' + f.metric if f.metric else ''}" for f in fields]


@transaction.atomic
def task_create(
    *,
    issuer: Organization,
    title: str,
    instructions: str = "",
    period_start: dt.date,
    period_end: dt.date,
    deadline: dt.date,
    fields: Sequence[FieldIn],
    acting_user: Actor,
) -> ReportingTask:
    """A draft task of ``issuer`` with its fields; nothing is sent yet."""
    TASK.require_org(acting_user, issuer, ISSUE)
    _check_task(
        title=title,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        fields=fields,
        acting_user=acting_user,
    )
    task = ReportingTask.objects.create(
        issuer=issuer,
        title=title.strip()[:200],
        instructions=instructions.strip(),
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        created_by=user_of(acting_user),
    )
    written = _write_fields(task, fields)
    changes = diff({}, snapshot(task, TASK_FIELDS))
    changes["fields"] = [[], _field_snapshot(written)]
    audit_record(actor=acting_user, action="reporting.task_create", obj=task, changes=changes)
    return task


@transaction.atomic
def task_update(
    *,
    task: ReportingTask,
    title: str,
    instructions: str = "",
    period_start: dt.date,
    period_end: dt.date,
    deadline: dt.date,
    fields: Sequence[FieldIn],
    acting_user: Actor,
    version: int | None = None,
) -> ReportingTask:
    """Change a draft task and replace its fields. ``version``: the one the editor saw;
    a change since is refused (``StaleEdit``), not overwritten."""
    task = ReportingTask.objects.select_for_update().get(pk=task.pk)
    TASK.require(acting_user, task, ISSUE)
    require_version(task, version)
    if task.state != TaskState.DRAFT:
        raise ValidationError(_("Only a draft task can be changed; this one was sent."))
    _check_task(
        title=title,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        fields=fields,
        acting_user=acting_user,
    )
    before = snapshot(task, TASK_FIELDS)
    before_fields = _field_snapshot(task.fields.all())
    task.title = title.strip()[:200]
    task.instructions = instructions.strip()
    task.period_start, task.period_end, task.deadline = period_start, period_end, deadline
    task.save()
    written = _write_fields(task, fields)
    changes = diff(before, snapshot(task, TASK_FIELDS))
    after_fields = _field_snapshot(written)
    if after_fields != before_fields:
        changes["fields"] = [before_fields, after_fields]
    audit_record(actor=acting_user, action="reporting.task_update", obj=task, changes=changes)
    return task


def _fill_url(assignment: Assignment) -> str:
    return reverse("reporting:fill", args=[assignment.pk])


def _review_url(assignment: Assignment) -> str:
    return reverse("reporting:review", args=[assignment.pk])


def _assign(task: ReportingTask, orgs: Sequence[Organization]) -> list[Assignment]:
    """Create the assignments and tell each unit's people; the caller audits."""
    errors = []
    lower, upper = task.issuer.subtree_bounds
    for org in orgs:
        if org.pk == task.issuer_id or not (lower <= org.path < upper):
            errors.append(_("%(org)s is not below the issuing unit.") % {"org": org.short_name})
    if not orgs:
        errors.append(_("Choose the units that must report."))
    if errors:
        raise ValidationError({"orgs": errors})
    unique = list({org.pk: org for org in orgs}.values())
    assignments = Assignment.objects.bulk_create([Assignment(task=task, org=o) for o in unique])
    assignments = list(
        Assignment.objects.filter(task=task).select_related("org").order_by("org__path")
    )
    for a in assignments:
        notify(
            recipients=users_at(a.org, FILL),
            rule="reporting.assigned",
            title=_("Reporting task: %(title)s") % {"title": task.title},
            body=_("%(issuer)s asks your unit to report by %(deadline)s.")
            % {"issuer": task.issuer.short_name, "deadline": task.deadline.isoformat()},
            url=_fill_url(a),
            source=a,
            org=a.org,
        )
    return assignments


@transaction.atomic
def task_send(
    *, task: ReportingTask, orgs: Sequence[Organization], acting_user: Actor
) -> list[Assignment]:
    """下发: send a draft task to units below its issuer, one assignment each."""
    TASK.require(acting_user, task, ISSUE)
    if task.state != TaskState.DRAFT:
        raise ValidationError(_("This task was already sent."))
    before = snapshot(task, TASK_FIELDS)
    assignments = _assign(task, orgs)
    task.state = TaskState.SENT
    task.sent_at = timezone.now()
    task.save(update_fields=["state", "sent_at"])
    changes = diff(before, snapshot(task, TASK_FIELDS))
    changes["assignments"] = [[], [a.org_id for a in assignments]]
    audit_record(actor=acting_user, action="reporting.task_send", obj=task, changes=changes)
    return assignments


@transaction.atomic
def task_close(*, task: ReportingTask, acting_user: Actor) -> ReportingTask:
    """Close a sent task: nothing more is filled, urged or reviewed."""
    TASK.require(acting_user, task, ISSUE)
    if task.state != TaskState.SENT:
        raise ValidationError(_("Only a sent task can be closed."))
    before = snapshot(task, TASK_FIELDS)
    task.state = TaskState.CLOSED
    task.closed_at = timezone.now()
    task.save(update_fields=["state", "closed_at"])
    changes = diff(before, snapshot(task, TASK_FIELDS))
    audit_record(actor=acting_user, action="reporting.task_close", obj=task, changes=changes)
    return task


@transaction.atomic
def task_urge(
    *, task: ReportingTask, assignment: Assignment | None = None, acting_user: Actor
) -> int:
    """催报: remind one unit, or every unit not yet reported, at most once a day each.

    Answer how many units were reminded. Urging one unit twice the same day is refused;
    urging all skips those already urged today and is refused when none is left.
    """
    TASK.require(acting_user, task, ISSUE)
    if task.state != TaskState.SENT:
        raise ValidationError(_("Only a sent task can be urged."))
    now = timezone.now()
    today = timezone.localdate(now)

    def urged_today(a: Assignment) -> bool:
        return a.last_urged_at is not None and timezone.localdate(a.last_urged_at) == today

    if assignment is not None:
        if assignment.task_id != task.pk:
            raise ValidationError(_("This unit was not sent the task."))
        if assignment.state not in OPEN_STATES:
            raise ValidationError(_("This unit has already reported."))
        if urged_today(assignment):
            raise ValidationError(
                _("%(org)s was already urged today; urge again tomorrow.")
                % {"org": assignment.org.short_name}
            )
        targets = [assignment]
    else:
        open_ = list(
            task.assignments.filter(state__in=OPEN_STATES)
            .select_related("org")
            .order_by("org__path")
        )
        targets = [a for a in open_ if not urged_today(a)]
        if not targets:
            raise ValidationError(
                _("Every unit not yet reported was already urged today.")
                if open_
                else _("Every unit has reported; nobody to urge.")
            )
    for a in targets:
        notify(
            recipients=users_at(a.org, FILL),
            rule="reporting.urge",
            title=_("Please report: %(title)s") % {"title": task.title},
            body=_("%(issuer)s is waiting for your unit's report, due %(deadline)s.")
            % {"issuer": task.issuer.short_name, "deadline": task.deadline.isoformat()},
            url=_fill_url(a),
            source=a,
            org=a.org,
        )
    Assignment.objects.filter(pk__in=[a.pk for a in targets]).update(last_urged_at=now)
    for a in targets:
        a.last_urged_at = now
    audit_record(
        actor=acting_user,
        action="reporting.task_urge",
        obj=task,
        changes={"urged": [[], [a.org_id for a in targets]]},
    )
    return len(targets)


@transaction.atomic
def task_relay(
    *,
    assignment: Assignment,
    orgs: Sequence[Organization],
    deadline: dt.date,
    acting_user: Actor,
) -> ReportingTask:
    """Relay a received task on to units below the receiver: a child task with the same
    fields (each copying its source), its own deadline (not after the parent's), sent.

    A unit already relayed to from this assignment is refused: its accepted answers
    would be rolled up twice. Relaying again reaches only units left out before."""
    require_actor(acting_user)
    if not is_system(acting_user) and not may_relay(acting_user, assignment):
        raise PermissionDenied
    parent = assignment.task
    if parent.state != TaskState.SENT or assignment.state not in OPEN_STATES:
        raise ValidationError(_("Only a task still to report can be relayed."))
    if deadline > parent.deadline:
        raise ValidationError(
            {
                "deadline": [
                    _("The relayed deadline cannot be after %(d)s.") % {"d": parent.deadline}
                ]
            }
        )
    already = relayed_org_ids(assignment)
    twice = [org for org in orgs if org.pk in already]
    if twice:
        raise ValidationError(
            {
                "orgs": [
                    _("The task was already relayed to %(org)s.") % {"org": org.short_name}
                    for org in twice
                ]
            }
        )
    child = ReportingTask.objects.create(
        issuer=assignment.org,
        title=parent.title,
        instructions=parent.instructions,
        period_start=parent.period_start,
        period_end=parent.period_end,
        deadline=deadline,
        parent_assignment=assignment,
        created_by=user_of(acting_user),
    )
    TaskField.objects.bulk_create(
        [
            TaskField(
                task=child,
                order=f.order,
                label=f.label,
                kind=f.kind,
                choices=f.choices,
                required=f.required,
                unit_label=f.unit_label,
                metric=f.metric,
                source=f,
            )
            for f in parent.fields.all()
        ]
    )
    assignments = _assign(child, orgs)
    child.state = TaskState.SENT
    child.sent_at = timezone.now()
    child.save(update_fields=["state", "sent_at"])
    changes = diff({}, snapshot(child, TASK_FIELDS))
    changes["parent_assignment"] = [None, assignment.pk]
    changes["assignments"] = [[], [a.org_id for a in assignments]]
    audit_record(actor=acting_user, action="reporting.task_relay", obj=child, changes=changes)
    return child


# --- answers --------------------------------------------------------------------------


def clean_value(f: TaskField, raw: Any) -> Any:
    """The JSON form of one answer, validated by the field's kind; None when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    key = f"f{f.pk}"
    if f.kind in (FieldKind.NUMBER, FieldKind.MONEY):
        try:
            number = Decimal(str(raw).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise ValidationError({key: [_("Enter a number.")]}) from None
        if not number.is_finite() or abs(number) >= Decimal("1e15"):
            raise ValidationError({key: [_("Enter a number.")]})
        if f.kind == FieldKind.MONEY:
            number = number.quantize(Decimal("0.01"))
        return plain(number)
    if f.kind == FieldKind.DATE:
        if isinstance(raw, dt.date):
            return raw.isoformat()
        try:
            return dt.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError({key: [_("Enter a date (YYYY-MM-DD).")]}) from None
    if f.kind == FieldKind.CHOICE:
        if str(raw) not in f.choices:
            raise ValidationError({key: [_("Pick one of the choices.")]})
        return str(raw)
    if f.kind == FieldKind.ATTACHMENT:
        return None
    return str(raw).strip()[:2000]


def _require_fill(acting_user: Actor, assignment: Assignment) -> None:
    ASSIGNMENT.require(acting_user, assignment, FILL)
    if assignment.task.state != TaskState.SENT:
        raise ValidationError(_("This task is closed."))
    if assignment.state not in OPEN_STATES:
        raise ValidationError(_("The report was submitted; it can be changed once sent back."))


def _save_answers(
    assignment: Assignment, values: Mapping[int, Any], files: Mapping[int, Any]
) -> dict[str, list[Any]]:
    """Validate and store answers by field id; answer the diff by field label."""
    fields = {f.pk: f for f in assignment.task.fields.all()}
    unknown = (set(values) | set(files)) - set(fields)
    if unknown:
        raise ValidationError(_("A field of another task was sent."))
    cleaned: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    check_request_limits(files.values())
    for pk, upload in files.items():
        try:
            check_upload(upload, field=f"f{pk}")
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
    for pk, raw in values.items():
        try:
            cleaned[pk] = clean_value(fields[pk], raw)
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
    if errors:
        raise ValidationError(errors)
    named = sorted(set(values) | set(files))
    records = records_for(assignment, [fields[pk] for pk in named])
    existing = {a.field_id: a for a in assignment.answers.all()}
    changes: dict[str, list[Any]] = {}
    for pk in named:
        f = fields[pk]
        answer = existing.get(pk) or Answer(assignment=assignment, field=f)
        attachment = f.kind == FieldKind.ATTACHMENT
        old = answer.file_name if attachment else answer.value
        if pk in values and not attachment:
            answer.value = cleaned[pk]
        upload = files.get(pk)
        if upload is not None:
            answer.file.save(str(upload.name)[-100:], upload, save=False)
            answer.file_name = str(upload.name)[:200]
        answer.record_value = records.get(pk)
        answer.save()
        new = answer.file_name if attachment else answer.value
        if old != new:
            changes[f.label] = [old, new]
    return changes


@transaction.atomic
def answer_save(
    *,
    assignment: Assignment,
    values: Mapping[int, Any],
    files: Mapping[int, Any] | None = None,
    acting_user: Actor,
) -> Assignment:
    """Save the unit's answers as a draft (by field id), with what the records said for
    each ledger-figure field; fields not named keep their answer."""
    _require_fill(acting_user, assignment)
    changes = _save_answers(assignment, values, files or {})
    audit_record(actor=acting_user, action="reporting.answer_save", obj=assignment, changes=changes)
    return assignment


def missing_required(assignment: Assignment) -> list[TaskField]:
    answers = {a.field_id: a for a in assignment.answers.all()}
    missing = []
    for f in assignment.task.fields.all():
        a = answers.get(f.pk)
        filled = a is not None and (
            bool(a.file_name) if f.kind == FieldKind.ATTACHMENT else a.value not in (None, "")
        )
        if f.required and not filled:
            missing.append(f)
    return missing


@transaction.atomic
def assignment_submit(
    *,
    assignment: Assignment,
    values: Mapping[int, Any] | None = None,
    files: Mapping[int, Any] | None = None,
    acting_user: Actor,
) -> Assignment:
    """填报: submit the unit's answers to the issuer for review, saving ``values`` (the
    fill form's last edits) first."""
    _require_fill(acting_user, assignment)
    answered = _save_answers(assignment, values or {}, files or {})
    missing = missing_required(assignment)
    if missing:
        raise ValidationError(
            _("Fill in the required fields first: %(fields)s")
            % {"fields": "、".join(f.label for f in missing)}
        )
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.state = AssignmentState.SUBMITTED
    assignment.submitted_at = timezone.now()
    assignment.submitted_by = user_of(acting_user)
    assignment.save(update_fields=["state", "submitted_at", "submitted_by"])
    task = assignment.task
    notify(
        recipients=users_at(task.issuer, ISSUE),
        rule="reporting.submitted",
        title=_("%(org)s reported: %(title)s")
        % {"org": assignment.org.short_name, "title": task.title},
        body=_("Review the answers: accept them or send them back."),
        url=_review_url(assignment),
        source=assignment,
        org=task.issuer,
    )
    changes: dict[str, Any] = diff(before, snapshot(assignment, ASSIGNMENT_FIELDS))
    if answered:
        changes["answers"] = answered
    audit_record(
        actor=acting_user, action="reporting.assignment_submit", obj=assignment, changes=changes
    )
    return assignment


def _require_review(acting_user: Actor, assignment: Assignment) -> None:
    TASK.require(acting_user, assignment.task, ISSUE)
    if assignment.task.state != TaskState.SENT:
        raise ValidationError(_("This task is closed."))
    if assignment.state != AssignmentState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be reviewed."))


@transaction.atomic
def assignment_send_back(*, assignment: Assignment, reason: str, acting_user: Actor) -> Assignment:
    """退回: return a submitted report to its unit, with the reason."""
    _require_review(acting_user, assignment)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the report is sent back.")]})
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.state = AssignmentState.SENT_BACK
    assignment.review_reason = reason[:2000]
    assignment.times_sent_back += 1
    assignment.reviewed_at = timezone.now()
    assignment.reviewed_by = user_of(acting_user)
    assignment.save()
    notify(
        recipients=users_at(assignment.org, FILL),
        rule="reporting.sent_back",
        title=_("Report sent back: %(title)s") % {"title": assignment.task.title},
        body=reason[:500],
        url=_fill_url(assignment),
        source=assignment,
        org=assignment.org,
    )
    changes = diff(before, snapshot(assignment, ASSIGNMENT_FIELDS))
    audit_record(
        actor=acting_user, action="reporting.assignment_send_back", obj=assignment, changes=changes
    )
    return assignment


@transaction.atomic
def assignment_accept(*, assignment: Assignment, acting_user: Actor) -> Assignment:
    """采纳: accept a submitted report; its figures count in the issuer's totals."""
    _require_review(acting_user, assignment)
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.state = AssignmentState.ACCEPTED
    assignment.review_reason = ""
    assignment.reviewed_at = timezone.now()
    assignment.reviewed_by = user_of(acting_user)
    assignment.save()
    changes = diff(before, snapshot(assignment, ASSIGNMENT_FIELDS))
    audit_record(
        actor=acting_user, action="reporting.assignment_accept", obj=assignment, changes=changes
    )
    return assignment
