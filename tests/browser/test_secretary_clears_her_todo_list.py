"""Journey: a community secretary opens her workbench and clears her to-do list."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.demands import services as demand_services
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.tests.factories import make_category, make_demand
from taizhang.problems.models import Problem, ProblemState
from taizhang.problems.tests.factories import link_person, make_pending
from tests.support import PASSWORD, make_personas, make_tree, make_user

from .conftest import log_in


def _todo_panel(page):
    return page.locator("section.panel", has_text="我的待办").first


@pytest.mark.django_db(transaction=True)
def test_secretary_clears_her_todo_list(live_server, page, settings, tmp_path):
    """The secretary of community A1 logs in: her home page opens with her to-dos — a
    problem the grid worker submitted for her sign-off and a residents' demand assigned
    to her community. She follows each link to where it is done: signs the problem off
    (销号), handles and answers the demand, then calls the resident back. Each item leaves
    the list as it is done, and the list ends empty. The neighbouring street's clerk has
    none of them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    make_personas(tree)
    secretary = make_user("secretary", ("secretary", ScopeKind.SUBTREE, tree.community_a))
    link_person(secretary, tree.community_a, "周书记")
    worker = make_user("grid_worker", ("grid_worker", ScopeKind.SUBTREE, tree.community_a))
    link_person(worker, tree.grid_a, "刘网格")
    problem = make_pending(tree.community_a, title="海韵小区路灯损坏", acting_user=worker)
    category = make_category(tree.community_a, code="property", name="物业管理")
    demand = make_demand(tree.community_a, category, title="楼道杂物堆放存在消防隐患")
    demand_services.demand_assign(demand=demand, handling_org=tree.community_a, acting_user=SYSTEM)

    log_in(page, live_server.url, "secretary", PASSWORD)
    panel = _todo_panel(page)
    text = panel.inner_text()
    assert "待我验收销号的问题" in text and "海韵小区路灯损坏" in text
    assert "楼道杂物堆放存在消防隐患" in text
    # Each group says why the item is there.
    assert "整改材料已提交" in text

    panel.locator("a", has_text="海韵小区路灯损坏").click()
    page.wait_for_url(f"{live_server.url}/problems/{problem.pk}/")
    page.fill("#id_note", "现场查看，路灯已修复")
    page.click("button:has-text('验收通过，销号')")
    page.locator(".messages", has_text="问题已销号").wait_for()
    assert Problem.objects.get(pk=problem.pk).state == ProblemState.CLOSED

    page.goto(f"{live_server.url}/")
    text = _todo_panel(page).inner_text()
    assert "海韵小区路灯损坏" not in text
    _todo_panel(page).locator("a", has_text="楼道杂物堆放存在消防隐患").click()
    page.wait_for_url(f"{live_server.url}/demands/{demand.pk}/")
    page.click("button:has-text('开始办理')")
    page.locator(".messages", has_text="本单位已开始办理").wait_for()
    page.fill("#id_reply_text", "已联系物业清理楼道杂物，并张贴消防提示。")
    page.click("button:has-text('提交答复')")
    page.locator(".messages", has_text="答复已记录").wait_for()

    # Answered, the demand moves to the follow-up group: the call back is still to do.
    page.goto(f"{live_server.url}/workbench/")
    follow_up = page.locator("section", has_text="已答复待回访的诉求").last
    assert "楼道杂物堆放存在消防隐患" in follow_up.inner_text()
    follow_up.locator("a", has_text="楼道杂物堆放存在消防隐患").click()
    page.wait_for_url(f"{live_server.url}/demands/{demand.pk}/")
    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("#id_note", "电话回访，居民表示满意")
    page.click("button:has-text('提交回访结果')")
    page.locator(".messages", has_text="回访结果已记录").wait_for()
    assert Demand.objects.get(pk=demand.pk).state == DemandState.CLOSED

    page.goto(f"{live_server.url}/")
    assert "暂无待办事项" in _todo_panel(page).inner_text()

    page.context.clear_cookies()
    log_in(page, live_server.url, "street_b", PASSWORD)
    assert "海韵小区" not in page.locator("main").inner_text()
