"""Notice reads: received and published lists, the receipt board's counts, the to-dos
and the home panel; nothing leaks across the tree, and the lists cost a fixed number
of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.notices import services
from taizhang.notices.selectors import (
    latest_unread,
    notice_board,
    notice_published,
    notice_received,
    todo_to_acknowledge,
)
from taizhang.notices.tests.factories import make_notice, published, staff
from taizhang.organizations.scope import clear_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_notice(tree, personas):
    """The district asks streets A and B and community A1 to acknowledge by tomorrow."""
    return published(
        tree.district,
        units=[tree.street_a, tree.street_b, tree.community_a],
        ack_deadline=timezone.localdate() + dt.timedelta(days=1),
        acting_user=personas.district,
    )


def test_the_board_counts_units_read_and_acknowledged(tree, personas, district_notice):
    """Given two people at street A and one at community A1: A read by one and
    acknowledged by the other, B only read, A1 not opened — the board says 已读 2/3,
    已确认 1/3, each unit's state, and who acknowledged."""
    second_a = staff("second_a", tree.street_a, "secretary", ScopeKind.ORG)
    staff("sec_a1", tree.community_a, "secretary")
    services.notice_read(notice=district_notice, viewer=personas.street_a)
    services.notice_acknowledge(notice=district_notice, acting_user=second_a)
    services.notice_read(notice=district_notice, viewer=personas.street_b)
    board = notice_board(viewer=personas.district, notice=district_notice)
    assert (board.total, board.read, board.acked, board.unacked) == (3, 2, 1, 2)
    state = {r.org.code: (bool(r.read_at), bool(r.acked_at)) for r in board.rows}
    assert state == {"A": (True, True), "B": (True, False), "A1": (False, False)}
    assert {r.org.code: r.acked_by for r in board.rows}["A"] == second_a
    assert board.overdue == 0


def test_overdue_acknowledgements_are_counted(tree, personas):
    """Past the deadline, the units that have not acknowledged are overdue; one that
    acknowledged late shows as late."""
    notice = published(
        tree.district,
        units=[tree.street_a, tree.street_b],
        ack_deadline=timezone.localdate(),
        acting_user=personas.district,
    )
    services.notice_acknowledge(
        notice=notice,
        acting_user=personas.street_a,
        when=timezone.now() + dt.timedelta(days=2),
    )
    notice.ack_deadline = timezone.localdate() - dt.timedelta(days=1)
    notice.save(update_fields=["ack_deadline"])
    board = notice_board(viewer=personas.district, notice=notice)
    overdue = {r.org.code: r.is_overdue for r in board.rows}
    assert overdue == {"A": True, "B": True}
    assert board.overdue == 1  # B: not acknowledged yet; A acknowledged, late


def test_the_board_costs_two_queries(
    tree, personas, district_notice, django_assert_max_num_queries
):
    for n in range(5):
        staff(f"s{n}", tree.street_a, "secretary", ScopeKind.ORG)
    clear_cache(personas.district)
    with django_assert_max_num_queries(2):
        board = notice_board(viewer=personas.district, notice=district_notice)
        assert board.total == 3


def test_received_lists_unread_first_and_hides_the_neighbours(tree, personas, district_notice):
    older = published(tree.district, units=[tree.street_a], requires_ack=False)
    services.notice_read(notice=district_notice, viewer=personas.street_a)
    own_a = published(tree.street_a, units=[tree.community_a])
    rows = list(notice_received(viewer=personas.street_a))
    assert [n.pk for n in rows] == [older.pk, district_notice.pk]
    assert [n.is_read for n in rows] == [False, True]
    assert own_a.pk not in [n.pk for n in notice_received(viewer=personas.street_b)]
    assert [n.pk for n in notice_received(viewer=personas.street_b)] == [district_notice.pk]


def test_published_lists_my_units_notices_with_counts(tree, personas, district_notice):
    draft = make_notice(tree.street_a, acting_user=personas.street_a)
    services.notice_acknowledge(notice=district_notice, acting_user=personas.street_b)
    rows = {n.pk: n for n in notice_published(viewer=personas.district)}
    assert set(rows) == {district_notice.pk, draft.pk}
    row = rows[district_notice.pk]
    assert (row.n_targets, row.n_read, row.n_acked) == (3, 1, 1)
    # Street A sees its own draft, never the district's notice as "published by mine".
    assert [n.pk for n in notice_published(viewer=personas.street_a)] == [draft.pk]
    assert list(notice_published(viewer=personas.street_b)) == []


def test_lists_cost_a_fixed_number_of_queries(tree, personas, django_assert_max_num_queries):
    for n in range(6):
        published(tree.district, units=[tree.street_a, tree.street_b], title=f"通知{n}")
    clear_cache(personas.street_a)
    with django_assert_max_num_queries(2):
        assert len(list(notice_received(viewer=personas.street_a))) == 6
    clear_cache(personas.district)
    with django_assert_max_num_queries(2):
        assert len(list(notice_published(viewer=personas.district))) == 6


def test_to_acknowledge_until_my_unit_has(tree, personas, district_notice):
    """The to-do is the unit's: it goes when anyone at the unit acknowledged."""
    assert list(todo_to_acknowledge(viewer=personas.street_a)) == [district_notice]
    colleague = staff("colleague", tree.street_a, "clerk", ScopeKind.ORG)
    services.notice_acknowledge(notice=district_notice, acting_user=colleague)
    assert list(todo_to_acknowledge(viewer=personas.street_a)) == []
    assert list(todo_to_acknowledge(viewer=personas.district)) == []
    assert list(todo_to_acknowledge(viewer=personas.nobody)) == []


def test_a_withdrawn_notice_asks_nothing(tree, personas, district_notice):
    services.notice_withdraw(notice=district_notice, acting_user=personas.district)
    assert list(todo_to_acknowledge(viewer=personas.street_a)) == []
    assert latest_unread(viewer=personas.street_a) == []


def test_latest_unread_in_two_queries(
    tree, personas, district_notice, django_assert_max_num_queries
):
    published(tree.district, units=[tree.street_b], title="只发B街道")
    clear_cache(personas.street_a)
    with django_assert_max_num_queries(2):
        assert latest_unread(viewer=personas.street_a) == [district_notice]
    services.notice_read(notice=district_notice, viewer=personas.street_a)
    assert latest_unread(viewer=personas.street_a) == []
