"""A linked leader opens 我挂钩的项目, sees his projects at a glance and reads one's timeline."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.projects.models import Stage
from taizhang.projects.services import progress_report_create
from taizhang.projects.tests.factories import make_leader_user, make_project
from tests.support import PASSWORD, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_leader_reviews_linked_projects(page, live_server):
    """The leader sees only his linked projects, then the stage and progress of one."""
    tree = make_tree()
    leader = make_leader_user(tree)
    mine = make_project(
        tree.street_a,
        "临溪年产3万吨电池材料项目",
        linked_leader=leader.person,
        total_investment=1_377_000_000,
    )
    progress_report_create(
        project=mine,
        reported_on=timezone.localdate(),
        text="完成土地摘牌，正在办理施工许可",
        completed_investment=97_000_000,
        to_stage=Stage.LAND,
        acting_user=SYSTEM,
    )
    make_project(tree.street_b, "望澜别人挂钩的项目")

    log_in(page, live_server.url, leader.username, PASSWORD)
    page.click("nav.mainnav >> text=重点项目")
    page.click("text=我挂钩的项目")
    page.wait_for_url(f"{live_server.url}/projects/mine/")
    table = page.locator("#linked-projects")
    assert table.locator("text=临溪年产3万吨电池材料项目").is_visible()
    assert table.locator("text=望澜别人挂钩的项目").count() == 0
    assert "13.77亿元" in table.inner_text()

    page.click("text=临溪年产3万吨电池材料项目")
    page.wait_for_url(f"{live_server.url}/projects/{mine.pk}/")
    assert page.locator(".stages li.current").inner_text().startswith("供地/落地")
    timeline = page.locator("#timeline").inner_text()
    assert "完成土地摘牌，正在办理施工许可" in timeline
    assert "9700万元" in timeline
    # A leader reads; recording progress is the clerks' job.
    assert page.locator("#progress-form").count() == 0

    # The ledger he takes to a meeting: the Excel export of the list.
    page.click("text=返回台账")
    with page.expect_download() as download_info:
        page.click("text=导出Excel")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    # Row 1 is the title (ledger, organization, 截至日期), row 2 the header, then the
    # projects numbered 1, 2, … and a 合计 row.
    assert str(sheet["A1"].value).startswith("重点项目台账")
    header = [cell.value for cell in sheet[2]]
    assert header[:3] == ["序号", "项目名称", "类别"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[-1][0] == "合计"
    names = [row[1] for row in rows if isinstance(row[0], int)]
    assert set(names) == {"望澜别人挂钩的项目", "临溪年产3万吨电池材料项目"}
