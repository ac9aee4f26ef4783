"""Journey: a subdistrict clerk works a problem through to 销号 with evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.problems.models import Problem, ProblemState
from taizhang.problems.services import problem_create
from taizhang.problems.tests.factories import PNG, link_person, make_person
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_clerk_closes_problem_with_evidence(live_server, page, settings, tmp_path):
    """street_a opens a problem on her ledger, starts it, is refused when she submits
    without a file, submits with a photo and is offered no sign-off of her own work; the
    district clerk signs off and sees it 销号 with a dated history; the neighbouring
    clerk gets a 404 on it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    personas = make_personas(tree)
    link_person(personas.street_a, tree.street_a, "陈干事")
    link_person(personas.district, tree.district, "李督查")
    responsible = make_person(tree.community_a, "王责任")
    problem = problem_create(
        org=tree.community_a,
        title="海韵小区雨污管网混接",
        source="survey",
        responsible=responsible,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        acting_user=SYSTEM,
    )
    photo = tmp_path / "整改后照片.png"
    photo.write_bytes(PNG)

    log_in(page, live_server.url, "street_a", PASSWORD)
    page.click("nav.mainnav >> text=问题清单")
    page.wait_for_url(f"{live_server.url}/problems/")
    page.click("text=海韵小区雨污管网混接")
    page.locator("h1", has_text="海韵小区雨污管网混接").wait_for()
    assert "挂账" in page.locator("h1").inner_text()

    page.fill("#id_measures", "排查混接点位，分批实施雨污分流")
    page.click("button:has-text('开始整改')")
    page.locator(".messages", has_text="已开始整改").wait_for()

    page.fill("#id_evidence_text", "完成雨污分流改造1.2公里，经居民代表现场确认")
    page.click("button:has-text('提交验收')")
    page.locator(".messages", has_text="请至少上传一份佐证材料").wait_for()
    assert Problem.objects.get(pk=problem.pk).state == ProblemState.IN_PROGRESS

    page.fill("#id_evidence_text", "完成雨污分流改造1.2公里，经居民代表现场确认")
    page.set_input_files("#id_attachments", str(photo))
    page.click("button:has-text('提交验收')")
    page.locator(".messages", has_text="等待验收").wait_for()
    assert "整改后照片.png" in page.locator("main").inner_text()
    # Duties kept apart: who submitted the evidence does not close the item out.
    assert page.locator("button:has-text('验收通过，销号')").count() == 0

    page.context.clear_cookies()
    log_in(page, live_server.url, "district", PASSWORD)
    page.goto(f"{live_server.url}/problems/{problem.pk}/")
    page.fill("#id_note", "经现场核查，整改到位")
    page.click("button:has-text('验收通过，销号')")
    page.locator(".messages", has_text="问题已销号").wait_for()
    history = page.locator("section.panel", has_text="办理过程").inner_text()
    for step in ("挂账", "开始整改", "提交验收", "验收销号"):
        assert step in history
    closed = Problem.objects.get(pk=problem.pk)
    assert closed.state == ProblemState.CLOSED
    assert closed.verifier is not None and closed.verifier.name == "李督查"

    page.click("nav.mainnav >> text=问题清单")
    page.click(".tabs >> text=本单位待销号")
    page.wait_for_url(f"{live_server.url}/problems/pending/")
    assert "海韵小区雨污管网混接" not in page.locator("table.data").inner_text()

    page.context.clear_cookies()
    log_in(page, live_server.url, "street_b", PASSWORD)
    response = page.goto(f"{live_server.url}/problems/{problem.pk}/")
    assert response is not None and response.status == 404
