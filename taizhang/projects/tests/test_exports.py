"""The key-project export: the list's filters and scope, the importer's columns, a bounded
number of queries, and a printed layout a person can read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.imports import write_template
from taizhang.core.models import AuditEvent
from taizhang.core.registry import IMPORTERS
from taizhang.projects.exports import KIND, columns, print_scale
from taizhang.projects.imports import FIELDS
from taizhang.projects.models import Stage
from taizhang.projects.services import project_months_set, project_stage_move
from taizhang.projects.tests.factories import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _sheet(client, user, **params: str):
    client.force_login(user)
    response = client.get("/projects/export/", params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def _names(sheet) -> set[str]:
    return {row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] != "合计"}


def test_the_export_has_the_importers_columns(tree, personas, client):
    """Header row 2 is the template's header: an export can be edited and imported back."""
    make_project(tree.street_a, "临溪项目")
    sheet = _sheet(client, personas.street_a)
    header = [c.value for c in sheet[2]]
    template = load_workbook(io.BytesIO(write_template(IMPORTERS[KIND]))).worksheets[0]
    assert header == [c.value for c in template[2]]
    assert len(header) == len(FIELDS)
    assert "1月完成投资（万元）" in header
    assert "开工实际" in header


def test_the_export_follows_the_list_filters_and_scope(tree, personas, client):
    """B's project never appears for A's clerk; the stage and text filters narrow."""
    started = make_project(tree.street_a, "临溪已开工项目")
    project_stage_move(project=started, to_stage=Stage.STARTED, acting_user=SYSTEM)
    make_project(tree.community_a, "临溪社区项目")
    make_project(tree.street_b, "望澜项目")
    assert _names(_sheet(client, personas.street_a)) == {"临溪已开工项目", "临溪社区项目"}
    assert _names(_sheet(client, personas.street_a, stage=str(Stage.STARTED))) == {"临溪已开工项目"}
    assert _names(_sheet(client, personas.street_a, q="社区")) == {"临溪社区项目"}
    assert _names(_sheet(client, personas.district)) == {
        "临溪已开工项目",
        "临溪社区项目",
        "望澜项目",
    }
    event = AuditEvent.objects.filter(action="projects.export").latest("pk")
    assert event.changes == {"rows": 3, "filters": {}}


def test_an_unseen_organization_filter_is_404(tree, personas, client):
    client.force_login(personas.street_a)
    assert client.get("/projects/export/", {"org": tree.street_b.pk}).status_code == 404


def test_months_and_stage_dates_are_written(tree, personas, client):
    """Each month of the plan year in 万元 and each stage's actual date, with a 合计 row."""
    year = timezone.localdate().year
    project = make_project(tree.street_a, "临溪项目", plan_year=year)
    project_months_set(
        project=project,
        months={dt.date(year, 1, 1): 12_345_000},
        late_reason="旧台账",
        acting_user=SYSTEM,
    )
    sheet = _sheet(client, personas.street_a)
    header = [c.value for c in sheet[2]]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    row = dict(zip(header, rows[0], strict=True))
    assert row["序号"] == project.pk
    assert row["1月完成投资（万元）"] == 1234.5
    assert row["2月完成投资（万元）"] is None
    assert row["策划生成实际"].date() == project.stage_since
    total = dict(zip(header, rows[-1], strict=True))
    assert total["序号"] == "合计"
    assert total["1月完成投资（万元）"] == 1234.5


def test_the_export_query_count_does_not_grow_with_rows(
    tree, personas, client, django_assert_max_num_queries
):
    """Ten projects or forty: the same few queries (prefetches, no query per row)."""
    client.force_login(personas.district)
    for i in range(10):
        make_project(tree.street_a, f"项目{i}", co_units=[tree.street_b])
    with django_assert_max_num_queries(30) as few:
        client.get("/projects/export/")
    for i in range(30):
        make_project(tree.street_b, f"望澜项目{i}", co_units=[tree.street_a])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/projects/export/")
    assert response.status_code == 200


def test_the_printed_layout_repeats_the_key_columns_at_a_readable_scale(tree, personas, client):
    """Landscape A4, 序号 and 项目名称 and the two top rows on every page, the columns in
    groups of pages at one scale (about two thirds, not the 40 % of one page wide), the
    title merged over the repeated columns only and page numbers in the footer."""
    make_project(tree.street_a, "临溪项目")
    sheet = _sheet(client, personas.street_a)
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.print_title_cols == "$A:$B"
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.scale) == print_scale(columns()) >= 60
    header = [c.value for c in sheet[2]]
    starts = [header[b.id] for b in sheet.col_breaks.brk]
    assert starts == ["总投资（万元）", "策划生成实际", "1月完成投资（万元）", "最新进展"]
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:B1"]
    assert "&P" in sheet.oddFooter.center.text
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2:")
