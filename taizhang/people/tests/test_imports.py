"""The people register in Excel: template, import, export, re-import, undo, masking."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.people.models import PartyMembership, Person, Position, PositionTitle
from taizhang.people.services import person_import_undo, position_assign
from taizhang.people.tests.factories import make_person
from tests.support import make_user
from tests.xlsx import errors, fill, run

KIND = "people.person"
MOBILE = "13912345678"
ID_NUMBER = "990102198001011235"


def _rows(org_code: str = "A1", count: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "org_code": org_code,
            "name": f"测试人员{i}",
            "gender": "男" if i % 2 else "女",
            "mobile": f"1390000000{i}",
            "id_number": f"99010219800101{i:03d}5",
            "birth_date": dt.date(1980, 1, 1),
            "is_external": "否",
        }
        for i in range(count)
    ]


def _export(client: Any, user: Any, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"/people/export/?{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    translation.activate("zh-hans")  # the request left its own language active
    return bytes(response.content)


def _sheet_rows(content: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    headers = [c.value for c in sheet[2]]
    return [
        dict(zip(headers, (c.value for c in row), strict=True))
        for row in sheet.iter_rows(min_row=3)
    ]


def _edit(content: bytes, edits: dict[tuple[int, str], Any]) -> bytes:
    """The export with cells changed: (data row index, Chinese header) → value."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    for (index, header), value in edits.items():
        sheet.cell(row=3 + index, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _unknown_org(value: str) -> str:
    """The organization matcher's answer for a unit that is missing or out of scope."""
    return gettext("No organization with the code or name “%(value)s” within your scope.") % {
        "value": value
    }


def _shown(batch: Any) -> str:
    """Everything the batch page shows of a batch: its errors and its preview."""
    return str(batch.errors) + str(batch.preview)


@pytest.fixture(autouse=True)
def chinese() -> Any:
    """Files are checked in the language of the person who uploads them: Chinese here."""
    with translation.override("zh-hans"):
        yield


# --- import ---------------------------------------------------------------------------


def test_a_filled_template_records_persons_positions_and_memberships(tree, personas):
    """A filled template is imported as one audited person.import: the persons, their
    positions (several, side by side with their units and dates) and memberships."""
    rows = _rows("A1", 2)
    rows[0].update(
        titles=["书记", "网格员"],
        position_orgs=["A1", "A1G"],
        position_dates=["2021-01-01", "2022-03-01"],
        branch="A1G",
        joined_on="2005-07-01",
        membership_status="预备党员",
    )
    rows[1].update(
        is_external="是", affiliation="区人民医院", titles=["委员"], position_dates=["2023-05-06"]
    )
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    first = Person.objects.get(name="测试人员0")
    assert (first.organization, first.mobile, first.gender) == (
        tree.community_a,
        "13900000000",
        "F",
    )
    assert sorted(first.positions.values_list("title", "organization__code", "start_date")) == [
        (PositionTitle.GRID_WORKER, "A1G", dt.date(2022, 3, 1)),
        (PositionTitle.SECRETARY, "A1", dt.date(2021, 1, 1)),
    ]
    assert (first.membership.branch, first.membership.status) == (tree.grid_a, "probationary")
    second = Person.objects.get(name="测试人员1")
    assert (second.is_external, second.affiliation) == (True, "区人民医院")
    # 任职组织 left empty: the position is held in the person's own organization.
    assert second.positions.get().organization == tree.community_a
    assert AuditEvent.objects.filter(action="person.import").count() == 1
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_the_import_needs_the_manage_permission(tree):
    """A viewer who may read the register may not import into it."""
    reader = make_user("reader", ("viewer", "subtree", tree.street_a))
    with pytest.raises(PermissionDenied):
        batch_upload(kind=KIND, file_name="x.xlsx", content=fill(KIND, _rows()), acting_user=reader)


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas):
    """A bad mobile number on row 6 refuses the file; the number is shown masked."""
    rows = _rows("A1", 5)
    rows[2]["mobile"] = "1391234567"  # ten digits
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert Person.objects.count() == 0
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "手机号码")]
    assert batch.errors[0]["value"] == "139***4567"
    assert "1391234567" not in _shown(batch)


def test_personal_data_is_masked_in_every_error(tree, personas):
    """A wrong ID number, the same ID number twice, a formula in the mobile column: the
    messages name row and column, and the numbers only masked."""
    rows = _rows("A1", 4)
    rows[0]["id_number"] = "99010219800101"
    rows[2]["id_number"] = rows[1]["id_number"]
    rows[3]["mobile"] = "=13912345678"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    found = {(e["row"], e["column"]) for e in batch.errors}
    assert found == {(4, "身份证号"), (6, "身份证号"), (7, "手机号码")}
    shown = _shown(batch)
    for value in ("99010219800101", rows[1]["id_number"], "13912345678"):
        assert value not in shown
    assert "第5行" in shown


def test_a_reupload_of_an_imported_file_is_a_no_op(tree, personas):
    content = fill(KIND, _rows("A1", 2))
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    assert Person.objects.count() == 2


def test_an_organization_outside_the_scope_is_refused_row_by_row(tree, personas):
    """B1 is not street A's: its row is refused like an unknown unit; nothing written."""
    rows = _rows("A1", 2) + _rows("B1", 1)
    rows[2].update(name="乙", id_number="990102198001019995")
    rows[0]["branch"], rows[0]["joined_on"] = "B1", "2010-07-01"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"], e["message"]) for e in batch.errors] == [
        (4, "党组织", _unknown_org("B1")),
        (6, "所属组织编码", _unknown_org("B1")),
    ]
    assert Person.objects.count() == 0


def test_a_known_id_number_updates_the_person_instead_of_duplicating(tree, personas):
    """Matched by ID number (even kept under another unit of the scope), the person is
    updated through person_update; matched by name in the unit, unchanged."""
    known = make_person(tree.community_a, "老王", id_number=ID_NUMBER, mobile=MOBILE)
    make_person(tree.community_a, "老李", id_number="", mobile="")
    rows = [
        {
            "org_code": "A1",
            "name": "老王",
            "gender": "男",
            "id_number": ID_NUMBER,
            "affiliation": "新单位",
        },
        {"org_code": "A1", "name": "老李", "gender": "男"},
    ]
    batch = run(KIND, fill(KIND, rows), personas.street_a, commit=False)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 1), errors(batch)
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Person.objects.count() == 2
    known.refresh_from_db()
    assert (known.affiliation, known.mobile) == ("新单位", MOBILE)
    assert AuditEvent.objects.filter(action="person.update", object_id=str(known.pk)).count() == 1


def test_two_persons_of_one_name_in_one_unit_need_the_id_number(tree, personas):
    make_person(tree.community_a, "张伟", id_number="990102198001011111")
    make_person(tree.community_a, "张伟", id_number="990102198001012222")
    batch = run(
        KIND, fill(KIND, [{"org_code": "A1", "name": "张伟", "gender": "男"}]), personas.street_a
    )
    assert batch.status == BatchStatus.REFUSED
    assert "登记有2位名为“张伟”的人员" in batch.errors[0]["message"]


# --- export and re-import --------------------------------------------------------------


def _recorded(tree: Any) -> list[Person]:
    first = make_person(tree.community_a, "甲", member=True, title=PositionTitle.SECRETARY)
    position_assign(
        person=first,
        organization=tree.grid_a,
        title=PositionTitle.GRID_WORKER,
        start_date=dt.date(2022, 5, 1),
        acting_user=SYSTEM,
    )
    second = make_person(tree.grid_a, "乙", id_number="990102199202021234", mobile="13700001111")
    third = make_person(
        tree.community_a, "丙", id_number="", mobile="", is_external=True, affiliation="区医院"
    )
    return [first, second, third]


@pytest.mark.parametrize("who", ["street_a", "personnel"])
def test_an_export_imported_back_is_a_no_op(tree, personas, client, who):
    """Masked (street clerk) or in clear (personnel), the export reads back unchanged."""
    _recorded(tree)
    user = getattr(personas, who)
    content = _export(client, user)
    batch = run(KIND, content, user, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)


def test_an_edited_export_updates_only_the_edited_row(tree, personas, client):
    """A changed 工作单位 and an added position on one row: that person only."""
    first, second, _third = _recorded(tree)
    content = _export(client, personas.street_a)
    rows = _sheet_rows(content)
    index = next(i for i, r in enumerate(rows) if r["姓名"] == "乙")
    edited = _edit(
        content,
        {
            (index, "工作单位"): "街道办",
            (index, "职务"): "楼栋长",
            (index, "任职日期"): "2024-01-01",
        },
    )
    batch = run(KIND, edited, personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    second.refresh_from_db()
    assert second.affiliation == "街道办"
    assert second.positions.get().title == PositionTitle.BUILDING_LEADER
    assert first.positions.count() == 2
    updates = AuditEvent.objects.filter(action="person.update")
    assert list(updates.values_list("object_id", flat=True)) == [str(second.pk)]


def test_masked_cells_leave_the_recorded_numbers(tree, personas, client):
    """An export taken without the personal-data right shows 139****5678; read back,
    that means "unchanged", and an edit elsewhere on the row keeps the real number."""
    first, *_ = _recorded(tree)
    content = _export(client, personas.street_a)
    rows = _sheet_rows(content)
    index = next(i for i, r in enumerate(rows) if r["姓名"] == "甲")
    assert rows[index]["手机号码"] == "138****5678"
    edited = _edit(content, {(index, "工作单位"): "社区居委会"})
    batch = run(KIND, edited, personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    first.refresh_from_db()
    assert (first.mobile, first.id_number, first.affiliation) == (
        "13812345678",
        "990102199001011234",
        "社区居委会",
    )
    assert "13812345678" not in _shown(batch)


def test_a_masked_cell_that_is_not_the_recorded_number_is_refused(tree, personas, client):
    """A masked value is only "unchanged": another masked number, or one for a new
    person, cannot be recorded, and the message shows it masked."""
    _recorded(tree)
    content = _export(client, personas.street_a)
    rows = _sheet_rows(content)
    index = next(i for i, r in enumerate(rows) if r["姓名"] == "甲")
    edited = _edit(content, {(index, "手机号码"): "137****0000"})
    batch = run(KIND, edited, personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["column"], e["value"]) for e in batch.errors] == [("手机号码", "137****0000")]
    new = {"org_code": "A1", "name": "新人", "gender": "男", "mobile": "139****1234"}
    batch = run(KIND, fill(KIND, [new]), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "脱敏号码无法登记" in batch.errors[0]["message"]


def test_the_export_masks_personal_data_unless_the_viewer_may_see_it(tree, personas, client):
    """The clerk's export is masked and reveals nothing; personnel's is in clear and
    audited as a reveal, besides the export event with its row count."""
    _recorded(tree)
    masked = _sheet_rows(_export(client, personas.street_a))
    assert {r["手机号码"] for r in masked} == {"138****5678", "137****1111", None}
    assert not AuditEvent.objects.filter(action="person.reveal").exists()
    clear = _sheet_rows(_export(client, personas.personnel))
    assert {r["身份证号"] for r in clear} == {"990102199001011234", "990102199202021234", None}
    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor_id == personas.personnel.pk
    assert (event.changes["persons"], event.changes["fields"]) == (2, ["mobile", "id_number"])
    assert AuditEvent.objects.filter(action="people.export").count() == 2


def test_the_export_follows_the_list_filters_and_the_scope(tree, personas, client):
    _recorded(tree)
    make_person(tree.community_b, "丁", id_number="990102199303031234")
    names = {r["姓名"] for r in _sheet_rows(_export(client, personas.street_a))}
    assert names == {"甲", "乙", "丙"}
    names = {r["姓名"] for r in _sheet_rows(_export(client, personas.district))}
    assert names == {"甲", "乙", "丙", "丁"}
    query = f"org={tree.grid_a.pk}"
    assert [r["姓名"] for r in _sheet_rows(_export(client, personas.district, query))] == ["乙"]
    assert [r["姓名"] for r in _sheet_rows(_export(client, personas.district, "external=1"))] == [
        "丙"
    ]
    assert [r["姓名"] for r in _sheet_rows(_export(client, personas.district, "q=甲"))] == ["甲"]
    title = load_workbook(io.BytesIO(_export(client, personas.street_a))).worksheets[0]["A1"].value
    assert " · A · " in title


def test_the_list_page_offers_export_and_import(tree, personas, client):
    client.force_login(personas.street_a)
    page = client.get("/people/?q=甲").content.decode()
    assert "/people/export/?q=" in page
    assert "/ingest/people.person/" in page
    reader = make_user("reader", ("viewer", "subtree", tree.street_a))
    client.force_login(reader)
    page = client.get("/people/").content.decode()
    assert "/people/export/" in page and "/ingest/people.person/" not in page


def _export_queries(client: Any, user: Any) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/people/export/").status_code == 200
    return len(captured)


def test_the_export_query_count_does_not_grow_with_rows(tree, personas, client):
    _recorded(tree)
    few = _export_queries(client, personas.personnel)
    for i in range(12):
        make_person(
            tree.community_a,
            f"多{i}",
            id_number=f"99010219900101{i:03d}5",
            member=True,
            title=PositionTitle.GRID_WORKER,
        )
    assert _export_queries(client, personas.personnel) == few


# --- undo --------------------------------------------------------------------------------


def test_undo_removes_the_batch_with_its_positions_and_memberships(tree, personas):
    rows = _rows("A1", 2)
    rows[0].update(
        titles=["书记"], position_dates=["2021-01-01"], branch="A1", joined_on="2001-07-01"
    )
    make_person(tree.community_a, "老王", id_number=ID_NUMBER)
    rows.append(
        {
            "org_code": "A1",
            "name": "老王",
            "gender": "男",
            "titles": ["委员"],
            "position_dates": ["2020-01-01"],
        }
    )
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (Position.objects.count(), PartyMembership.objects.count()) == (2, 1)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert list(Person.objects.values_list("name", flat=True)) == ["老王"]
    assert (Position.objects.count(), PartyMembership.objects.count()) == (0, 0)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert AuditEvent.objects.filter(action="person.import_undo").count() == 1


def test_undo_is_refused_while_another_record_names_a_person(tree, personas):
    """A position recorded later (or an attendance list, a roster…) keeps the persons."""
    batch = run(KIND, fill(KIND, _rows("A1", 2)), personas.street_a)
    person = Person.objects.get(name="测试人员1")
    position_assign(
        person=person,
        organization=tree.community_a,
        title=PositionTitle.CLERK,
        start_date=dt.date(2024, 1, 1),
        acting_user=personas.street_a,
    )
    with pytest.raises(ValidationError) as refused:
        person_import_undo(
            ids=batch.written["created"]["people.person"], source="x", acting_user=personas.street_a
        )
    assert "测试人员1" in refused.value.messages[0]
    assert Person.objects.count() == 2


def test_undo_is_refused_when_an_activity_names_the_person(tree, personas):
    """On an activity's attendance list since the import, the person stays."""
    from taizhang.activities.tests.factories import make_activity

    batch = run(KIND, fill(KIND, _rows("A1", 1)), personas.street_a)
    make_activity(tree.community_a, attendees=[Person.objects.get()])
    with pytest.raises(ValidationError):
        person_import_undo(
            ids=batch.written["created"]["people.person"], source="x", acting_user=personas.street_a
        )
    assert Person.objects.count() == 1


def test_a_reported_member_reads_back_unchanged_but_cannot_be_changed(tree, personas, client):
    """双报到: street A's clerk sees B's member in her export (kept by B, outside her
    management); the row reads back unchanged, and an edit of it is refused by name."""
    from taizhang.people.tests.factories import make_report

    member = make_person(tree.street_b, "报到人", member=True, title=PositionTitle.DIRECTOR)
    make_report(member, tree.community_a)
    content = _export(client, personas.street_a)
    rows = _sheet_rows(content)
    assert [r["姓名"] for r in rows] == ["报到人"]
    batch = run(KIND, content, personas.street_a, commit=False)
    assert (batch.to_update, batch.unchanged) == (0, 1), errors(batch)
    batch = run(KIND, _edit(content, {(0, "工作单位"): "改"}), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "由B 组织登记" in batch.errors[0]["message"]
    member.refresh_from_db()
    assert member.affiliation == ""
