"""Journey: the audit administrator finds who changed a project's investment and linked
leader, reads it in words, exports what she found and verifies the chain."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.people.models import PositionTitle
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_person, make_project
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_auditor_finds_who_changed_a_project(live_server, page):
    tree = make_tree()
    personas = make_personas(tree)
    first = make_person(tree.district, "张卫国", PositionTitle.LEADER)
    second = make_person(tree.district, "李建华", PositionTitle.LEADER)
    project = make_project(tree.street_a, "锂电池正极材料项目", linked_leader=first)
    make_project(tree.street_b, "另一个项目")
    project_update(
        project=project,
        acting_user=personas.district,
        linked_leader=second,
        total_investment=1_600_000_000,
    )

    log_in(page, live_server.url, "auditor", PASSWORD)
    page.click("nav.mainnav >> text=审计日志")
    page.wait_for_url(f"{live_server.url}/audit/")
    page.select_option("select[name=object_type]", label="重点项目")
    page.fill("input[name=actor]", "district")
    page.click("form.audit-filter button[type=submit]")
    page.wait_for_url("**/audit/?*object_type=projects.project*")

    rows = page.locator("table.audit-table tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "重点项目：修改" in row
    assert "挂钩领导：张卫国 → 李建华" in row
    assert "总投资：13.77亿元 → 16亿元" in row
    assert "锂电池正极材料项目" in row

    with page.expect_download() as download:
        page.click("text=导出Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    exported = AuditEvent.objects.filter(action="core.export").get()
    assert exported.changes["rows"] == 1

    page.click("text=核验日志链")
    page.wait_for_url("**/tasks/*/")
    page.locator("#job", has_text="日志链完好").wait_for()
