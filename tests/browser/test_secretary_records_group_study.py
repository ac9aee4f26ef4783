"""Journey: a community secretary records a group study and ticks who attended."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.activities.models import Activity
from taizhang.activities.tests.factories import make_person
from tests.support import PASSWORD, make_personas, make_tree, make_user

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_secretary_records_group_study(live_server, page):
    """The secretary of A1 records a 集中学习 with a list, ticks two of three members on
    the sign-in sheet, and sees 2 members reached on the ledger; street_b cannot open it."""
    tree = make_tree()
    make_personas(tree)
    make_user("secretary", ("secretary", ScopeKind.SUBTREE, tree.community_a))
    make_person(tree.community_a, "周书记")
    make_person(tree.grid_a, "吴党员")
    make_person(tree.grid_a, "郑党员")
    make_person(tree.community_a, "钱居民", member=False)

    log_in(page, live_server.url, "secretary", PASSWORD)
    page.click("nav.mainnav >> text=活动")
    page.wait_for_url(f"{live_server.url}/activities/")
    page.click("text=登记活动")
    page.select_option("#id_org", str(tree.community_a.pk))
    page.select_option("#id_kind", label="集中学习")
    page.fill("#id_title", "学习贯彻党的二十届四中全会精神")
    page.fill("#id_held_on", "2026-05-20")
    page.fill("#id_start_time", "09:00")
    page.fill("#id_end_time", "11:00")
    page.fill("#id_venue", "社区党群服务中心")
    page.select_option("#id_venue_category", label="社区")
    page.fill("#id_speaker", "周书记")
    page.check("input[name=attendance_mode][value=list]")
    page.click("text=保存活动")

    page.locator("h1", has_text="学习贯彻党的二十届四中全会精神").wait_for()
    assert "请在签到名单中勾选到会人员" in page.content()
    sheet = page.locator("#attendance")
    sheet.get_by_label("吴党员").check()
    sheet.get_by_label("郑党员").check()
    page.click("text=保存出勤")
    page.locator(".messages", has_text="出勤已保存").wait_for()
    assert "到会人员（2人）" in page.content()
    activity = Activity.objects.get()
    assert activity.participants == 2 and activity.speaker is not None

    page.goto(f"{live_server.url}/activities/?year=2026")
    card = page.locator(".card", has_text="覆盖党员")
    assert card.locator(".figure").inner_text() == "2"

    page.click(".userbox .linkbtn")  # log out
    page.wait_for_load_state()
    log_in(page, live_server.url, "street_b", PASSWORD)
    response = page.goto(f"{live_server.url}/activities/{activity.pk}/")
    assert response is not None and response.status == 404
