"""The activities module's ledgers in Excel: activities with attendance, campaigns and
双报到 volunteer service, imported through the ingest flow and exported by the list's
filters and the viewer's scope."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from taizhang.activities.models import (
    Activity,
    Attendance,
    AttendanceMode,
    Campaign,
    VolunteerService,
)
from taizhang.activities.services import activity_update
from taizhang.activities.tests.factories import (
    kind,
    make_activity,
    make_campaign,
    make_person,
    make_service,
    make_team,
    venue,
)
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import batch_undo
from tests.xlsx import errors, fill, run

ACTIVITY = "activities.activity"
CAMPAIGN = "activities.campaign"
SERVICE = "activities.volunteer_service"


def _export(client: Any, user: Any, url: str) -> bytes:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:200]
    return bytes(response.content)


def _sheet(content: bytes) -> list[dict[str, Any]]:
    """The data rows of an export, by header (the 合计 row left out)."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h) for h in rows[1]]
    return [dict(zip(headers, r, strict=True)) for r in rows[2:] if r[0] != "Total"]


def _edit(content: bytes, row: int, header: str, value: Any) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _activity(code: str = "A1", **extra: Any) -> dict[str, Any]:
    return {
        "org_code": code,
        "kind": kind().name,
        "title": "学习党章",
        "held_on": dt.date(2026, 3, 5),
        **extra,
    }


# --- activities --------------------------------------------------------------------------


def test_attendance_by_names_is_a_list_and_counted(tree, personas):
    """Names in 参加人员 make a list activity: one attendance row each, counted."""
    li = make_person(tree.community_a, "李明")
    wang = make_person(tree.grid_a, "王芳")
    batch = run(
        ACTIVITY, fill(ACTIVITY, [_activity(attendees=["李明", "王芳"])]), personas.street_a
    )
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    activity = Activity.objects.get()
    assert activity.attendance_mode == AttendanceMode.LIST
    assert activity.participants == 2
    assert set(Attendance.objects.values_list("person_id", flat=True)) == {li.pk, wang.pk}


def test_a_headcount_without_names_is_a_headcount_activity(tree, personas):
    """Without names the 参加人数 is the reported headcount; nobody is on a list."""
    batch = run(ACTIVITY, fill(ACTIVITY, [_activity(participants=42)]), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    activity = Activity.objects.get()
    assert (activity.attendance_mode, activity.participants) == (AttendanceMode.HEADCOUNT, 42)
    assert not Attendance.objects.exists()


def test_an_unknown_attendee_is_named_by_row_column_and_value(tree, personas):
    """A name nobody in scope carries refuses the file, naming the row, column and name;
    a person of the neighbouring subdistrict reads the same as an unknown one."""
    make_person(tree.community_a, "李明")
    make_person(tree.community_b, "赵强")
    rows = [
        _activity(title="一", attendees=["李明"]),
        _activity(title="二", attendees=["李明", "查无此人"]),
        _activity(title="三", attendees=["赵强"]),
    ]
    batch = run(ACTIVITY, fill(ACTIVITY, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"], e["value"]) for e in batch.errors] == [
        (5, "attendees", "查无此人"),
        (6, "attendees", "赵强"),
    ]
    assert "No person named “查无此人” within your scope." in batch.errors[0]["message"]
    assert "No person named “赵强” within your scope." in batch.errors[1]["message"]
    assert Activity.objects.count() == 0


def test_an_export_with_attendance_imported_back_is_a_no_op(tree, personas, client):
    """Exported lists read back unchanged, even when two visible persons share a name
    (the cell is as exported, so it is not resolved again)."""
    make_person(tree.community_a, "李明")
    make_person(tree.grid_a, "李明")
    wang = make_person(tree.community_a, "王芳")
    make_activity(tree.community_a, attendees=[wang], held_on=dt.date(2026, 3, 1))
    make_activity(tree.community_a, headcount=30, title="宣讲", held_on=dt.date(2026, 3, 2))
    content = _export(client, personas.street_a, "/activities/export/?year=2026")
    batch = run(ACTIVITY, content, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (2, 0, 0, 2)


def test_a_hidden_attendee_is_not_exported_and_kept_on_an_edited_list(tree, personas, client):
    """A person outside the viewer's scope is counted, not named; editing the visible
    names replaces them and keeps the hidden person on the list."""
    outsider = make_person(tree.community_b, "外人")
    wang = make_person(tree.community_a, "王芳")
    li = make_person(tree.community_a, "李明")
    activity = make_activity(tree.community_a, attendees=[wang, outsider])
    content = _export(client, personas.street_a, "/activities/export/?year=2026")
    [row] = _sheet(content)
    assert row["attendees"] == "王芳"
    assert row["participants（people）"] == 2
    assert run(ACTIVITY, content, personas.street_a, commit=False).unchanged == 1
    batch = run(ACTIVITY, _edit(content, 3, "attendees", "李明"), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_update, batch.unchanged) == (1, 0)
    present = set(Attendance.objects.filter(activity=activity).values_list("person_id", flat=True))
    assert present == {li.pk, outsider.pk}
    activity.refresh_from_db()
    assert activity.participants == 2


def test_an_edited_headcount_and_speaker_are_updated(tree, personas, client):
    """Changing 参加人数 of a headcount activity and naming a speaker update that row only."""
    make_activity(tree.community_a, headcount=30, held_on=dt.date(2026, 3, 1), title="一")
    make_activity(tree.community_a, headcount=10, held_on=dt.date(2026, 3, 2), title="二")
    speaker = make_person(tree.street_a, "宣讲员")
    content = _export(client, personas.street_a, "/activities/export/?year=2026&sort=oldest")
    content = _edit(_edit(content, 3, "participants（people）", 45), 3, "speaker", "宣讲员")
    batch = run(ACTIVITY, content, personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_update, batch.unchanged) == (1, 1)
    first = Activity.objects.get(title="一")
    assert (first.participants, first.speaker) == (45, speaker)
    assert Activity.objects.get(title="二").participants == 10


def test_a_recorded_activity_does_not_move_to_another_organization(tree, personas, client):
    make_activity(tree.community_a, headcount=3)
    content = _edit(
        _export(client, personas.street_a, "/activities/export/?year=2026"),
        3,
        "organization code",
        "A",
    )
    batch = run(ACTIVITY, content, personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "cannot be changed" in batch.errors[0]["message"]


def test_the_export_follows_the_filters_and_the_scope(tree, personas, client):
    """The file holds what the list shows: the kind filter narrows it, and the clerk of
    the neighbouring subdistrict gets none of A's activities."""
    make_activity(tree.community_a, headcount=3, title="学习")
    make_activity(tree.community_a, headcount=3, title="党课", kind=kind("party_lecture"))
    make_activity(tree.community_b, headcount=3, title="B的活动")
    lecture = kind("party_lecture").pk
    rows = _sheet(
        _export(client, personas.street_a, f"/activities/export/?year=2026&kind={lecture}")
    )
    assert [r["topic"] for r in rows] == ["党课"]
    rows = _sheet(_export(client, personas.street_b, "/activities/export/?year=2026"))
    assert [r["topic"] for r in rows] == ["B的活动"]
    event = AuditEvent.objects.filter(action="activities.export").last()
    assert event is not None and event.changes["rows"] == 1


def _export_queries(client: Any, user: Any, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_activity_export_query_count_does_not_grow_with_rows(tree, personas, client):
    """Speakers and attendance lists are fetched per chunk, not per activity."""
    people = [make_person(tree.community_a, f"党员{i}") for i in range(4)]
    make_activity(tree.community_a, attendees=people[:2], speaker=people[3])
    few = _export_queries(client, personas.street_a, "/activities/export/?year=2026")
    for i in range(8):
        make_activity(tree.community_a, attendees=people, speaker=people[i % 4], title=f"第{i}次")
    many = _export_queries(client, personas.street_a, "/activities/export/?year=2026")
    assert many == few


def test_an_activity_import_is_undone(tree, personas):
    make_person(tree.community_a, "李明")
    batch = run(ACTIVITY, fill(ACTIVITY, [_activity(attendees=["李明"])]), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert not Activity.objects.exists()
    assert not Attendance.objects.exists()


# --- campaigns ---------------------------------------------------------------------------


def _campaign(code: str = "A", **extra: Any) -> dict[str, Any]:
    return {
        "org_code": code,
        "title": "百场宣讲进万家",
        "kind": kind("outreach_talk").name,
        "target_count": 100,
        "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 12, 31),
        "venue_categories": [venue("enterprise").name, venue("community").name],
        **extra,
    }


def test_campaigns_are_imported_with_their_venue_categories(tree, personas):
    batch = run(
        CAMPAIGN,
        fill(CAMPAIGN, [_campaign(), _campaign("A1", title="社区宣讲")]),
        personas.street_a,
    )
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    campaign = Campaign.objects.get(title="百场宣讲进万家")
    assert campaign.org == tree.street_a
    assert {v.code for v in campaign.venue_categories.all()} == {"enterprise", "community"}
    assert AuditEvent.objects.get(action="campaign.import").changes["count"] == 2


def test_a_bad_campaign_row_in_the_middle_writes_nothing(tree, personas):
    rows = [
        _campaign(title="一"),
        _campaign(title="二", end_date=dt.date(2026, 1, 1)),
        _campaign(title="三"),
    ]
    batch = run(CAMPAIGN, fill(CAMPAIGN, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "end date")]
    assert not Campaign.objects.exists()


def test_a_campaign_outside_the_scope_is_refused_row_by_row(tree, personas):
    batch = run(
        CAMPAIGN, fill(CAMPAIGN, [_campaign(), _campaign("B", title="B")]), personas.street_a
    )
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5]
    assert "within your scope" in batch.errors[0]["message"]


def test_a_campaign_export_reimports_as_a_no_op_and_an_edit_updates(tree, personas, client):
    """Teams and progress are exported but not read back; the target is."""
    campaign = make_campaign(tree.street_a, target=10)
    make_team(campaign, tree.community_a, quota=4)
    make_activity(tree.community_a, headcount=5, campaign=campaign)
    make_campaign(tree.street_b, title="B的行动")
    content = _export(client, personas.street_a, "/activities/campaigns/export/")
    [row] = _sheet(content)
    assert (row["teams and their quotas"], row["activities counted（activities）"]) == (
        "宣讲一队（4）",
        1,
    )
    again = run(CAMPAIGN, content, personas.street_a, commit=False)
    assert (again.status, again.to_create, again.to_update, again.unchanged) == (
        BatchStatus.CHECKED,
        0,
        0,
        1,
    ), errors(again)
    batch = run(
        CAMPAIGN,
        _edit(content, 3, "target number of activities（activities）", 20),
        personas.street_a,
    )
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    campaign.refresh_from_db()
    assert campaign.target_count == 20
    assert AuditEvent.objects.filter(action="campaign.update").count() == 1


def test_a_campaign_target_below_the_teams_quotas_is_refused(tree, personas, client):
    campaign = make_campaign(tree.street_a, target=10)
    make_team(campaign, tree.community_a, quota=8)
    content = _export(client, personas.street_a, "/activities/campaigns/export/")
    batch = run(
        CAMPAIGN,
        _edit(content, 3, "target number of activities（activities）", 5),
        personas.street_a,
    )
    assert batch.status == BatchStatus.FAILED
    assert "would exceed the campaign target" in batch.errors[0]["message"]
    campaign.refresh_from_db()
    assert campaign.target_count == 10


def test_the_same_campaign_in_another_file_is_unchanged_and_undo_removes_a_batch(tree, personas):
    run(CAMPAIGN, fill(CAMPAIGN, [_campaign()]), personas.street_a)
    batch = run(
        CAMPAIGN, fill(CAMPAIGN, [_campaign(), _campaign(title="新行动")]), personas.street_a
    )
    assert (batch.to_create, batch.unchanged) == (1, 1)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert list(Campaign.objects.values_list("title", flat=True)) == ["百场宣讲进万家"]


# --- 双报到 volunteer service ----------------------------------------------------------------


def _service(code: str = "A1", **extra: Any) -> dict[str, Any]:
    return {
        "org_code": code,
        "person": "志愿者",
        "served_on": dt.date(2026, 4, 2),
        "hours": 2.5,
        "content": "社区环境整治",
        **extra,
    }


def test_volunteer_services_are_imported_and_undone(tree, personas):
    volunteer = make_person(tree.community_a, "志愿者")
    rows = [_service(), _service(served_on=dt.date(2026, 4, 9), hours=3)]
    batch = run(SERVICE, fill(SERVICE, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert sorted(VolunteerService.objects.values_list("hours", flat=True)) == [
        Decimal("2.5"),
        Decimal("3.0"),
    ]
    assert set(VolunteerService.objects.values_list("person", flat=True)) == {volunteer.pk}
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert not VolunteerService.objects.exists()


def test_a_service_without_volunteer_or_outside_the_scope_is_refused(tree, personas):
    make_person(tree.community_a, "志愿者")
    rows = [_service(), _service(person=""), _service("B1"), _service(hours=30)]
    batch = run(SERVICE, fill(SERVICE, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (5, "volunteer"),
        (6, "organization code"),
        (7, "hours served（hours）"),
    ]
    assert not VolunteerService.objects.exists()


def test_a_service_export_has_a_total_and_reimports_as_a_no_op(tree, personas, client):
    """The hours are summed in a 合计 row; the file reads back unchanged, and an edited
    hour count updates that record."""
    outsider = make_person(tree.community_b, "外来党员")
    make_service(tree.community_a, hours=Decimal(2))
    # A member of another subdistrict serving in A1 (recorded by the system): not named.
    make_service(tree.community_a, outsider, hours=Decimal("1.5"), served_on=dt.date(2026, 5, 1))
    content = _export(client, personas.street_a, "/activities/volunteer/export/?year=2026")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    last = list(sheet.iter_rows(values_only=True))[-1]
    assert last[0] == "Total" and Decimal(str(last[6])) == Decimal("3.5")
    assert sorted(r["volunteer"] or "" for r in _sheet(content)) == ["", "志愿者"]
    again = run(SERVICE, content, personas.street_a, commit=False)
    assert (again.status, again.unchanged, again.to_create) == (BatchStatus.CHECKED, 2, 0), errors(
        again
    )
    batch = run(SERVICE, _edit(content, 4, "hours served（hours）", 4), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert batch.to_update == 1
    assert VolunteerService.objects.get(person=outsider).hours == Decimal("4.0")


@pytest.mark.parametrize(
    "url", ["/activities/volunteer/export/?year=2026", "/activities/campaigns/export/"]
)
def test_other_exports_keep_to_the_scope(tree, personas, client, url):
    make_service(tree.community_a)
    make_campaign(tree.street_a)
    assert _sheet(_export(client, personas.street_b, url)) == []


def test_a_touched_activity_cannot_be_undone(tree, personas):
    batch = run(ACTIVITY, fill(ACTIVITY, [_activity(participants=3)]), personas.street_a)
    activity_update(activity=Activity.objects.get(), acting_user=personas.street_a, title="改")
    with pytest.raises(Exception, match="later changes"):
        batch_undo(batch=batch, acting_user=personas.street_a)
