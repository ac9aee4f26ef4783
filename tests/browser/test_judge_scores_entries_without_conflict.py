"""A judge opens their scoring sheet, sees the entry from their own subdistrict greyed
out with the reason, scores the other entry, and the sheet shows the progress."""

from __future__ import annotations

import pytest

from taizhang.evaluations.models import Score
from taizhang.evaluations.tests.factories import make_competition, make_judge_user
from tests.browser.conftest import log_in
from tests.support import PASSWORD, make_tree

pytestmark = pytest.mark.django_db(transaction=True)


def test_judge_scores_entries_without_conflict(live_server, page):
    """Given a judge of subdistrict A, when they open the sheet, A1's brand is greyed out
    and cannot be scored; scoring B1's brand is saved and counted."""
    tree = make_tree()
    judge = make_judge_user("judge_a", tree.street_a)
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "红色驿站"), (tree.community_b, "先锋工作法")],
        judges=[judge],
        name="机关党建品牌展演",
    )
    own, other = competition.entries.order_by("number")

    log_in(page, live_server.url, judge.username, PASSWORD)
    page.click("#my-judging a")  # the home page lists competitions waiting for scores
    page.wait_for_selector("#sheet")
    conflicted = page.locator(f'tr[data-entry="{own.pk}"]')
    assert "conflict" in (conflicted.get_attribute("class") or "")
    assert "回避" in conflicted.inner_text()
    assert conflicted.locator("a").count() == 0

    page.locator(f'tr[data-entry="{other.pk}"] a.btn').click()
    page.wait_for_selector("#score form")
    for criterion, value in zip(competition.criteria.all(), ["28", "36.5", "27"], strict=True):
        page.fill(f"#id_c{criterion.pk}", value)
    page.click("#score button[type=submit]")
    page.wait_for_selector("#sheet")
    assert "已保存" in page.inner_text(".messages")
    assert "1" in page.inner_text("#progress strong")
    row = page.locator(f'tr[data-entry="{other.pk}"]').inner_text()
    assert "36.5" in row
    assert Score.objects.filter(entry=other).count() == 3
    assert not Score.objects.filter(entry=own).exists()
