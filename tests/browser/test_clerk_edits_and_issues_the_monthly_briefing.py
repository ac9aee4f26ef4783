"""Journey: a subdistrict clerk generates this month's briefing as a draft, sees only
the sections with records, writes 工作动态 and 下步打算, tries to change a figure (refused
with the reason, her text kept), issues it as 第1期 and downloads the Word file, which
carries her narrative under the section heading. The browser asks for Chinese
(``locale="zh-CN"`` in conftest)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone

from taizhang.activities.tests.factories import make_activity, make_person
from taizhang.statistics import rollups
from taizhang.statistics.models import Briefing
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in

PROGRESS = "街道组织各社区开展主题党日活动，网格党员集中学习。"
NEXT_STEPS = "下月围绕基层治理开展专题宣讲。"


@pytest.mark.django_db(transaction=True)
def test_clerk_edits_and_issues_the_monthly_briefing(live_server, page):
    tree = make_tree()
    make_personas(tree)
    today = timezone.localdate()
    member = make_person(tree.grid_a, "甲党员")
    make_activity(tree.grid_a, attendees=[member], held_on=today, title="网格集中学习")
    make_activity(tree.community_a, headcount=35, held_on=today, title="A1 宣讲")
    rollups.refresh_all()

    log_in(page, live_server.url, "street_a", PASSWORD)
    page.click("nav.mainnav >> text=工作简报")
    page.wait_for_url(f"{live_server.url}/statistics/briefings/")
    assert page.input_value("#id_org") == str(tree.street_a.pk)
    assert page.input_value("#id_period") == f"{today:%Y-%m}"
    page.click("#briefing-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/statistics/briefings/*/")
    detail_url = page.url

    # Only the section with records, its figures linked to their records.
    article = page.locator("article.briefing")
    assert page.locator("#briefing-number").inner_text() == "草稿"
    assert page.locator(".briefing-section").count() == 1
    assert "开展各类活动2场" in article.inner_text()
    assert "本期暂无" not in article.inner_text()
    assert article.locator("a.fig", has_text="2场").count() >= 1

    page.fill('textarea[name="activities-progress"]', PROGRESS)
    page.fill('textarea[name="activities-next_steps"]', NEXT_STEPS)
    page.click("#save-draft")
    page.wait_for_url(detail_url)
    assert "草稿已保存" in page.locator("ul.messages").inner_text()
    assert page.input_value('textarea[name="activities-progress"]') == PROGRESS

    # The figures cannot be typed over: a changed sentence is refused with the reason,
    # and what she typed meanwhile is still there.
    page.fill('textarea[name="activities-practices"]', "以网格为单元组织学习。")
    page.evaluate(
        """() => { document.querySelector('input[name="activities-figures"]').value =
        '开展各类活动20场。'; }"""
    )
    page.click("#save-draft")
    refused = page.locator(".figure-refused")
    refused.wait_for()
    assert "不能改写" in refused.inner_text()
    assert page.input_value('textarea[name="activities-practices"]') == "以网格为单元组织学习。"
    briefing = Briefing.objects.get()
    assert briefing.sections.get().practices == ""
    # The page carries the computed figures again: saving now keeps her text.
    page.click("#save-draft")
    page.wait_for_url(detail_url)
    assert briefing.sections.get().practices == "以网格为单元组织学习。"

    # Issue it: it gets 第1期 and the form is gone.
    page.click("#issue-briefing")
    page.wait_for_url(detail_url)
    assert page.locator("#briefing-number").inner_text() == "第1期"
    assert page.locator("#draft-form").count() == 0
    assert PROGRESS in article.inner_text() and NEXT_STEPS in article.inner_text()

    with page.expect_download() as download:
        page.click("#download-docx")
    data = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "第1期" in xml and "开展各类活动2场" in xml
    assert "（一）工作动态" in xml and PROGRESS in xml
    assert "（二）经验做法" in xml and "（三）下步打算" in xml and NEXT_STEPS in xml
    assert xml.index("开展各类活动2场") < xml.index(PROGRESS) < xml.index(NEXT_STEPS)
