"""The reporting to-dos: what each unit must fill in, and what the issuer must review.

* ``reporting.to_fill``: my own units' assignments not yet reported or sent back (a
  sent-back item names the reason), due at the deadline; gone once submitted;
* ``reporting.to_review``: reports submitted to tasks my units issued; gone once
  accepted or sent back. A neighbour's items never show.
"""

from __future__ import annotations

import pytest

from taizhang.core.registry import TODOS
from taizhang.reporting import services
from taizhang.reporting.tests.factories import answer_and_submit, assignment_of, send_task
from taizhang.workbench.selectors import todo_groups

pytestmark = pytest.mark.django_db


def _items(viewer, name):
    group = next((g for g in todo_groups(viewer=viewer) if g.kind.name == name), None)
    return [] if group is None else group.items


def test_to_fill_and_to_review(tree, personas, community, sent):
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    fill_a = _items(personas.street_a, "reporting.to_fill")
    assert [i.url for i in fill_a] == [
        TODOS["reporting.to_fill"].url(assignment_of(task, tree.street_a))
    ]
    assert fill_a[0].due == task.deadline
    assert len(_items(personas.street_b, "reporting.to_fill")) == 1
    # The district sees every street but fills for none of them.
    assert _items(personas.district, "reporting.to_fill") == []
    assert _items(community, "reporting.to_fill") == []

    answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    assert _items(personas.street_a, "reporting.to_fill") == []
    review = _items(personas.district, "reporting.to_review")
    assert len(review) == 1 and "A" in review[0].title
    assert _items(personas.street_b, "reporting.to_review") == []

    services.assignment_send_back(
        assignment=assignment_of(task, tree.street_a),
        reason="请补报签到表",
        acting_user=personas.district,
    )
    assert _items(personas.district, "reporting.to_review") == []
    back = _items(personas.street_a, "reporting.to_fill")
    assert len(back) == 1 and "请补报签到表" in back[0].title


def test_a_relayed_task_is_the_relaying_street_s_to_review(tree, personas, community, sent):
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    child = services.task_relay(
        assignment=assignment_of(task, tree.street_a),
        orgs=[tree.community_a],
        deadline=task.deadline,
        acting_user=personas.street_a,
    )
    assert len(_items(community, "reporting.to_fill")) == 1
    answer_and_submit(child, tree.community_a, "1", "2", acting_user=community)
    assert len(_items(personas.street_a, "reporting.to_review")) == 1
    assert _items(personas.district, "reporting.to_review") == []
