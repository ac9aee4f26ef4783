"""Journey: a grid worker on her phone (375×812, touch) records a resident's demand where
she stands. Everything is reached with a thumb: the menu from its button, the intake
form in one column with inputs large enough not to zoom, a mistake answered in Chinese
with what she typed kept, and the new demand shown as a card."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.services import demand_category_create
from taizhang.problems.tests.factories import link_person
from tests.support import PASSWORD, make_personas, make_tree, make_user

from .conftest import log_in

PHONE = {"width": 375, "height": 812}


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def _in_reach(locator) -> None:
    """On the screen's width, and tall enough for a thumb."""
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 36, box


@pytest.mark.django_db(transaction=True)
def test_grid_worker_reports_a_demand_on_a_phone(live_server, browser):
    tree = make_tree()
    make_personas(tree)
    worker = make_user("grid_worker", ("clerk", ScopeKind.SUBTREE, tree.community_a))
    link_person(worker, tree.grid_a, "刘网格")
    category = demand_category_create(
        code="lighting",
        name="路灯照明",
        default_org=tree.community_a,
        time_limit_days=5,
        acting_user=SYSTEM,
    )
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, "grid_worker", PASSWORD)
        _fits(page)
        menu = page.locator("nav.mainnav")
        assert not menu.is_visible()
        page.locator("label.navbtn").tap()
        menu.locator("a", has_text="民声诉求").tap()
        page.wait_for_url(f"{live_server.url}/demands/")
        _fits(page)
        record = page.locator("a.btn", has_text="登记诉求")
        _in_reach(record)
        record.tap()
        page.wait_for_url(f"{live_server.url}/demands/new/")
        _fits(page)

        # One column: every field starts at the same left edge; 16 px text, so the
        # phone does not zoom into a field she taps.
        fields = page.locator("main form input[type=text], main form select, main form textarea")
        lefts = {
            round(box["x"])
            for box in fields.evaluate_all(
                "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect())"
            )
        }
        assert len(lefts) == 1, lefts
        sizes = fields.evaluate_all(
            "els => els.filter(e => e.offsetParent).map(e => getComputedStyle(e).fontSize)"
        )
        assert set(sizes) == {"16px"}, sizes

        page.select_option("#id_channel", "grid_report")
        page.select_option("#id_category", str(category.pk))
        page.select_option("#id_org", str(tree.community_a.pk))
        page.select_option("#id_location", str(tree.grid_a.pk))
        page.fill("#id_title", "小区北门路灯不亮")
        page.fill("#id_content", "北门到3号楼的三盏路灯一周不亮，老人夜里出行不便。")
        page.locator("input[name=requester_kind][value=person]").tap()
        page.fill("#id_requester_name", "赵大爷")
        page.fill("#id_requester_mobile", "1391234567")  # one digit short
        submit = page.locator("main form button[type=submit]", has_text="受理诉求")
        _in_reach(submit)
        submit.tap()

        # The server answers in Chinese beside the field; nothing typed is lost.
        error = page.locator(".errorlist").first
        error.wait_for()
        assert error.inner_text() == "请填写以1开头的11位手机号码。"
        assert page.input_value("#id_title") == "小区北门路灯不亮"
        assert "三盏路灯" in page.input_value("#id_content")
        assert page.input_value("#id_requester_name") == "赵大爷"
        assert page.locator("input[name=requester_kind][value=person]").is_checked()
        _fits(page)

        page.fill("#id_requester_mobile", "13912345678")
        page.locator("main form button[type=submit]", has_text="受理诉求").tap()
        page.locator(".messages", has_text="诉求已受理").wait_for()
        _fits(page)
        main = page.locator("main").inner_text()
        assert "139****5678" in main and "13912345678" not in main

        demand = Demand.objects.get(title="小区北门路灯不亮")
        assert demand.state == DemandState.RECEIVED and demand.location == tree.grid_a

        # The list shows her demand as a card whose cells name their column.
        page.locator("label.navbtn").tap()
        page.locator("nav.mainnav a", has_text="民声诉求").tap()
        page.wait_for_url(f"{live_server.url}/demands/")
        _fits(page)
        row = page.locator("table.data tbody tr", has_text="小区北门路灯不亮")
        assert row.locator("td[data-label]").count() >= 3
        assert page.locator("table.data thead").first.is_hidden()
    finally:
        context.close()
