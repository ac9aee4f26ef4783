"""Journey: a 区委办 clerk reads the dashboard, follows a figure to its records and
generates this month's briefing (a draft) as a page and a Word file."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from docx import Document

from taizhang.activities.tests.factories import make_activity, make_person
from taizhang.statistics import rollups
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_clerk_generates_monthly_briefing(live_server, page):
    tree = make_tree()
    make_personas(tree)
    today = timezone.localdate()
    members = [make_person(tree.grid_a, "甲党员"), make_person(tree.community_b, "乙党员")]
    make_activity(tree.grid_a, attendees=members[:1], held_on=today, title="网格集中学习")
    make_activity(tree.community_b, attendees=members[1:], held_on=today, title="B1 主题党日")
    make_activity(tree.community_a, headcount=35, held_on=today, title="A1 宣讲")
    rollups.refresh_all()

    log_in(page, live_server.url, "district", PASSWORD)
    page.click("nav.mainnav >> text=统计看板")
    page.wait_for_url(f"{live_server.url}/statistics/")
    card = page.locator('.card[data-metric="activities.count"]')
    assert card.locator("a.figure").inner_text() == "3场"

    card.locator("a.figure").click()
    page.wait_for_url(f"{live_server.url}/statistics/figures/activities.count/*")
    assert page.locator("#figure-count").inner_text() == "3"
    assert page.locator("#records tbody tr").count() == 3
    assert page.locator("#records").get_by_text("A1 宣讲").is_visible()

    page.click("nav.mainnav >> text=工作简报")
    page.wait_for_url(f"{live_server.url}/statistics/briefings/")
    assert page.input_value("#id_period") == f"{today:%Y-%m}"
    page.select_option("#id_org", str(tree.district.pk))
    page.click("#briefing-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/statistics/briefings/*/")
    article = page.locator("article.briefing")
    assert "开展各类活动3场" in article.inner_text()
    assert "覆盖党员2人" in article.inner_text()
    # A draft carries only the sections with records (no "本期暂无…" paragraphs).
    assert "本期暂无" not in article.inner_text()
    assert page.locator("#briefing-number").inner_text() == "草稿"

    with page.expect_download() as download:
        page.click("#download-docx")
    document = Document(io.BytesIO(download.value.path().read_bytes()))
    assert "开展各类活动3场" in "\n".join(p.text for p in document.paragraphs)

    article.locator("a.fig", has_text="3场").first.click()
    page.wait_for_url(f"{live_server.url}/statistics/figures/activities.count/*")
    assert page.locator("#figure-value").inner_text() == "3场"
