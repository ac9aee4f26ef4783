"""A subdistrict clerk brings last year's key-project ledger in from Excel: she downloads
the template, fills it, fixes the row the check refuses, imports, and finds each project
with its real stage dates marked 补录."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.accounts.models import ScopeKind
from taizhang.people.models import PositionTitle
from taizhang.projects.models import Project, Stage
from taizhang.projects.tests.factories import make_person
from tests.support import PASSWORD, make_tree, make_user

from .conftest import log_in

YEAR = timezone.localdate().year - 1


def _fill(template: bytes, leader: str) -> bytes:
    """Two projects of last year's ledger, written under the template's header row."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    rows = [
        {
            "项目名称": "临溪年产3万吨电池材料项目",
            "类别": "产业",
            "组织代码": "A",
            "牵头单位": "A",
            "挂钩领导": "钱区长",
            "总投资（万元）": 137700,
            "计划年度": YEAR,
            "年度计划投资（万元）": 34000,
            "前期实际": dt.date(YEAR, 1, 12),
            "供地/落地实际": dt.date(YEAR, 4, 8),
            "开工实际": dt.date(YEAR, 6, 18),
            "竣工计划": dt.date(YEAR, 12, 30),
            "6月完成投资（万元）": 2600,
            "7月完成投资（万元）": 3100,
        },
        {
            "项目名称": "望江路排水管网改造",
            "类别": "城市更新",
            "组织代码": "A",
            "牵头单位": "A",
            "挂钩领导": leader,
            "总投资（万元）": "1.2亿元",
            "前期实际": dt.date(YEAR, 3, 2),
        },
    ]
    for offset, row in enumerate(rows):
        for title, value in row.items():
            sheet.cell(row=4 + offset, column=header.index(title) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(page, content: bytes, name: str) -> None:
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ],
    )
    page.click("text=上传并检查")
    page.wait_for_selector("#batch [data-status=refused], #batch [data-status=checked]")


@pytest.mark.django_db(transaction=True)
def test_clerk_imports_last_years_project_ledger(page, live_server):
    """Template → fill → the unknown leader is named by row and column → fixed → imported;
    the project shows its real stage dates and the 补录 marks."""
    tree = make_tree()
    make_person(tree.district, "钱区长", PositionTitle.LEADER)
    clerk = make_user("linxi_clerk", ("clerk", ScopeKind.SUBTREE, tree.street_a))

    log_in(page, live_server.url, clerk.username, PASSWORD)
    page.click("nav.mainnav >> text=重点项目")
    page.click("a.btn >> text=导入")
    page.wait_for_url(f"{live_server.url}/ingest/projects.project/")
    with page.expect_download() as download_info:
        page.click("a.btn >> text=下载模板")
    template = Path(download_info.value.path()).read_bytes()

    # One deliberate mistake: a linked leader nobody has heard of, on the second project.
    _upload(page, _fill(template, leader="钱不存在"), "2025年重点项目台账.xlsx")
    errors = page.locator("table.errors tbody tr")
    assert errors.count() == 1
    cells = [c.strip() for c in errors.first.locator("td").all_inner_texts()]
    assert cells[:3] == ["5", "挂钩领导", "钱不存在"]
    assert "钱不存在" in cells[3]
    assert Project.objects.count() == 0

    page.goto(f"{live_server.url}/ingest/projects.project/")
    _upload(page, _fill(template, leader="钱区长"), "2025年重点项目台账（改）.xlsx")
    assert page.locator("#batch [data-status=checked]").is_visible()
    assert "望江路排水管网改造" in page.locator("#batch").inner_text()
    page.click("text=确认导入")
    page.wait_for_selector("#batch [data-status=imported]")
    assert Project.objects.count() == 2

    page.goto(f"{live_server.url}/projects/")
    page.click("text=临溪年产3万吨电池材料项目")
    project = Project.objects.get(name="临溪年产3万吨电池材料项目")
    page.wait_for_url(f"{live_server.url}/projects/{project.pk}/")
    assert project.stage == Stage.STARTED
    strip = page.locator(".stages li.current").inner_text()
    assert strip.startswith("开工") and f"{YEAR}-06-18" in strip
    schedule = page.locator("table.schedule").inner_text()
    for day in (f"{YEAR}-01-12", f"{YEAR}-04-08", f"{YEAR}-06-18"):
        assert f"{day} 补录" in schedule
    assert page.input_value(f"input[name=planned_{Stage.COMPLETED}]") == f"{YEAR}-12-30"
    # The planned 竣工 date of last year has passed: overdue at once.
    assert page.locator("table.schedule .overdue").count() == 1
    timeline = page.locator("#timeline")
    assert timeline.locator(".tag.late").count() == 3
    late = timeline.locator(".tag.late").first
    assert late.inner_text() == "补录"
    assert late.get_attribute("title") == "从《2025年重点项目台账（改）.xlsx》导入"
    assert "5700万元" in page.locator(".summary").inner_text()
