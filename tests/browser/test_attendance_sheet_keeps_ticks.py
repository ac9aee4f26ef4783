"""A sign-in sheet sent back for one unknown extra name keeps every tick, the typed names
and the choice of list (issue 18): nothing the clerk did is lost."""

from __future__ import annotations

import pytest

from taizhang.activities.tests.factories import make_activity, make_person
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_attendance_sheet_error_keeps_ticks(live_server, page):
    tree = make_tree()
    make_personas(tree)
    people = [make_person(tree.community_a, name) for name in ("赵一", "钱二", "孙三", "李四")]
    activity = make_activity(tree.community_a, attendees=[])

    log_in(page, live_server.url, "street_a", PASSWORD)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    page.check(f"#attendance input[name=attendees][value='{people[0].pk}']")
    page.check(f"#attendance input[name=attendees][value='{people[2].pk}']")
    page.fill("#id_extra_names", "查无此人")
    page.click("#attendance button[type=submit]")

    page.locator("#attendance .errorlist", has_text="查无此人").wait_for()
    ticked = page.locator("#attendance input[name=attendees]:checked").evaluate_all(
        "els => els.map(e => e.value)"
    )
    assert sorted(ticked) == sorted([str(people[0].pk), str(people[2].pk)])
    assert page.input_value("#id_extra_names") == "查无此人"

    # Correct the name away and save: the two ticked persons are the attendance.
    page.fill("#id_extra_names", "")
    page.click("#attendance button[type=submit]")
    page.wait_for_url(f"{live_server.url}/activities/{activity.pk}/")
    activity.refresh_from_db()
    assert set(activity.attendees.all()) == {people[0], people[2]}
