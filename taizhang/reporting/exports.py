"""The progress board and the answers of one task as Excel (``?task=<id>``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import DATE, DECIMAL, TEXT, Column, Export, Sheet
from taizhang.reporting.models import AssignmentState, FieldKind
from taizhang.reporting.permissions import VIEW
from taizhang.reporting.selectors import (
    DONE_STATES,
    as_decimal,
    board,
    get_task_for_viewer,
    sees_issuer,
)


def _task(viewer: Any, params: Mapping[str, str]) -> Any:
    task = get_task_for_viewer(viewer, params.get("task"))
    if not sees_issuer(viewer, task):
        raise Http404
    return task


def _state(row: Any) -> str:
    label = str(AssignmentState(row.assignment.state).label)
    if not row.late:
        return label
    # Outside the f-string: makemessages does not read inside one.
    late = str(_("late"))
    return f"{label}（{late}）"


def build_board(viewer: Any, params: Mapping[str, str]) -> Sheet:
    task = _task(viewer, params)
    data = board(task)
    columns = [
        Column(_("No."), kind=TEXT, width=5),
        Column(_("Unit"), width=24),
        Column(_("State"), width=14),
        Column(_("Submitted at"), width=18),
        Column(_("Times sent back"), kind=DECIMAL, width=8),
        Column(_("Reason"), width=30),
    ]

    def rows() -> Iterator[list[Any]]:
        for index, row in enumerate(data.rows, start=1):
            a = row.assignment
            submitted = (
                timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M")
                if a.submitted_at
                else ""
            )
            yield [
                str(index),
                a.org.name,
                _state(row),
                submitted,
                a.times_sent_back,
                a.review_reason if a.state == AssignmentState.SENT_BACK else "",
            ]

    return Sheet(
        columns=columns, rows=rows(), count=len(data.rows), organization_name=task.issuer.name
    )


def build_answers(viewer: Any, params: Mapping[str, str]) -> Sheet:
    task = _task(viewer, params)
    data = board(task)
    columns = [Column(_("Unit"), width=24), Column(_("State"), width=14)]
    for f in data.fields:
        if f.kind in (FieldKind.NUMBER, FieldKind.MONEY):
            columns.append(Column(f.label, kind=DECIMAL, unit=f.unit_label, summed=True))
        elif f.kind == FieldKind.DATE:
            columns.append(Column(f.label, kind=DATE))
        else:
            columns.append(Column(f.label, unit=f.unit_label))

    def value(f: Any, raw: Any) -> Any:
        if f.kind in (FieldKind.NUMBER, FieldKind.MONEY):
            return as_decimal(raw)
        if f.kind == FieldKind.DATE and raw:
            return dt.date.fromisoformat(raw)
        return "" if raw is None else str(raw)

    def rows() -> Iterator[list[Any]]:
        for row in data.rows:
            a = row.assignment
            # A unit's saved draft (pending, or sent back and not yet resubmitted) is its
            # own until it submits: the issuer's file shows reported figures only.
            reported = a.state in DONE_STATES
            yield [
                a.org.name,
                _state(row),
                *[
                    value(f, data.answers.get((a.pk, f.pk)) if reported else None)
                    for f in data.fields
                ],
            ]

    return Sheet(
        columns=columns, rows=rows(), count=len(data.rows), organization_name=task.issuer.name
    )


BOARD = Export(
    kind="reporting.board",
    title=_("Reporting progress"),
    permission=VIEW,
    ascii_name="reporting-board",
    build=build_board,
)
ANSWERS = Export(
    kind="reporting.answers",
    title=_("Reported figures"),
    permission=VIEW,
    ascii_name="reporting-answers",
    build=build_answers,
)
