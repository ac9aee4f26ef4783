"""Journey: the district sends a monthly report to every street and chases it home."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.accounts.models import ScopeKind
from taizhang.activities.tests.factories import make_activity
from taizhang.reporting.models import ReportingTask
from tests.support import PASSWORD, make_personas, make_tree, make_user

from .conftest import log_in

TITLE = "12月党建工作月报"
REASON = "集中学习场次与台账记录不一致，请核对后重新填报。"


def _field(page, row: int):
    """The answer input of the fill form's ``row``-th field (ids follow the database's
    field keys, which differ between SQLite and PostgreSQL runs)."""
    return page.locator("table.rp-fill tbody tr").nth(row).locator("input, textarea").first


def _todo_panel(page):
    return page.locator("section.panel", has_text="我的待办").first


def _as(page, base_url, username):
    page.context.clear_cookies()
    log_in(page, base_url, username, PASSWORD)


def _counts(page):
    """The board's cards, by their data-count key."""
    figures = page.locator(".rp-counts .figure")
    return {
        figures.nth(i).get_attribute("data-count"): int(figures.nth(i).inner_text())
        for i in range(figures.count())
    }


def _sheet(download):
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    return [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db(transaction=True)
def test_district_chases_a_monthly_report_to_every_street(live_server, page, settings, tmp_path):
    """The district clerk builds this month's report (the 集中学习 count is a ledger
    figure to confirm, plus a number) and sends it to streets A and B. Street A finds it
    on her home page, sees the records' figure prefilled and the difference when she
    types another, and submits. Street B relays it to its community, which never
    answers. Past the deadline, the district's board says 已报 1 / 未报 1 with B late;
    she urges B (once: the second try is refused today), sends A's report back with a
    reason, A corrects it to the records' figure and resubmits, and the district
    accepts it. The board totals the accepted figures and both Excel files say the
    same; street B has the 催报 in its messages."""
    settings.MEDIA_ROOT = tmp_path / "media"
    url = live_server.url
    tree = make_tree()
    make_personas(tree)
    make_user("community_b", ("clerk", ScopeKind.SUBTREE, tree.community_b))
    today = timezone.localdate()
    # The records: two group studies in street A's subtree this month, one in B's.
    for org in (tree.community_a, tree.grid_a, tree.community_b):
        make_activity(org, held_on=today.replace(day=1), title="集中学习")

    # --- the district builds the task and sends it ------------------------------------
    log_in(page, url, "district", PASSWORD)
    page.click("nav.mainnav >> text=填报任务")
    page.wait_for_url(f"{url}/reporting/")
    page.click("text=新建填报任务")
    page.wait_for_url(f"{url}/reporting/new/")
    # The period defaults to this month, shown in the date inputs.
    assert page.input_value("#id_period_start") == f"{today.replace(day=1):%Y-%m-%d}"
    assert page.input_value("#id_period_end").startswith(f"{today:%Y-%m}-")
    page.fill("#id_title", TITLE)
    deadline = today + dt.timedelta(days=3)
    page.fill("#id_deadline", deadline.isoformat())
    rows = page.locator(".rp-field-row")
    ledger, number = rows.nth(0), rows.nth(1)
    assert ledger.locator("select[name$=-kind]").input_value() == "ledger"
    ledger.locator("select[name$=-metric]").select_option(label="集中学习")
    ledger.locator("input[name$=-unit]").fill("场")
    number.locator("input[name$=-label]").fill("参加党员人次")
    number.locator("input[name$=-unit]").fill("人次")
    page.click("button:has-text('添加字段')")  # htmx appends a row
    rows.nth(2).wait_for()
    note = rows.nth(2)
    note.locator("input[name$=-label]").fill("本月工作亮点")
    note.locator("select[name$=-kind]").select_option(label="文本")
    note.locator("input[name$=-required]").uncheck()
    page.click("button:has-text('保存草稿')")
    page.locator(".messages", has_text="任务已存为草稿").wait_for()
    fields = page.locator("main table.data tbody").inner_text()
    assert "集中学习\t待确认的台账数据\t场" in fields and "参加党员人次\t数字\t人次" in fields
    assert "本月工作亮点\t文本\t—\t否" in fields
    assert f"截止日期 {deadline:%Y-%m-%d}" in page.locator("main").inner_text()
    assert page.is_checked(".rp-orgs input[type=checkbox] >> nth=0")
    assert page.locator(".rp-orgs input[type=checkbox]:checked").count() == 2
    page.click("button:has-text('下发任务')")
    page.wait_for_url(f"{url}/reporting/*/board/")
    assert _counts(page) == {
        "done": 0,
        "open": 2,
        "submitted": 0,
        "sent_back": 0,
        "accepted": 0,
        "late": 0,
    }

    # --- street A: the to-do, the prefill, the difference, submit ---------------------
    _as(page, url, "street_a")
    todo = _todo_panel(page)
    assert "待填报任务" in todo.inner_text() and f"{TITLE} · A" in todo.inner_text()
    todo.locator("a", has_text=TITLE).click()
    page.wait_for_url(f"{url}/reporting/assignments/*/")
    first = page.locator("table.rp-fill tbody tr").nth(0)
    assert _field(page, 0).input_value() == "2"  # prefilled from the records
    assert first.locator("[data-record]").inner_text() == "2"
    assert first.locator("[data-difference]").count() == 0
    _field(page, 0).fill("3")
    _field(page, 1).fill("46")
    _field(page, 2).fill("开展“三会一课”专题学习")
    page.click("button:has-text('存为草稿')")
    page.locator(".messages", has_text="已存为草稿").wait_for()
    first = page.locator("table.rp-fill tbody tr").nth(0)
    assert _field(page, 0).input_value() == "3"
    assert first.locator("[data-difference]").inner_text() == "差额 1"
    page.click("button:has-text('提交填报')")
    page.locator(".messages", has_text="填报已提交审核").wait_for()
    assert "已填报" in page.locator("h1").inner_text()
    assert page.locator("table.rp-fill input, table.rp-fill textarea").count() == 0  # read-only

    # --- street B relays it to its community, which does not answer ------------------
    _as(page, url, "street_b")
    _todo_panel(page).locator("a", has_text=TITLE).click()
    page.wait_for_url(f"{url}/reporting/assignments/*/")
    page.click("text=转发下发至下级单位")
    page.wait_for_url(f"{url}/reporting/assignments/*/relay/")
    assert page.input_value("input[name=deadline]") == deadline.isoformat()
    assert page.is_checked(".rp-orgs input[type=checkbox]")  # B1
    page.click("button:has-text('转发下发任务')")
    page.locator(".messages", has_text="任务已转发下发至下级单位").wait_for()
    assert _counts(page)["open"] == 1
    assert "B1" in page.locator("tr[data-unit=B1]").inner_text()
    page.click("text=本单位向上级的填报")
    relayed = page.locator("main").inner_text()
    assert "1 个中已采纳 0 个" in relayed and "尚未填报： B1" in relayed
    # B1 has it: the page no longer offers to relay it (twice would count B1 twice).
    assert page.locator("a.btn", has_text="转发下发至下级单位").count() == 0
    # The community has it to fill in; it never answers.
    _as(page, url, "community_b")
    assert f"{TITLE} · B1" in _todo_panel(page).inner_text()

    # --- the deadline passes; the district reads the board and urges B ---------------
    ReportingTask.objects.update(deadline=today - dt.timedelta(days=1))
    _as(page, url, "district")
    review_todo = _todo_panel(page)
    assert "待审核的填报" in review_todo.inner_text()
    page.click("nav.mainnav >> text=填报任务")
    # The district's own task (the street's relayed copy is listed too, issued by B).
    issued_by_d = page.locator("tr").filter(has=page.get_by_role("cell", name="D", exact=True))
    issued_by_d.locator("a", has_text=TITLE).click()
    page.wait_for_url(f"{url}/reporting/*/board/")
    assert _counts(page) == {
        "done": 1,
        "open": 1,
        "submitted": 1,
        "sent_back": 0,
        "accepted": 0,
        "late": 1,
    }
    row_a, row_b = page.locator("tr[data-unit=A]"), page.locator("tr[data-unit=B]")
    assert "已填报" in row_a.inner_text() and "逾期" not in row_a.inner_text()
    assert "未填报" in row_b.inner_text() and "逾期" in row_b.inner_text()
    assert row_b.locator("[data-relayed]").inner_text() == "已转发下级：1 个中已采纳 0 个"
    row_b.locator("button:has-text('催报')").click()
    page.locator(".messages", has_text="已向 1 个单位催报").wait_for()
    assert "今日已催报" in page.locator("tr[data-unit=B]").inner_text()
    page.click("button:has-text('催报所有未填报单位')")
    page.locator(".messages", has_text="今天已向所有未填报单位催报过").wait_for()

    # --- review: A's figure differs from the records; send it back -------------------
    page.locator("tr[data-unit=A]").locator("a", has_text="审核").click()
    page.wait_for_url(f"{url}/reporting/assignments/*/review/")
    answers = page.locator("table.rp-review tbody").inner_text()
    assert "集中学习（场）\t3\t2 差额 1" in answers and "参加党员人次（人次）\t46" in answers
    page.click("button:has-text('退回')")  # no reason: refused
    page.locator(".errorlist", has_text="这个字段是必填项").wait_for()
    page.fill("#id_reason", REASON)
    page.click("button:has-text('退回')")
    page.locator(".messages", has_text="填报已退回该单位").wait_for()
    counts = _counts(page)
    assert (counts["done"], counts["open"], counts["sent_back"]) == (0, 2, 1)
    assert REASON in page.locator("tr[data-unit=A]").inner_text()

    # --- street A corrects and resubmits ----------------------------------------------
    _as(page, url, "street_a")
    todo = _todo_panel(page).inner_text()
    assert f"已退回：{REASON}" in todo
    _todo_panel(page).locator("a", has_text=TITLE).click()
    page.wait_for_url(f"{url}/reporting/assignments/*/")
    assert REASON in page.locator(".headline").inner_text()
    assert _field(page, 0).input_value() == "3"
    _field(page, 0).fill("2")
    page.click("button:has-text('提交填报')")
    page.locator(".messages", has_text="填报已提交审核").wait_for()
    assert page.locator("table.rp-fill [data-difference]").count() == 0

    # --- the district accepts; totals and Excel --------------------------------------
    _as(page, url, "district")
    _todo_panel(page).locator("a", has_text=TITLE).click()
    page.wait_for_url(f"{url}/reporting/assignments/*/review/")
    assert "退回 1 次" in page.locator("main").inner_text()
    assert "集中学习（场）\t2\t2" in page.locator("table.rp-review tbody").inner_text()
    page.click("button:has-text('采纳')")
    page.locator(".messages", has_text="填报已采纳").wait_for()
    assert _counts(page) == {
        "done": 1,
        "open": 1,
        "submitted": 0,
        "sent_back": 0,
        "accepted": 1,
        "late": 1,
    }
    assert "已采纳" in page.locator("tr[data-unit=A]").inner_text()
    totals = page.locator("table.rp-totals tbody").inner_text()
    assert "集中学习\t2 场" in totals and "参加党员人次\t46 人次" in totals

    with page.expect_download() as download:
        page.click("text=导出看板")
    assert download.value.suggested_filename.endswith(".xlsx")
    board = _sheet(download)
    assert ["1", "A 组织", "已采纳", board[2][3], 1] == board[2]
    assert board[3] == ["2", "B 组织", "未填报（逾期）", 0]
    with page.expect_download() as download:
        page.click("text=导出填报数据")
    answers = _sheet(download)
    assert ["A 组织", "已采纳", 2, 46, "开展“三会一课”专题学习"] in answers
    assert ["B 组织", "未填报（逾期）"] in answers
    assert ["合计", 2, 46] in answers

    # --- street B was told -----------------------------------------------------------
    _as(page, url, "street_b")
    page.goto(f"{url}/reminders/")
    assert f"请尽快填报：{TITLE}" in page.locator("main").inner_text()
