"""Award nominations in and out of Excel: template, import, export round trip, undo."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.evaluations.models import Nomination, NominationStatus
from taizhang.evaluations.services import (
    award_create,
    award_publish,
    nomination_create,
    nomination_review,
)
from taizhang.evaluations.tests.factories import put_on_notice
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.people.services import person_create
from tests.support import make_org
from tests.xlsx import errors, fill, run

KIND = "evaluations.nomination"
YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def _chinese():
    """Headers and messages as a Chinese clerk reads them, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _branch_award(org=None, name: str = "先进党支部"):
    return award_create(
        org=org, kind="advanced_branch", name=name, year=YEAR, quota=5, acting_user=SYSTEM
    )


def _member_award(org):
    return award_create(
        org=org, kind="excellent_member", name="优秀党员", year=YEAR, quota=5, acting_user=SYSTEM
    )


def _rows(*codes: str, award: str = "先进党支部") -> list[dict[str, object]]:
    return [
        {
            "award": award,
            "year": YEAR,
            "org_code": code,
            "deeds": f"{code}的先进事迹",
            "nominated_on": dt.date(YEAR, 1, 10 + i),
        }
        for i, code in enumerate(codes)
    ]


def _export(client, user, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"/evaluations/awards/export/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content


def test_a_filled_template_is_imported_with_the_real_nomination_dates(tree, personas):
    """Units below the awarding body nominate their own units; each keeps the date it was
    nominated on, and the import is one audit event."""
    _branch_award(tree.district)
    a2 = make_org(tree.street_a, "A2")
    batch = run(KIND, fill(KIND, _rows("A1", "A2")), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    nominations = list(Nomination.objects.order_by("org__code"))
    assert [n.org for n in nominations] == [tree.community_a, a2]
    assert [n.nominated_on for n in nominations] == [dt.date(YEAR, 1, 10), dt.date(YEAR, 1, 11)]
    assert nominations[0].deeds == "A1的先进事迹"
    assert nominations[0].status == NominationStatus.NOMINATED
    event = AuditEvent.objects.get(action="nomination.import")
    assert event.changes["count"] == 2


def test_persons_are_nominated_to_an_award_for_persons(tree, personas):
    award = _member_award(tree.district)
    person = person_create(
        organization=tree.community_a, name="李娜", gender="F", acting_user=SYSTEM
    )
    rows = [{"award": "优秀党员", "year": YEAR, "person": "李娜", "deeds": "带头抗洪"}]
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    nomination = Nomination.objects.get()
    assert (nomination.award, nomination.person, nomination.org) == (
        award,
        person,
        tree.community_a,
    )
    assert nomination.nominated_on == timezone.localdate()


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas):
    _branch_award(tree.district)
    make_org(tree.street_a, "A2")
    make_org(tree.street_a, "A3")
    rows = _rows("A1", "A2", "A3")
    rows[1]["nominated_on"] = dt.date(YEAR + 1, 1, 1)
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "推荐日期")]
    assert Nomination.objects.count() == 0


def test_an_unknown_or_published_award_is_refused(tree, personas):
    award = _branch_award(tree.district)
    nomination_create(award=award, org=tree.community_b, acting_user=SYSTEM)
    nomination_review(nomination=award.nominations.get(), approve=True, acting_user=SYSTEM)
    put_on_notice(award)
    award_publish(award=award, acting_user=SYSTEM)
    batch = run(
        KIND, fill(KIND, _rows("A1") + _rows("A1", award="不存在的表彰")), personas.street_a
    )
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "表彰"), (5, "表彰")]


def test_a_reupload_is_a_no_op_and_nominees_already_listed_are_unchanged(tree, personas):
    award = _branch_award(tree.district)
    make_org(tree.street_a, "A2")
    content = fill(KIND, _rows("A1"))
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    try:
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    except AlreadyImported:
        pass
    else:
        raise AssertionError("the second upload was accepted")
    batch = run(KIND, fill(KIND, _rows("A1", "A2")), personas.street_a, commit=False)
    assert (batch.to_create, batch.unchanged) == (1, 1), errors(batch)
    assert award.nominations.count() == 1


def test_an_export_imported_back_is_a_no_op_and_an_edit_updates_only_that_row(
    tree, personas, client
):
    """The export carries every nomination, the honour roll of a published award
    included; imported back it changes nothing; an edited deed is updated through
    ``nomination_update``; an edit of a reviewed nomination is refused."""
    published = _branch_award(tree.district, name="上年度先进党支部")
    nomination_create(award=published, org=tree.community_a, acting_user=SYSTEM)
    nomination_review(nomination=published.nominations.get(), approve=True, acting_user=SYSTEM)
    put_on_notice(published)
    award_publish(award=published, acting_user=SYSTEM)
    _branch_award(tree.district)
    make_org(tree.street_a, "A2")
    run(KIND, fill(KIND, _rows("A1", "A2")), personas.street_a)
    exported = _export(client, personas.street_a)
    batch = run(KIND, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)

    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    deeds = headers.index("主要事迹") + 1
    names = [sheet.cell(row=r, column=headers.index("表彰") + 1).value for r in (3, 4, 5)]
    edited = 3 + names.index("先进党支部")
    sheet.cell(row=edited, column=deeds, value="改过的事迹")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    assert Nomination.objects.filter(deeds="改过的事迹").count() == 1

    sheet.cell(row=3 + names.index("上年度先进党支部"), column=deeds, value="事后改写")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a, commit=False)
    assert batch.status == BatchStatus.REFUSED
    assert [e["column"] for e in batch.errors] == ["主要事迹"]


def test_undo_removes_the_batch_and_is_refused_once_a_nomination_was_reviewed(tree, personas):
    award = _branch_award(tree.district)
    batch = run(KIND, fill(KIND, _rows("A1")), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Nomination.objects.count() == 0
    assert AuditEvent.objects.filter(action="nomination.import_undo").count() == 1

    batch = run(KIND, fill(KIND, _rows("A1")), personas.street_a, name="again.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    nomination_review(nomination=award.nominations.get(), approve=True, acting_user=SYSTEM)
    try:
        batch_undo(batch=batch, acting_user=personas.street_a)
    except ValidationError:
        pass
    else:
        raise AssertionError("undo went through")
    assert Nomination.objects.count() == 1


def test_a_unit_outside_the_scope_is_refused_row_by_row(tree, personas):
    _branch_award(tree.district)
    batch = run(KIND, fill(KIND, _rows("A1", "B1")), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [5]
    assert "B1" in batch.errors[0]["message"]
    assert Nomination.objects.count() == 0


def test_an_award_of_a_neighbouring_subdistrict_is_not_offered(tree, personas):
    """An award of subdistrict B does not reach subdistrict A: A's clerk cannot nominate."""
    _branch_award(tree.street_b)
    batch = run(KIND, fill(KIND, _rows("A1")), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "表彰")]
