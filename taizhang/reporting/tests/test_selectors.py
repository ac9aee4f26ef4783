"""Reads: the records' figure behind a ledger-figure field, the lists by unit, the
board's queries and reported figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from taizhang.activities.tests.factories import kind, make_activity
from taizhang.core.registry import METRICS, REPORTED_SOURCES
from taizhang.reporting import services
from taizhang.reporting.selectors import (
    assignments_to_fill,
    board,
    fill_rows,
    metric_value,
    reported_value,
    tasks_issued,
)
from taizhang.reporting.tests.factories import (
    METRIC,
    PERIOD,
    answer_and_submit,
    assignment_of,
    send_task,
    values,
)
from tests.support import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def studies(tree):
    """Group studies: two in community A1 and one at street A in November, one in
    October (outside the period), one in street B; one lecture (another kind)."""
    study = kind("group_study")
    for org, day in (
        (tree.community_a, dt.date(2026, 11, 3)),
        (tree.grid_a, dt.date(2026, 11, 30)),
        (tree.street_a, dt.date(2026, 11, 1)),
        (tree.street_a, dt.date(2026, 10, 31)),
        (tree.street_b, dt.date(2026, 11, 10)),
    ):
        make_activity(org, kind=study, held_on=day)
    make_activity(tree.street_a, kind=kind("party_lecture"), held_on=dt.date(2026, 11, 5))


def test_metric_value_counts_the_subtree_in_the_period(tree, studies):
    """The records' figure is the metric over the unit's subtree and the period."""
    metric = METRICS[METRIC]
    assert metric_value(metric, tree.street_a, *PERIOD) == 3
    assert metric_value(metric, tree.community_a, *PERIOD) == 2
    assert metric_value(metric, tree.street_b, *PERIOD) == 1
    assert metric_value(metric, tree.district, *PERIOD) == 4


def test_prefill_equals_the_records_and_shows_the_difference(tree, personas, studies, sent):
    """The fill form starts from the records' figure; a different figure is kept, with
    the difference shown and the records' figure saved beside it for the reviewer."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    first = fill_rows(a)[0]
    assert first.record == Decimal(3) and first.value == "3" and first.difference is None
    services.answer_save(assignment=a, values=values(task, "5"), acting_user=personas.street_a)
    first = fill_rows(a)[0]
    assert first.value == "5" and first.difference == Decimal(2)
    saved = a.answers.get(field=first.field)
    assert saved.record_value == Decimal(3)
    assert fill_rows(assignment_of(task, tree.street_b))[0].record == Decimal(1)


def test_lists_by_unit(tree, personas, community, sent):
    """To fill: my own units' assignments, not those of units I merely see; issued: the
    tasks of units in my scope with their progress."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    child = services.task_relay(
        assignment=assignment_of(task, tree.street_a),
        orgs=[tree.community_a],
        deadline=task.deadline,
        acting_user=personas.street_a,
    )
    answer_and_submit(task, tree.street_b, "1", "2", acting_user=personas.street_b)

    def fill(user):
        return [(a.task_id, a.org.code) for a in assignments_to_fill(viewer=user)]

    assert fill(personas.district) == []
    assert fill(personas.street_a) == [(task.pk, "A")]
    assert fill(community) == [(child.pk, "A1")]
    assert fill(personas.street_b) == [(task.pk, "B")]
    issued = {t.pk: (t.done, t.total) for t in tasks_issued(viewer=personas.district)}
    assert issued == {task.pk: (1, 2), child.pk: (0, 1)}
    assert [t.pk for t in tasks_issued(viewer=personas.street_a)] == [child.pk]
    assert list(tasks_issued(viewer=personas.street_b)) == []


def test_board_queries_do_not_grow_with_units(tree, personas, sent, django_assert_max_num_queries):
    """The board reads a fixed number of queries for 2 or 8 units (relays included)."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    with django_assert_max_num_queries(4):
        small = board(task)
    more = [make_org(tree.district, f"S{i}") for i in range(6)]
    big_task = send_task(
        tree.district, [tree.street_a, tree.street_b, *more], acting_user=personas.district
    )
    for org in more[:3]:
        answer_and_submit(big_task, org, "1", "2")
    child = services.task_relay(
        assignment=assignment_of(big_task, tree.street_a),
        orgs=[tree.community_a],
        deadline=big_task.deadline,
        acting_user=personas.street_a,
    )
    done = answer_and_submit(child, tree.community_a, "1", "2")
    services.assignment_accept(assignment=done, acting_user=personas.street_a)
    with django_assert_max_num_queries(4):
        big = board(big_task)
    assert small.counts["total"] == 2 and big.counts["total"] == 8
    assert big.counts["submitted"] == 3 and big.counts["pending"] == 5
    relayed = {r.assignment.org.code: (r.relayed_accepted, r.relayed_total) for r in big.rows}
    assert relayed["A"] == (1, 1) and relayed["B"] == (0, 0)


def test_reported_value_is_the_accepted_answer(tree, personas, sent):
    """A unit's reported figure for a metric and period comes from its accepted answer
    only; it is registered as a source for statistics."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "7", "70", acting_user=personas.street_a)
    assert reported_value(METRIC, tree.street_a, *PERIOD) is None
    services.assignment_accept(
        assignment=assignment_of(task, tree.street_a), acting_user=personas.district
    )
    assert reported_value(METRIC, tree.street_a, *PERIOD) == Decimal(7)
    assert reported_value(METRIC, tree.street_b, *PERIOD) is None
    assert reported_value(METRIC, tree.street_a, PERIOD[0], dt.date(2026, 11, 29)) is None
    assert reported_value in REPORTED_SOURCES


def test_board_counts_each_unit_once_as_reported_or_not(tree, personas, sent):
    """已报 (submitted or accepted) and 未报 (pending or sent back) add up to the units;
    a sent-back report is not reported, and an accepted one still is."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    a = answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    counts = board(task).counts
    assert (counts["done"], counts["open"]) == (1, 1)
    services.assignment_send_back(assignment=a, reason="请核对", acting_user=personas.district)
    counts = board(task).counts
    assert (counts["done"], counts["open"], counts["sent_back"]) == (0, 2, 1)
    a = answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    services.assignment_accept(assignment=a, acting_user=personas.district)
    counts = board(task).counts
    assert (counts["done"], counts["open"], counts["accepted"]) == (1, 1, 1)
