"""Pages of the project ledger: scope, permissions, forms and the Excel export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.projects.models import Project, Stage
from taizhang.projects.tests.factories import make_leader_user, make_project
from tests.files import jpeg_bytes
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_a(tree):
    return make_project(tree.street_a, "临溪锂电材料项目", capacity=3, capacity_unit="万吨/年")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_list_shows_scoped_rows_and_chinese_money(client, personas, project_a, tree):
    """The list shows the viewer's projects with money in 亿元."""
    make_project(tree.street_b, "望澜项目")
    response = login(client, personas.street_a).get(reverse("projects:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "临溪锂电材料项目" in body
    assert "望澜项目" not in body
    assert "13.77亿元" in body


def test_list_query_count_is_bounded(client, personas, tree, django_assert_max_num_queries):
    """The list page with 30 projects runs a bounded number of queries."""
    for i in range(30):
        make_project(tree.street_a, f"项目{i}")
    login(client, personas.district)
    # The top bar's to-do count is counted once and cached (measured by the workbench).
    client.get(reverse("projects:list"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("projects:list"))
    assert response.status_code == 200


def test_detail_out_of_scope_is_404(client, personas, project_a):
    """B's clerk gets the same 404 for A's project as for a missing one."""
    login(client, personas.street_b)
    assert client.get(reverse("projects:detail", args=[project_a.pk])).status_code == 404
    assert client.get(reverse("projects:detail", args=[999_999])).status_code == 404


def test_nobody_is_refused(client, personas, project_a):
    """A user without projects.view gets 403 on the ledger pages."""
    login(client, personas.nobody)
    assert client.get(reverse("projects:list")).status_code == 403
    assert client.get(reverse("projects:detail", args=[project_a.pk])).status_code == 403
    assert client.get(reverse("projects:export")).status_code == 403


def test_unseen_org_filter_is_refused(client, personas, tree):
    """Filtering by an organization outside the scope does not widen it: the filter
    error, and nothing listed (the same as for an unknown organization)."""
    make_project(tree.community_b, "乙街道项目")
    login(client, personas.street_a)
    response = client.get(reverse("projects:list"), {"org": tree.street_b.pk})
    assert response.status_code == 200
    assert "乙街道项目" not in response.content.decode()
    assert response.context["filters"]["ledger"].refused


def test_create_through_the_form(client, personas, tree):
    """The form takes money in 万元 and stores exact integer yuan."""
    login(client, personas.street_a)
    response = client.post(
        reverse("projects:create"),
        {
            "name": "临溪文体中心",
            "category": "social",
            "org": tree.street_a.pk,
            "lead_unit": tree.street_a.pk,
            "total_investment": "97000.5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(name="临溪文体中心")
    assert project.total_investment == 970_005_000


def test_create_on_other_street_is_not_offered(client, personas, tree):
    """Posting B's organization from A's form fails validation."""
    login(client, personas.street_a)
    response = client.post(
        reverse("projects:create"),
        {
            "name": "越权",
            "category": "social",
            "org": tree.street_b.pk,
            "lead_unit": tree.street_a.pk,
            "total_investment": "1",
        },
    )
    assert response.status_code == 200
    assert not Project.objects.filter(name="越权").exists()


def test_leader_can_view_but_not_move(client, tree, project_a):
    """A linked leader reads the ledger but has no manage function: 403 on moves."""
    leader = make_leader_user(tree)
    login(client, leader)
    assert client.get(reverse("projects:detail", args=[project_a.pk])).status_code == 200
    response = client.post(reverse("projects:move", args=[project_a.pk]), {"to_stage": 20})
    assert response.status_code == 403


def test_move_back_without_reason_shows_the_error(client, personas, tree):
    """Moving back without a reason re-renders the page with the message, nothing moves."""
    project = make_project(tree.street_a, stage=Stage.STARTED)
    login(client, personas.street_a)
    response = client.post(
        reverse("projects:move", args=[project.pk]),
        {"to_stage": Stage.LAND, "on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 422
    project.refresh_from_db()
    assert project.stage == Stage.STARTED


def test_progress_form_records_the_report(client, personas, project_a):
    """Posting progress adds it to the timeline."""
    login(client, personas.street_a)
    response = client.post(
        reverse("projects:progress", args=[project_a.pk]),
        {
            "reported_on": timezone.localdate().isoformat(),
            "text": "完成土地摘牌",
            "completed_investment": "970",
            "to_stage": str(Stage.LAND),
        },
    )
    assert response.status_code == 302
    project_a.refresh_from_db()
    assert project_a.stage == Stage.LAND
    assert project_a.completed_investment == 9_700_000
    page = client.get(reverse("projects:detail", args=[project_a.pk])).content.decode()
    assert "完成土地摘牌" in page


def test_mine_lists_the_linked_projects(client, tree, project_a):
    """我挂钩的项目 shows only the leader's own projects."""
    leader = make_leader_user(tree)
    make_project(tree.street_b, "挂钩的项目", linked_leader=leader.person)
    body = login(client, leader).get(reverse("projects:mine")).content.decode()
    assert "挂钩的项目" in body
    assert "临溪锂电材料项目" not in body


def test_excel_export_has_the_ledger_columns(client, personas, project_a, tree):
    """The export opens in openpyxl with the 台账 header and the scoped, filtered rows."""
    make_project(tree.street_b, "望澜项目")
    login(client, personas.street_a)
    response = client.get(reverse("projects:export"), {"q": "锂电"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert str(sheet["A1"].value).startswith("重点项目台账 · ")
    assert "截至日期" in sheet["A1"].value
    header = [cell.value for cell in sheet[2]]
    assert header[:6] == ["序号", "项目名称", "类别", "重大项目级别", "组织代码", "所属组织"]
    assert "挂钩领导" in header
    assert "总投资（万元）" in header
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2  # the project and the 合计 row
    row = dict(zip(header, rows[0], strict=True))
    assert row["序号"] == project_a.pk
    assert row["项目名称"] == "临溪锂电材料项目"
    assert row["总投资（万元）"] == 137700
    assert row["产能"] == "3万吨/年"
    total = dict(zip(header, rows[1], strict=True))
    assert total["序号"] == "合计"
    assert total["总投资（万元）"] == 137700


def test_excel_export_is_named_in_chinese_and_audited(client, personas, project_a):
    """The file is named after the ledger, organization and date; the trail keeps the count."""
    from taizhang.core.models import AuditEvent

    login(client, personas.street_a)
    response = client.get(reverse("projects:export"), {"q": "锂电"})
    disposition = response["Content-Disposition"]
    assert "filename*=UTF-8''%E9%87%8D%E7%82%B9%E9%A1%B9%E7%9B%AE%E5%8F%B0%E8%B4%A6_" in disposition
    assert 'filename="projects-' in disposition
    event = AuditEvent.objects.filter(action="projects.export").latest("pk")
    assert event.changes == {"rows": 1, "filters": {"q": "锂电"}}


def test_evidence_download_is_scoped(client, personas, project_a, settings, tmp_path):
    """Evidence downloads for viewers of the project; B's clerk gets 404."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from taizhang.projects.services import progress_report_create

    settings.MEDIA_ROOT = tmp_path
    report = progress_report_create(
        project=project_a,
        reported_on=timezone.localdate(),
        text="现场照片",
        files=[SimpleUploadedFile("现场.jpg", jpeg_bytes())],
        acting_user=SYSTEM,
    )
    evidence = report.evidence.get()
    url = reverse("projects:evidence", args=[evidence.pk])
    response = login(client, personas.street_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg_bytes()
    client.logout()
    assert login(client, personas.street_b).get(url).status_code == 404


def test_edit_form_shows_plain_wan_yuan(client, personas, project_a):
    """The edit form shows 137700 (万元), not an exponent, and saves it back exactly."""
    login(client, personas.street_a)
    body = client.get(reverse("projects:edit", args=[project_a.pk])).content.decode()
    assert 'value="137700"' in body
    assert 'value="34000"' in body


def test_a_late_stage_move_through_the_form_shows_the_mark(client, personas, tree):
    """补录 ticked without a reason is refused on the form; with one, the move is dated
    before the listing and the page marks it 补录 with the reason."""
    import datetime as dt

    project = make_project(tree.street_a, "补录项目", stage_since=timezone.localdate())
    login(client, personas.street_a)
    day = timezone.localdate() - dt.timedelta(days=120)
    url = reverse("projects:move", args=[project.pk])
    data = {"to_stage": Stage.STARTED, "on": day.isoformat(), "late": "on", "late_reason": ""}
    response = client.post(url, data)
    assert response.status_code == 422
    assert "请填写补录原因" in response.content.decode()
    data["late_reason"] = "纸质台账补录"
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.stage_since == day
    body = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert 'class="tag late" title="纸质台账补录"' in body
    assert "补录：纸质台账补录" in body


def test_a_major_project_level_is_kept_from_the_form_shown_and_exported(
    client, personas, project_a, tree
):
    """重大项目 (issue 15): the form keeps the level, the page shows it, the export
    writes it and an import of that file reads it back unchanged."""
    from taizhang.projects.models import MajorLevel
    from taizhang.projects.services import project_update

    project_update(project=project_a, major_level=MajorLevel.CITY, acting_user=personas.street_a)
    login(client, personas.street_a)
    page = client.get(reverse("projects:detail", args=[project_a.pk])).content.decode()
    assert "市重大项目" in page
    form = client.get(reverse("projects:edit", args=[project_a.pk])).content.decode()
    assert '<option value="city" selected>市重大项目</option>' in form
    sheet = load_workbook(io.BytesIO(client.get(reverse("projects:export")).content)).active
    header = [cell.value for cell in sheet[2]]
    column = header.index("重大项目级别")
    values = {row[1]: row[column] for row in sheet.iter_rows(min_row=3, values_only=True) if row[1]}
    assert values[project_a.name] == "市重大项目"
