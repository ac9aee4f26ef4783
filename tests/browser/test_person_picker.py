"""A clerk finds a person among many in a few keystrokes (issue 18): the picker suggests
the matching candidates with their unit and position, and a click fills the field."""

from __future__ import annotations

import pytest

from taizhang.people.models import Person, PositionTitle
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_clerk_picks_a_responsible_person_by_typing(live_server, page):
    tree = make_tree()
    make_personas(tree)
    for i in range(60):
        make_person(tree.community_a, f"网格员{i:02d}", title=PositionTitle.GRID_WORKER)
    target = make_person(tree.community_a, "周建国", title=PositionTitle.SECRETARY)
    make_person(tree.community_b, "周建华", title=PositionTitle.SECRETARY)

    log_in(page, live_server.url, "street_a", PASSWORD)
    page.goto(f"{live_server.url}/problems/new/")
    page.locator("#id_responsible").press_sequentially("周建", delay=30)
    choice = page.locator("#id_responsible-list button[data-pick]")
    choice.first.wait_for()
    assert choice.count() == 1, "the neighbour's 周建华 is not a candidate"
    assert tree.community_a.short_name in choice.first.inner_text()
    choice.first.click()
    assert page.input_value("#id_responsible") == "周建国"
    assert page.input_value("#id_responsible_id") == str(target.pk)
    assert page.locator("#id_responsible-list .org-pick-item").count() == 0
    assert Person.objects.count() == 62
