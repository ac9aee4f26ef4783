"""A district clerk pastes a subdistrict's briefing (a synthetic one, written for this
test) and turns it into records: the extraction runs (the test settings run queued jobs
at once), the review page marks each cited sentence, she corrects a venue, confirms the
two activities together, drops the person; the activities are on the ledger and its
figures count them."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.activities.models import Activity
from taizhang.extraction.models import Draft, DraftState
from tests.support import PASSWORD, make_tree, make_user

from .conftest import log_in

REPORT = """望江街道工作简报

2026年5月20日

5月12日，望江街道党工委在党群服务中心开展集中学习，街道党工委书记陈立新领学。
5月15日，街道组织党员志愿者到滨江公园开展志愿服务活动。
今年以来，全街道累计开展主题党日活动36场。
"""


def _activities_held(page, base_url: str) -> str:
    page.goto(f"{base_url}/activities/?year=2026")
    return page.locator(".cards .card").first.locator(".figure").inner_text().strip()


@pytest.mark.django_db(transaction=True)
def test_clerk_turns_a_report_into_records(live_server, page):
    tree = make_tree()
    make_user("district_clerk", ("clerk", ScopeKind.SUBTREE, tree.district))
    log_in(page, live_server.url, "district_clerk", PASSWORD)
    before = _activities_held(page, live_server.url)

    page.goto(f"{live_server.url}/extraction/new/")
    page.fill("#id_title", "望江街道工作简报（5月）")
    page.locator("#id_org").press_sequentially(tree.street_a.short_name, delay=30)
    choice = page.locator("#id_org-list button[data-pick]")
    choice.first.wait_for()
    choice.first.click()
    page.fill("#id_text", REPORT)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/extraction/*/")

    # The drafts, each citing a sentence marked in the text.
    page.locator("article.draft").first.wait_for()
    study = Draft.objects.get(kind="activity", fields__kind="集中学习")
    volunteer = Draft.objects.get(kind="activity", fields__kind="志愿服务")
    person = Draft.objects.get(kind="person")
    mark = page.locator(f"mark#s-{study.start}")
    assert "开展集中学习" in mark.inner_text()
    page.locator(f"#d-{study.pk} a[href='#s-{study.start}']").click()
    assert page.url.endswith(f"#s-{study.start}")
    figure = page.locator("article.draft[data-kind=reported_figure] .compared")
    assert "报告称36场，台账记录为0场" in figure.inner_text()

    # A correction, two confirmed together, one dropped.
    page.fill(f"#f{study.pk}-venue", "街道党群服务中心")
    page.check(f"#d-{study.pk} input[name=selected]")
    page.check(f"#d-{volunteer.pk} input[name=selected]")
    page.click("#bulk button[value=confirm_selected]")
    page.locator(".messages", has_text="已确认2条").wait_for()
    page.click(f"#d-{person.pk} button[name=drop]")
    page.locator(".messages", has_text="已舍弃1条").wait_for()
    assert page.locator(f"#d-{person.pk}").get_attribute("data-state") == "dropped"
    assert "已确认2条、已舍弃1条" in page.locator("#summary").inner_text()

    person.refresh_from_db()
    assert person.state == DraftState.DROPPED
    activity = Activity.objects.get(kind__code="group_study")
    assert activity.venue == "街道党群服务中心" and activity.org == tree.street_a
    assert Activity.objects.count() == 2

    page.goto(f"{live_server.url}/activities/?year=2026")
    assert page.locator(f"a[href='/activities/{activity.pk}/']").count() >= 1
    after = _activities_held(page, live_server.url)
    assert int(after) == int(before) + 2
