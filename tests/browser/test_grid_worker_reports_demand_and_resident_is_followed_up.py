"""Journey: a grid worker records a resident's demand, it is handled, replied to and
followed up until it is concluded."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.services import demand_category_create
from taizhang.problems.tests.factories import link_person
from tests.support import PASSWORD, make_personas, make_tree, make_user

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_grid_worker_reports_demand_and_resident_is_followed_up(live_server, page):
    """The grid worker of community A1 records 王阿姨's demand on her behalf (mobile
    masked everywhere), it is routed to the community, handled, replied to, and the
    satisfied follow-up concludes it; the neighbouring clerk gets a 404 on it."""
    tree = make_tree()
    make_personas(tree)
    worker = make_user("grid_worker", ("clerk", ScopeKind.SUBTREE, tree.community_a))
    link_person(worker, tree.grid_a, "刘网格")
    category = demand_category_create(
        code="property",
        name="物业管理",
        default_org=tree.community_a,
        time_limit_days=5,
        acting_user=SYSTEM,
    )

    log_in(page, live_server.url, "grid_worker", PASSWORD)
    page.click("nav.mainnav >> text=民声诉求")
    page.wait_for_url(f"{live_server.url}/demands/")
    page.click("text=登记诉求")
    page.select_option("#id_channel", "grid_report")
    page.select_option("#id_category", str(category.pk))
    page.select_option("#id_org", str(tree.community_a.pk))
    page.select_option("#id_location", str(tree.grid_a.pk))
    page.fill("#id_title", "楼道杂物堆放存在消防隐患")
    page.fill("#id_content", "三楼楼道长期堆放纸箱和旧家具，居民担心火灾隐患。")
    page.check("input[name=requester_kind][value=person]")
    page.fill("#id_requester_name", "王阿姨")
    page.fill("#id_requester_mobile", "13812345678")
    page.click("button:has-text('受理诉求')")
    page.locator(".messages", has_text="诉求已受理").wait_for()
    main = page.locator("main").inner_text()
    assert "138****5678" in main and "13812345678" not in main
    # The clerk who took the demand may unmask the phone for the follow-up call, audited.
    assert page.locator("#requesters button").count() == 1

    page.click("button:has-text('分派')")
    page.locator(".messages", has_text="诉求已分派").wait_for()
    assert tree.community_a.name in page.locator("dl.facts").inner_text()
    page.click("button:has-text('开始办理')")
    page.locator(".messages", has_text="本单位已开始办理").wait_for()
    page.fill("#id_reply_text", "已联系物业清理楼道杂物，并张贴消防提示。")
    page.click("button:has-text('提交答复')")
    page.locator(".messages", has_text="答复已记录").wait_for()
    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("#id_note", "电话回访，王阿姨表示满意")
    page.click("button:has-text('提交回访结果')")
    page.locator(".messages", has_text="回访结果已记录").wait_for()
    assert "办结" in page.locator("h1").inner_text()
    history = page.locator("section.panel", has_text="办理过程").inner_text()
    for step in ("受理", "分派", "开始办理", "答复诉求人", "回访办结"):
        assert step in history

    demand = Demand.objects.get(title="楼道杂物堆放存在消防隐患")
    assert demand.state == DemandState.CLOSED and demand.satisfaction == "satisfied"

    page.click("nav.mainnav >> text=民声诉求")
    table = page.locator("table.data").inner_text()
    assert "楼道杂物堆放存在消防隐患" in table and "138****5678" in table

    page.context.clear_cookies()
    log_in(page, live_server.url, "street_b", PASSWORD)
    response = page.goto(f"{live_server.url}/demands/{demand.pk}/")
    assert response is not None and response.status == 404
