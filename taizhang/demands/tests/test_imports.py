"""The demand ledger in and out of Excel, and past steps entered truthfully (补录)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.accounts.models import ScopeKind
from taizhang.core.calendar import add_workdays
from taizhang.core.models import AuditEvent
from taizhang.demands import services
from taizhang.demands.models import (
    Channel,
    Demand,
    DemandRequester,
    DemandState,
    DemandStep,
    Satisfaction,
)
from taizhang.demands.selectors import demand_list
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from tests.support import make_user
from tests.xlsx import errors, fill, run

pytestmark = pytest.mark.django_db
KIND = "demands.demand"
REASON = "Imported from 台账.xlsx"


@pytest.fixture
def category(tree):
    # Routed to the community by default, so a street clerk may record its handling.
    return make_category(tree.community_a, days=5)


def _rows(org_code: str, count: int = 3, **extra: object) -> list[dict[str, object]]:
    return [
        {
            "received_on": dt.date(2025, 3, 3 + i),
            "channel": str(Channel.HOTLINE.label),
            "category": "类别property",
            "title": f"小区电梯故障第{i}次",
            "requester": "张大妈",
            "mobile": "13812345678",
            "org_code": org_code,
            **extra,
        }
        for i in range(count)
    ]


def _answered(**extra: object) -> dict[str, object]:
    return {
        "replied_on": dt.date(2025, 3, 10),
        "reply_text": "已联系维保单位更换主板。",
        "followed_up_on": dt.date(2025, 3, 12),
        "satisfaction": str(Satisfaction.SATISFIED.label),
        **extra,
    }


def _export(client, user, query: str = "") -> bytes:
    client.force_login(user)
    response = client.get(f"/demands/export/{query}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    translation.activate("en")  # the request left its language active
    assert response.status_code == 200
    return response.content


def _sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))


# --- import ---------------------------------------------------------------------------


def test_a_filled_template_records_past_demands_with_their_real_steps(tree, personas, category):
    """Given last year's rows with their replies and follow-ups, the import records them
    at their real days: received, replied and concluded then, each step marked 补录 with
    the file as reason and the moment of entry; one audit event for the file."""
    rows = _rows("A1", 2)
    rows[0].update(_answered())
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    closed = Demand.objects.get(title="小区电梯故障第0次")
    assert closed.state == DemandState.CLOSED
    assert closed.received_on == dt.date(2025, 3, 3)
    assert timezone.localtime(closed.replied_at).date() == dt.date(2025, 3, 10)
    assert closed.closed_on == closed.followed_up_on == dt.date(2025, 3, 12)
    assert closed.due_on == add_workdays(dt.date(2025, 3, 3), 5)
    assert closed.handling_org == tree.community_a  # routed by the category
    steps = list(closed.steps.order_by("occurred_at", "pk"))
    assert [s.action for s in steps] == ["receive", "assign", "start", "reply", "follow_up"]
    assert {s.late_reason for s in steps} == {REASON}
    assert all(s.entered_at > s.occurred_at for s in steps)
    received = Demand.objects.get(title="小区电梯故障第1次")
    assert received.state == DemandState.RECEIVED and received.handling_org is None
    assert received.requesters.get().mobile == "13812345678"
    event = AuditEvent.objects.get(action="demand.import")
    assert event.changes["count"] == 2
    assert event.changes["late_entry"]["reason"] == REASON
    assert event.changes["late_entry"]["occurred_on"] == ["2025-03-03", "2025-03-12"]
    assert "13812345678" not in str(event.changes)
    assert AuditEvent.objects.get(action="ingest.import").changes["created"] == {KIND: 2}


def test_a_past_demand_whose_limit_passed_is_overdue_at_once(tree, personas, category):
    """Time limits count from the real day of receipt: unanswered since March, overdue now."""
    run(KIND, fill(KIND, _rows("A1", 1)), personas.street_a)
    demand = Demand.objects.get()
    assert demand.is_overdue
    assert list(demand_list(viewer=personas.street_a, overdue=True)) == [demand]


def test_an_unsatisfied_follow_up_leaves_the_demand_with_the_handling_unit(
    tree, personas, category
):
    rows = _rows("A1", 1)
    rows[0].update(_answered(satisfaction=str(Satisfaction.UNSATISFIED.label)))
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    demand = Demand.objects.get()
    assert (demand.state, demand.reopen_count, demand.replied_at) == (
        DemandState.HANDLING,
        1,
        None,
    )
    assert demand.followed_up_on == dt.date(2025, 3, 12)


def test_one_bad_row_in_the_middle_writes_nothing_and_names_the_row(tree, personas, category):
    """A follow-up dated before the reply, in row 5 of 3 rows, refuses the whole file."""
    rows = _rows("A1", 3)
    for row in rows:
        row.update(_answered())
    rows[1]["followed_up_on"] = dt.date(2025, 3, 9)
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "Followed up on")]
    assert "earlier than the reply" in batch.errors[0]["message"]
    assert not Demand.objects.exists() and not DemandStep.objects.exists()


def test_a_reupload_of_an_imported_file_is_a_no_op(tree, personas, category):
    content = fill(KIND, _rows("A1", 2))
    assert run(KIND, content, personas.street_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=KIND, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    assert Demand.objects.count() == 2


def test_the_same_rows_in_another_file_are_counted_unchanged(tree, personas, category):
    run(KIND, fill(KIND, _rows("A1", 2)), personas.street_a)
    batch = run(KIND, fill(KIND, _rows("A1", 3)), personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.to_create, batch.unchanged) == (1, 2)


def test_undo_removes_the_batch_while_nothing_touched_it(tree, personas, category):
    rows = _rows("A1", 2)
    rows[0].update(_answered())
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert not Demand.objects.exists()
    assert not DemandStep.objects.exists() and not DemandRequester.objects.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert AuditEvent.objects.filter(action="demand.import_undo").count() == 1
    assert run(KIND, fill(KIND, rows), personas.street_a).status == BatchStatus.IMPORTED


def test_undo_is_refused_once_a_demand_was_worked_on(tree, personas, category):
    batch = run(KIND, fill(KIND, _rows("A1", 1, handling_org="A1")), personas.street_a)
    services.demand_start(demand=Demand.objects.get(), acting_user=personas.street_a)
    with pytest.raises(ValidationError, match="1 later changes"):
        batch_undo(batch=batch, acting_user=personas.street_a)
    assert Demand.objects.count() == 1


def test_an_organization_outside_the_scope_is_refused_row_by_row(tree, personas, category):
    rows = _rows("A1", 2) + _rows("B1", 1)
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "Receiving organization code")]
    assert "within your scope" in batch.errors[0]["message"]
    assert not Demand.objects.exists()


def test_a_reply_by_a_unit_outside_the_scope_is_refused(tree, personas, category):
    """Recording the reply needs the right on the handling unit, by import as by hand:
    a category routed to the district is answered there, not by a street clerk."""
    make_category(tree.district, code="noise", name="噪声扰民")
    rows = _rows("A1", 1, category="噪声扰民")
    rows[0].update(_answered())
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert batch.errors[0]["column"] == "Handling organization"
    assert "outside your scope" in batch.errors[0]["message"]


def test_a_grid_worker_may_import_demands_but_not_their_follow_up(tree, category):
    """The follow-up call concludes a demand: a duty the import does not hand to a grid
    worker, who records demands but holds no demands.follow_up."""
    worker = make_user("grid_w", ("grid_worker", ScopeKind.SUBTREE, tree.community_a))
    rows = _rows("A1", 2)
    rows[1].update(_answered())
    batch = run(KIND, fill(KIND, rows), worker)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(5, "Satisfaction")]
    assert "right to follow up" in batch.errors[0]["message"]
    rows[1].pop("followed_up_on")
    rows[1].pop("satisfaction")
    batch = run(KIND, fill(KIND, rows), worker)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Demand.objects.get(title="小区电梯故障第1次").state == DemandState.REPLIED


def test_contact_data_is_masked_in_messages(tree, personas, category):
    """A wrong or masked mobile is reported masked; a masked value is never stored."""
    rows = _rows("A1", 2)
    rows[0]["mobile"] = "1381234567"
    rows[1]["mobile"] = "138****5678"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [4, 5]
    text = str(batch.errors)
    assert "1381234567" not in text
    assert "138***4567" in text and "masked" in batch.errors[1]["message"]


def test_an_enterprise_requester_names_an_enterprise(tree, personas, category):
    from tests.support import make_org

    firm = make_org(tree.street_a, "A-E1", "enterprise")
    rows = _rows("A1", 1, requester_kind="Enterprise requester", requester="某公司")
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert "Name the enterprise" in batch.errors[0]["message"]
    rows[0]["enterprise"] = "A-E1"
    batch = run(KIND, fill(KIND, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Demand.objects.get().enterprise == firm


# --- an export edited and imported back ----------------------------------------------


def test_an_export_imported_back_is_a_no_op_and_an_edit_updates_only_that_row(
    client, tree, personas, category
):
    rows = _rows("A1", 3)
    rows[0].update(_answered())
    run(KIND, fill(KIND, rows), personas.street_a)
    exported = _export(client, personas.street_a)
    batch = run(KIND, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)

    book = load_workbook(io.BytesIO(exported))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=3, column=headers.index("诉求摘要") + 1, value="改过的摘要")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 2)
    assert Demand.objects.filter(title="改过的摘要").count() == 1
    assert AuditEvent.objects.filter(action="demand.update").count() == 1
    # The masked mobiles of the export left the stored numbers as they were.
    assert set(DemandRequester.objects.values_list("mobile", flat=True)) == {"13812345678"}


def test_a_reply_added_to_an_exported_row_is_entered_late(client, tree, personas, category):
    """An exported demand still being handled, given its reply in the file, is replied
    to at the real day through the lifecycle services, marked 补录."""
    run(KIND, fill(KIND, _rows("A1", 1, handling_org="A1")), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=3, column=headers.index("答复日期") + 1, value=dt.date(2025, 3, 20))
    sheet.cell(row=3, column=headers.index("答复内容") + 1, value="已联系维保单位更换主板。")
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a, name="补答复.xlsx")
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    demand = Demand.objects.get()
    assert demand.state == DemandState.REPLIED
    assert timezone.localtime(demand.replied_at).date() == dt.date(2025, 3, 20)
    reply = demand.steps.get(action="reply")
    assert reply.late_reason == "Imported from 补答复.xlsx"
    event = AuditEvent.objects.get(action="demand.reply")
    assert event.changes["late_entry"]["occurred_on"] == "2025-03-20"


def test_a_recorded_column_changed_in_an_export_is_refused(client, tree, personas, category):
    """The day of receipt is not corrected by import: the row is refused, naming it."""
    run(KIND, fill(KIND, _rows("A1", 1)), personas.street_a)
    book = load_workbook(io.BytesIO(_export(client, personas.street_a)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=3, column=headers.index("受理日期") + 1, value=dt.date(2025, 4, 1))
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run(KIND, buffer.getvalue(), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "Received on")]
    assert "2025-03-03" in batch.errors[0]["message"]


# --- export -------------------------------------------------------------------------


def test_export_follows_the_list_filters_and_the_scope(client, tree, personas, category):
    make_replied(tree.community_a, category, title="A已答复")
    make_demand(tree.community_a, category, title="A新收")
    make_demand(tree.community_b, category, title="B新收")
    titles = {r[4] for r in _sheet_rows(_export(client, personas.street_a))[2:]}
    assert titles == {"A已答复", "A新收"}
    titles = {r[4] for r in _sheet_rows(_export(client, personas.district, "?state=replied"))[2:]}
    assert titles == {"A已答复"}
    event = AuditEvent.objects.filter(action="demands.export").latest("pk")
    assert event.changes == {"rows": 1, "filters": {"state": "replied"}}


def test_export_query_count_does_not_grow_with_rows(client, tree, personas, category):
    def count() -> int:
        client.force_login(personas.district)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/demands/export/").status_code == 200
        return len(queries)

    make_replied(tree.community_a, category, title="第一件")
    few = count()
    for i in range(12):
        make_replied(tree.community_a, category, title=f"诉求{i}")
    assert count() == few


def test_export_columns_fit_their_dates(client, tree, personas, category):
    """Dates no longer print as ###: every date column is wide enough."""
    make_replied(tree.community_a, category)
    sheet = load_workbook(io.BytesIO(_export(client, personas.district))).worksheets[0]
    headers = [c.value for c in sheet[2]]
    for title in ("受理日期", "办理时限", "答复日期", "回访日期", "办结日期"):
        letter = sheet.cell(row=2, column=headers.index(title) + 1).column_letter
        assert sheet.column_dimensions[letter].width >= 12


# --- 补录 through the services and the forms ------------------------------------------


def _handled_since(tree, category, clerk, days: int):
    """A demand received ``days`` ago and taken on that day, both entered late."""
    then = timezone.now() - dt.timedelta(days=days)
    demand = make_demand(
        tree.community_a, category, when=then, late_reason="纸质台账补登", acting_user=clerk
    )
    demand = services.demand_assign(
        demand=demand, when=then, late_reason="纸质台账补登", acting_user=clerk
    )
    return services.demand_start(
        demand=demand, when=then, late_reason="纸质台账补登", acting_user=clerk
    )


def test_a_late_reply_keeps_its_real_moment_and_the_moment_of_entry(tree, personas, category):
    """A reply given yesterday is stored at that moment, with the reason and the
    moment it was typed, and its audit event says both; it cannot be in the future, nor
    before the step it follows, nor late without a moment."""
    clerk = personas.street_a
    demand = _handled_since(tree, category, clerk, 20)
    reply = {"demand": demand, "reply_text": "已电话答复。", "acting_user": clerk}
    with pytest.raises(ValidationError, match="really took place"):
        services.demand_reply(**reply, late_reason="补登")
    with pytest.raises(ValidationError, match="future"):
        services.demand_reply(
            **reply, when=timezone.now() + dt.timedelta(hours=2), late_reason="补登"
        )
    with pytest.raises(ValidationError, match="previous step"):
        services.demand_reply(
            **reply, when=timezone.now() - dt.timedelta(days=25), late_reason="补登"
        )
    real = timezone.now() - dt.timedelta(days=1)
    demand = services.demand_reply(**reply, when=real, late_reason="当时系统停机，纸质台账补登")
    assert demand.replied_at == real
    step = demand.steps.get(action="reply")
    assert step.occurred_at == real and step.late_reason == "当时系统停机，纸质台账补登"
    assert step.entered_at is not None and step.entered_at > real
    late = AuditEvent.objects.get(action="demand.reply").changes["late_entry"]
    assert late["occurred_on"] == timezone.localtime(real).date().isoformat()
    assert late["reason"] == "当时系统停机，纸质台账补登" and late["entered_at"]
    # Received 20 days ago with a 5-working-day limit, answered yesterday: late.
    assert demand.is_overdue


def test_the_follow_up_form_enters_a_past_call_and_the_page_shows_it(
    client, tree, personas, category
):
    clerk = personas.street_a
    demand = _handled_since(tree, category, clerk, 10)
    demand = services.demand_reply(
        demand=demand,
        reply_text="已电话答复。",
        when=timezone.now() - dt.timedelta(days=5),
        late_reason="纸质台账补登",
        acting_user=clerk,
    )
    client.force_login(personas.street_a)
    url = f"/demands/{demand.pk}/follow-up/"
    response = client.post(url, {"satisfaction": "satisfied", "late": "on"})
    assert response.status_code == 422
    assert not Demand.objects.filter(pk=demand.pk, state=DemandState.CLOSED).exists()
    moment = timezone.localtime() - dt.timedelta(days=3)
    response = client.post(
        url,
        {
            "satisfaction": "satisfied",
            "late": "on",
            "occurred_at": f"{moment:%Y-%m-%dT%H:%M}",
            "late_reason": "回访记录在纸质台账上",
        },
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.closed_on == moment.date()
    body = client.get(f"/demands/{demand.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "补录" in body and "回访记录在纸质台账上" in body
