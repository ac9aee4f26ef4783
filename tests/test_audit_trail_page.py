"""The audit trail in people's words, filtered, exported and verified on the page
(issue 18): what an audit administrator needs to find who changed a project."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent, Job, JobStatus
from taizhang.people.models import PositionTitle
from taizhang.people.services import person_update
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_person, make_project
from tests.support import PASSWORD, tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_client(client, personas):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.login(username="auditor", password=PASSWORD)
    return client


@pytest.fixture
def changed_project(tree, personas):
    """A project whose linked leader and investment the district clerk changed; the first
    leader was renamed afterwards."""
    first = make_person(tree.district, "张卫国", PositionTitle.LEADER)
    second = make_person(tree.district, "李建华", PositionTitle.LEADER)
    project = make_project(tree.street_a, "锂电池正极材料项目", linked_leader=first)
    project_update(
        project=project,
        acting_user=personas.district,
        linked_leader=second,
        total_investment=1_600_000_000,
    )
    person_update(person=first, acting_user=SYSTEM, name="张卫东")
    return project


def _rows(response):
    return response.context["rows"]


def test_actions_fields_and_values_read_as_words(auditor_client, changed_project):
    response = auditor_client.get("/audit/", {"object_type": "projects.project"})
    assert response.status_code == 200
    update = next(r for r in _rows(response) if r.event.action == "project.update")
    assert update.action == "重点项目：修改"
    changes = {c.field: c for c in update.changes}
    # An id is shown as the name its person had then, not as the number it is stored as.
    assert (changes["linked_leader"].old, changes["linked_leader"].new) == ("张卫国", "李建华")
    assert changes["linked_leader"].label == "挂钩领导"
    # Money in 亿元/万元, and the label without its stored unit.
    assert (changes["total_investment"].old, changes["total_investment"].new) == (
        "13.77亿元",
        "16亿元",
    )
    assert changes["total_investment"].label == "总投资"
    created = next(r for r in _rows(response) if r.event.action == "project.create")
    shown = {c.field: c for c in created.changes}
    assert not shown["linked_leader"].pair and shown["linked_leader"].new == "张卫国"
    assert shown["category"].new == "产业"
    assert all(c.new != "—" for c in created.changes), "a new record lists only what it holds"
    page = response.content.decode()
    assert "挂钩领导</b>：张卫国 → 李建华" in page
    assert "16亿元" in page and "1600000000" not in page


def test_a_rename_later_shows_the_new_name_on_later_events(auditor_client, changed_project):
    response = auditor_client.get(
        "/audit/", {"object_type": "people.person", "action": "person.update"}
    )
    (rename,) = _rows(response)
    assert {c.field: (c.old, c.new) for c in rename.changes}["name"] == ("张卫国", "张卫东")


def test_filters_by_operator_type_action_outcome_and_dates(
    auditor_client, changed_project, personas
):
    def actions(**params):
        return [r.event.action for r in _rows(auditor_client.get("/audit/", params))]

    assert actions(actor="district", object_type="projects.project") == ["project.update"]
    assert actions(action="project.") == ["project.update", "project.create"]
    today = timezone.localdate()
    assert "project.update" in actions(date_from=today.isoformat(), date_to=today.isoformat())
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert actions(date_from=tomorrow) == []
    assert actions(outcome="denied", object_type="projects.project") == []
    # A refused read is on the trail with its outcome.
    auditor_client.get("/projects/")
    assert "access.denied" in actions(outcome="denied")


def test_bad_filters_are_said_and_list_nothing(auditor_client, changed_project):
    response = auditor_client.get("/audit/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert _rows(response) == []
    assert "开始日期晚于结束日期。" in response.content.decode()
    response = auditor_client.get("/audit/", {"date_from": "not a date"})
    assert _rows(response) == [] and response.context["form"].errors
    assert auditor_client.get("/audit/export/", {"date_from": "2026-13-01"}).status_code == 404


def test_reading_with_filters_is_audited(auditor_client, changed_project, personas):
    auditor_client.get("/audit/", {"actor": "district"})
    read = AuditEvent.objects.filter(action="audit.read").latest("pk")
    assert read.actor == personas.auditor
    assert read.changes["filters"] == {"actor": "district"}


def test_the_page_costs_the_same_queries_for_more_events(
    auditor_client, tree, personas, django_assert_max_num_queries
):
    for n in range(3):
        make_project(
            tree.street_a,
            f"项目{n}",
            linked_leader=make_person(tree.district, f"领导{n}", PositionTitle.LEADER),
        )
    auditor_client.get("/audit/")
    with django_assert_max_num_queries(30) as few:
        auditor_client.get("/audit/")
    for n in range(10):
        make_project(
            tree.street_b,
            f"项目B{n}",
            linked_leader=make_person(tree.district, f"领导B{n}", PositionTitle.LEADER),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        auditor_client.get("/audit/")


def test_export_is_the_filtered_trail_in_words_and_is_audited(
    auditor_client, changed_project, personas
):
    response = auditor_client.get("/audit/export/", {"object_type": "projects.project"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values) if row and row[0] == "序号")
    rows = [row for row in values[header + 1 :] if row and isinstance(row[0], int)]
    assert [row[3] for row in rows] == ["重点项目：修改", "重点项目：新建"]
    assert "挂钩领导：张卫国 → 李建华" in rows[0][6]
    export = AuditEvent.objects.filter(action="core.export").latest("pk")
    assert export.actor == personas.auditor
    assert export.changes["rows"] == 2
    assert export.changes["filters"] == {"object_type": "projects.project"}


def test_only_the_audit_administrator_exports_or_verifies(client, personas):
    client.login(username="district", password=PASSWORD)
    assert client.get("/audit/export/").status_code == 403
    assert client.post("/audit/verify/").status_code == 403
    assert not Job.objects.exists()


def test_verify_on_the_page_says_intact(
    auditor_client, changed_project, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auditor_client.post("/audit/verify/")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tasks/{job.pk}/"
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["intact"] is True
    page = auditor_client.get(f"/tasks/{job.pk}/").content.decode()
    assert f"日志链完好：已核验{job.result['checked']}条事件。" in page
    verified = AuditEvent.objects.filter(action="audit.verify").latest("pk")
    assert verified.actor == personas.auditor and verified.changes["intact"] is True


def test_verify_names_the_first_broken_event(
    auditor_client, changed_project, django_capture_on_commit_callbacks
):
    target = AuditEvent.objects.filter(action="project.update").get()
    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["改过的名称", target.pk]
        )
    with django_capture_on_commit_callbacks(execute=True):
        auditor_client.post("/audit/verify/")
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith(f"日志链在第{target.pk}条事件处断开")
    page = auditor_client.get(f"/tasks/{job.pk}/").content.decode()
    assert f"第{target.pk}条" in page


def test_filters_by_an_organization_and_the_units_below_it(
    auditor_client, tree, personas, changed_project
):
    """An event keeps its object's unit; the filter takes that unit's subtree."""
    in_community = make_project(tree.community_a, "社区项目")
    in_b = make_project(tree.street_b, "街道B项目")
    update = AuditEvent.objects.filter(action="project.update").latest("pk")
    assert update.scope_org == tree.street_a.pk

    def objects(**params):
        response = auditor_client.get("/audit/", {"object_type": "projects.project", **params})
        assert response.status_code == 200
        return {r.event.object_repr for r in _rows(response)}

    a = objects(organization="A", organization_id=tree.street_a.pk)
    assert {"锂电池正极材料项目", "社区项目"} <= a and "街道B项目" not in a
    assert objects(organization="A1", organization_id=tree.community_a.pk) == {"社区项目"}
    # The unit typed without choosing from the suggestions is found by its code.
    assert "街道B项目" in objects(organization="B")
    # A unit outside the auditor's scope (there is none here but a made-up id) is an error.
    response = auditor_client.get("/audit/", {"organization": "x", "organization_id": 999999})
    assert _rows(response) == [] and response.context["form"].errors
    # The filter goes into the export too.
    sheet = load_workbook(
        io.BytesIO(
            auditor_client.get(
                "/audit/export/",
                {"object_type": "projects.project", "organization_id": tree.street_b.pk},
            ).content
        )
    ).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "街道B项目" in cells and "社区项目" not in cells
    assert in_community.pk and in_b.pk


def test_the_organization_is_sealed_with_the_event(tree, personas, changed_project):
    """Changing an event's organization afterwards breaks the chain like any change."""
    from taizhang.core.audit import compute_digest

    event = AuditEvent.objects.filter(action="project.update").latest("pk")
    assert compute_digest(event) == event.digest
    event.scope_org = tree.street_b.pk
    assert compute_digest(event) != event.digest
