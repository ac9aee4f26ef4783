"""下发、填报、催报、审核、汇总: the reporting services end to end, and their refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from taizhang.core.models import AuditEvent
from taizhang.reporting import services
from taizhang.reporting.models import AssignmentState, FieldKind, ReportingTask, TaskState
from taizhang.reporting.selectors import board, fill_rows
from taizhang.reporting.services import FieldIn
from taizhang.reporting.tests.factories import (
    PERIOD,
    answer_and_submit,
    assignment_of,
    fields_of,
    make_task,
    send_task,
    values,
)

pytestmark = pytest.mark.django_db


def _counts(task):
    c = board(task).counts
    return {k: c[k] for k in ("pending", "submitted", "sent_back", "accepted")}


def _totals(task):
    return [total for _f, total in board(task).totals]


def test_district_to_streets_to_communities_rolls_up(tree, personas, community, sent):
    """A district task relayed by street A to its community is filled, sent back,
    resubmitted, accepted and rolled up into A's own report; the boards count each step."""
    district, street_a, street_b = personas.district, personas.street_a, personas.street_b
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=district)
    assert task.state == TaskState.SENT
    assert _counts(task) == {"pending": 2, "submitted": 0, "sent_back": 0, "accepted": 0}
    assert {c["rule"] for c in sent} == {"reporting.assigned"}
    assert ["street_a"] in [c["recipients"] for c in sent]

    # Street A relays to community A1, with a deadline not after the district's.
    a_assignment = assignment_of(task, tree.street_a)
    child = services.task_relay(
        assignment=a_assignment,
        orgs=[tree.community_a],
        deadline=task.deadline - dt.timedelta(days=2),
        acting_user=street_a,
    )
    assert child.issuer == tree.street_a and child.parent_assignment == a_assignment
    assert [f.source_id for f in fields_of(child)] == [f.pk for f in fields_of(task)]
    assert _counts(child) == {"pending": 1, "submitted": 0, "sent_back": 0, "accepted": 0}

    # The community submits; street A sends it back with a reason.
    answer_and_submit(child, tree.community_a, "3", "30", acting_user=community)
    assert _counts(child)["submitted"] == 1
    assert sent[-1]["rule"] == "reporting.submitted" and sent[-1]["recipients"] == ["street_a"]
    c_assignment = assignment_of(child, tree.community_a)
    services.assignment_send_back(
        assignment=c_assignment, reason="参加人次与签到表不符", acting_user=street_a
    )
    c_assignment.refresh_from_db()
    assert c_assignment.state == AssignmentState.SENT_BACK and c_assignment.times_sent_back == 1
    assert _counts(child) == {"pending": 0, "submitted": 0, "sent_back": 1, "accepted": 0}
    assert sent[-1]["rule"] == "reporting.sent_back"
    assert sent[-1]["recipients"] == ["community_a"]

    # Resubmitted with corrected figures, accepted: the child board totals them.
    answer_and_submit(child, tree.community_a, "4", "40", "1200.5", acting_user=community)
    services.assignment_accept(
        assignment=assignment_of(child, tree.community_a), acting_user=street_a
    )
    assert _counts(child) == {"pending": 0, "submitted": 0, "sent_back": 0, "accepted": 1}
    assert _totals(child) == [Decimal(4), Decimal(40), Decimal("1200.50")]

    # Street A's own report is prefilled with the roll-up; it submits it up.
    rows = fill_rows(assignment_of(task, tree.street_a))
    assert [r.rollup for r in rows[:3]] == [Decimal(4), Decimal(40), Decimal("1200.50")]
    assert [r.value for r in rows[:3]] == ["4", "40", "1200.5"]
    assert rows[3].rollup is None  # text is not summed
    services.assignment_submit(
        assignment=assignment_of(task, tree.street_a),
        values={r.field.pk: r.value for r in rows},
        acting_user=street_a,
    )
    assert _counts(task) == {"pending": 1, "submitted": 1, "sent_back": 0, "accepted": 0}

    # The district accepts A, B reports and is accepted: the district totals both.
    services.assignment_accept(assignment=assignment_of(task, tree.street_a), acting_user=district)
    answer_and_submit(task, tree.street_b, "2", "25", acting_user=street_b)
    services.assignment_accept(assignment=assignment_of(task, tree.street_b), acting_user=district)
    assert _counts(task) == {"pending": 0, "submitted": 0, "sent_back": 0, "accepted": 2}
    assert _totals(task) == [Decimal(6), Decimal(65), Decimal("1200.50")]


def test_every_write_is_audited(tree, personas, sent):
    """Create, send, save, submit, send back and accept each leave one audit event."""
    task = make_task(tree.district, acting_user=personas.district)
    services.task_send(task=task, orgs=[tree.street_a], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    services.answer_save(assignment=a, values=values(task, "5"), acting_user=personas.street_a)
    services.assignment_submit(
        assignment=a, values=values(task, "5", "9"), acting_user=personas.street_a
    )
    services.assignment_send_back(assignment=a, reason="请补充说明", acting_user=personas.district)
    services.assignment_submit(assignment=a, acting_user=personas.street_a)
    services.assignment_accept(assignment=a, acting_user=personas.district)
    actions = list(
        AuditEvent.objects.filter(action__startswith="reporting.").values_list("action", flat=True)
    )
    assert actions == [
        "reporting.task_create",
        "reporting.task_send",
        "reporting.answer_save",
        "reporting.assignment_submit",
        "reporting.assignment_send_back",
        "reporting.assignment_submit",
        "reporting.assignment_accept",
    ]
    save = AuditEvent.objects.get(action="reporting.answer_save")
    assert save.changes == {"本月集中学习场次": [None, "5"]}


def test_urge_once_a_day(tree, personas, sent):
    """催报 reaches a unit at most once a day; urging all skips those urged today and
    leaves out units that have reported; nobody left is refused with a clear message."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    assert services.task_urge(task=task, assignment=a, acting_user=personas.district) == 1
    assert sent[-1]["rule"] == "reporting.urge" and sent[-1]["recipients"] == ["street_a"]
    with pytest.raises(ValidationError, match="今天已向"):
        services.task_urge(task=task, assignment=a, acting_user=personas.district)
    # Urging all now reaches B only.
    assert services.task_urge(task=task, acting_user=personas.district) == 1
    assert sent[-1]["recipients"] == ["street_b"]
    with pytest.raises(ValidationError, match="今天已向"):
        services.task_urge(task=task, acting_user=personas.district)
    # The next day both may be urged again, unless they reported.
    yesterday = timezone.now() - dt.timedelta(days=1)
    task.assignments.update(last_urged_at=yesterday)
    answer_and_submit(task, tree.street_b, "1", "1", acting_user=personas.street_b)
    assert services.task_urge(task=task, acting_user=personas.district) == 1
    assert AuditEvent.objects.filter(action="reporting.task_urge").count() == 3


def test_urge_needs_the_issuer(tree, personas, sent):
    """Only the issuing side urges: the receiving street is refused."""
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    with pytest.raises(PermissionDenied):
        services.task_urge(task=task, acting_user=personas.street_a)


def test_submit_needs_the_required_fields(tree, personas, sent):
    """A report missing a required field is refused, naming it; nothing is saved."""
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    with pytest.raises(ValidationError, match="参加人次"):
        services.assignment_submit(
            assignment=a, values=values(task, "3"), acting_user=personas.street_a
        )
    a.refresh_from_db()
    assert a.state == AssignmentState.PENDING and not a.answers.exists()


def test_values_are_validated_by_kind(tree, personas, sent):
    """Numbers, money (two decimals), dates and choices are checked."""
    fields = [
        FieldIn(label="数", kind=FieldKind.NUMBER),
        FieldIn(label="钱", kind=FieldKind.MONEY),
        FieldIn(label="日", kind=FieldKind.DATE),
        FieldIn(label="选", kind=FieldKind.CHOICE, choices=("是", "否")),
    ]
    task = send_task(tree.district, [tree.street_a], fields=fields, acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    ids = [f.pk for f in fields_of(task)]
    with pytest.raises(ValidationError) as bad:
        services.answer_save(
            assignment=a,
            values={ids[0]: "十", ids[1]: "1", ids[2]: "2026-13-01", ids[3]: "也许"},
            acting_user=personas.street_a,
        )
    assert set(bad.value.message_dict) == {f"f{ids[0]}", f"f{ids[2]}", f"f{ids[3]}"}
    services.answer_save(
        assignment=a,
        values={ids[0]: "1,200", ids[1]: "3.456", ids[2]: "2026-11-30", ids[3]: "是"},
        acting_user=personas.street_a,
    )
    assert dict(a.answers.values_list("field_id", "value")) == {
        ids[0]: "1200",
        ids[1]: "3.46",
        ids[2]: "2026-11-30",
        ids[3]: "是",
    }


def test_review_and_fill_scope(tree, personas, sent):
    """Street B cannot fill A's assignment; a street cannot review the district's task;
    nobody reviews a report that was not submitted."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    with pytest.raises(PermissionDenied):
        services.answer_save(assignment=a, values=values(task, "1"), acting_user=personas.street_b)
    with pytest.raises(ValidationError, match="只有已提交的填报才能审核"):
        services.assignment_accept(assignment=a, acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        services.assignment_accept(
            assignment=assignment_of(task, tree.street_a), acting_user=personas.street_a
        )
    with pytest.raises(ValidationError):
        services.assignment_send_back(
            assignment=assignment_of(task, tree.street_a), reason=" ", acting_user=personas.district
        )


def test_send_and_relay_rules(tree, personas, sent):
    """A task is due no earlier than its period starts and goes only to units below
    its issuer, once; a relay keeps within the parent's deadline; a draft is changed, a
    sent task is not."""
    with pytest.raises(ValidationError) as refused:
        make_task(tree.street_a, deadline=PERIOD[0] - dt.timedelta(days=1))
    assert "deadline" in refused.value.message_dict
    task = make_task(tree.street_a, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.task_send(task=task, orgs=[tree.street_b], acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        make_task(tree.district, acting_user=personas.street_a)
    services.task_update(
        task=task,
        title="改后的标题",
        period_start=task.period_start,
        period_end=task.period_end,
        deadline=task.deadline,
        fields=[FieldIn(label="只剩一项", kind=FieldKind.NUMBER)],
        acting_user=personas.street_a,
    )
    assert [f.label for f in fields_of(task)] == ["只剩一项"]
    services.task_send(task=task, orgs=[tree.community_a], acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.task_send(task=task, orgs=[tree.community_a], acting_user=personas.street_a)
    parent = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    with pytest.raises(ValidationError):
        services.task_relay(
            assignment=assignment_of(parent, tree.street_a),
            orgs=[tree.community_a],
            deadline=parent.deadline + dt.timedelta(days=1),
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        services.task_relay(
            assignment=assignment_of(parent, tree.street_a),
            orgs=[tree.community_a],
            deadline=parent.deadline,
            acting_user=personas.street_b,
        )
    # Relayed once; a second relay to the same community would roll it up twice.
    relay = {
        "assignment": assignment_of(parent, tree.street_a),
        "orgs": [tree.community_a],
        "deadline": parent.deadline,
        "acting_user": personas.street_a,
    }
    services.task_relay(**relay)
    with pytest.raises(ValidationError) as refused:
        services.task_relay(**relay)
    assert "orgs" in refused.value.message_dict
    assert ReportingTask.objects.filter(parent_assignment=relay["assignment"]).count() == 1


def test_a_ledger_figure_must_be_readable(tree, personas):
    """A field may name only a registered metric its issuer may read, as a number."""
    with pytest.raises(ValidationError):
        make_task(
            tree.district,
            fields=[FieldIn(label="x", kind=FieldKind.NUMBER, metric="no.such")],
            acting_user=personas.district,
        )
    with pytest.raises(ValidationError):
        make_task(
            tree.district,
            fields=[FieldIn(label="x", kind=FieldKind.TEXT, metric="activities.group_study")],
            acting_user=personas.district,
        )


def test_close_stops_the_task(tree, personas, sent):
    """A closed task takes no answers and no reminders."""
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    services.task_close(task=task, acting_user=personas.district)
    with pytest.raises(ValidationError):
        services.answer_save(
            assignment=assignment_of(task, tree.street_a),
            values=values(task, "1"),
            acting_user=personas.street_a,
        )
    with pytest.raises(ValidationError):
        services.task_urge(task=task, acting_user=personas.district)
