"""Investment ledgers through the import flow: leads with their past stage dates (补录),
events and subsidy payments; round trips with the exports, no-ops, undo and scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.ingest.models import BatchStatus
from taizhang.ingest.services import AlreadyImported, batch_undo, batch_upload
from taizhang.investment.models import (
    Event,
    EventKind,
    Lead,
    LeadStage,
    LeadStageChange,
    Source,
    Subsidy,
)
from taizhang.investment.services import (
    competition_create,
    event_create,
    lead_advance,
    subsidy_create,
    subsidy_policy_set_active,
    team_create,
)
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy
from tests.xlsx import errors, fill, run

LEADS, EVENTS, SUBSIDIES = "investment.lead", "investment.event", "investment.subsidy"
REASON = "Imported from 台账.xlsx"


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are asserted in English (msgids); test_i18n checks the Chinese."""
    with translation.override("en"):
        yield


def _leads(org_code: str, count: int = 3, **extra: object) -> list[dict[str, object]]:
    return [
        {
            "org_code": org_code,
            "enterprise": f"企业{i}",
            "project_name": f"项目{i}",
            "sector": "新能源",
            "source": str(Source.RESIDENT.label),
            "amount": 1000 + i,
            **extra,
        }
        for i in range(count)
    ]


def _edited(content: bytes, header: str, row: int, value: object) -> bytes:
    """``content`` with the cell under ``header`` in sheet row ``row`` set to ``value``."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _export(client, user, path: str) -> bytes:
    client.force_login(user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    translation.activate("en")  # the request left its language active
    return response.content


def _run_zh(kind: str, content: bytes, user, **kwargs):
    """Check (and import) an exported file in Chinese, the language it was exported in:
    the reader knows the 合计 row in the language it runs in."""
    with translation.override("zh-hans"):
        return run(kind, content, user, **kwargs)


# --- leads ---------------------------------------------------------------------------


def test_a_lead_ledger_comes_in_with_its_real_stage_dates_marked_late(tree, personas, client):
    """Last year's lead, filled in the template with its contact, signing and landing
    dates, is recorded at 落地 with those dates; every past step is 补录 with the file as
    the reason, the one audit event lists the real dates, and the lead's page shows 补录."""
    rows = _leads("A", 1)
    rows[0].update(
        stage=str(LeadStage.LANDED.label),
        contacted_on=days_ago(300),
        negotiating_on=days_ago(250),
        signed_on=days_ago(200),
        signed_amount=900.5,
        landed_on=days_ago(100),
    )
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    lead = Lead.objects.get()
    assert (lead.stage, lead.stage_since) == (LeadStage.LANDED, days_ago(100))
    assert (lead.signed_on, lead.signed_amount, lead.amount) == (
        days_ago(200),
        9_005_000,
        10_000_000,
    )
    moves = list(lead.changes.order_by("changed_on").values_list("to_stage", "changed_on"))
    assert moves == [
        (LeadStage.CONTACT, days_ago(300)),
        (LeadStage.NEGOTIATING, days_ago(250)),
        (LeadStage.SIGNED, days_ago(200)),
        (LeadStage.LANDED, days_ago(100)),
    ]
    assert set(lead.changes.values_list("late_reason", flat=True)) == {REASON}
    event = AuditEvent.objects.get(action="lead.import")
    assert event.changes["late_entry"]["reason"] == REASON
    assert [lead.pk, LeadStage.SIGNED, days_ago(200).isoformat()] in event.changes["late_entry"][
        "steps"
    ]
    assert event.occurred_at.date() >= dt.date.today() - dt.timedelta(days=1)
    client.force_login(personas.street_a)
    page = client.get(lead.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert page.count(f'class="tag" title="{REASON}"') == 4


def test_the_stage_is_the_last_dated_one_and_a_stage_without_date_is_refused(tree, personas):
    """An empty 当前阶段 means the last stage with a date; a stage without its date, or a
    date past the stated stage, is refused on that column."""
    rows = _leads("A", 3)
    rows[0]["signed_on"] = days_ago(10)
    rows[1].update(stage=str(LeadStage.SIGNED.label))
    rows[2].update(
        stage=str(LeadStage.NEGOTIATING.label), negotiating_on=days_ago(9), landed_on=days_ago(2)
    )
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (5, "signing date"),
        (6, "landing date"),
    ]
    del rows[2]["landed_on"]
    rows[1]["signed_on"] = days_ago(4)
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    stages = dict(Lead.objects.values_list("project_name", "stage"))
    assert stages == {"项目0": 30, "项目1": 30, "项目2": 20}
    assert Lead.objects.get(project_name="项目0").signed_amount == 10_000_000


def test_one_bad_lead_in_the_middle_writes_nothing_and_names_the_row_and_column(tree, personas):
    """A signing dated before the negotiation, in the third of five rows, refuses the
    whole file and names 第5行『签约日期』."""
    rows = _leads("A", 5, negotiating_on=days_ago(30))
    rows[2]["signed_on"] = days_ago(40)
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "signing date")]
    assert "before the one before it" in batch.errors[0]["message"]
    assert Lead.objects.count() == 0
    assert LeadStageChange.objects.count() == 0


def test_a_future_date_and_a_loss_without_reason_are_refused(tree, personas):
    rows = _leads("A", 2)
    rows[0]["contacted_on"] = dt.date.today() + dt.timedelta(days=3)
    rows[1]["lost_on"] = days_ago(3)
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert [(e["row"], e["column"]) for e in batch.errors] == [
        (4, "first contact date"),
        (5, "why it was lost"),
    ]


def test_a_lost_lead_is_recorded_lost_with_its_real_date(tree, personas):
    rows = _leads("A", 1, lost_on=days_ago(20), lost_reason="选址外县", contacted_on=days_ago(90))
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    lead = Lead.objects.get()
    assert (lead.is_lost, lead.lost_on, lead.lost_reason) == (True, days_ago(20), "选址外县")
    assert lead.lost_late_reason == REASON


def test_a_reupload_of_an_imported_lead_file_is_a_no_op(tree, personas):
    content = fill(LEADS, _leads("A", 2))
    assert run(LEADS, content, personas.street_a).status == BatchStatus.IMPORTED
    with pytest.raises(AlreadyImported):
        batch_upload(kind=LEADS, file_name="x.xlsx", content=content, acting_user=personas.street_a)
    assert Lead.objects.count() == 2


def test_the_same_leads_in_another_file_are_counted_unchanged(tree, personas):
    """A lead already kept under the same unit, enterprise and project is not new."""
    run(LEADS, fill(LEADS, _leads("A", 2)), personas.street_a)
    batch = run(LEADS, fill(LEADS, _leads("A", 3)), personas.street_a, commit=False)
    assert (batch.to_create, batch.unchanged) == (1, 2)


def test_a_lead_export_imported_back_is_a_no_op_and_an_edit_updates_that_row(
    tree, personas, client
):
    """Leads at every stage, one lost and one signed at an event of a team, come back
    from their export unchanged; an edited enterprise is the one update."""
    event = event_create(
        org=tree.street_a,
        kind=EventKind.FAIR,
        name="投洽会",
        held_on=days_ago(60),
        acting_user=SYSTEM,
    )
    competition = competition_create(
        org=tree.street_a,
        name="竞赛",
        starts_on=days_ago(200),
        ends_on=days_ago(1),
        acting_user=SYSTEM,
    )
    team = team_create(competition=competition, name="一组", acting_user=SYSTEM)
    make_lead(tree.street_a, "接洽线索")
    signed = make_lead(tree.street_a, "签约线索", stage=LeadStage.NEGOTIATING, team=team)
    lead_advance(
        lead=signed,
        to_stage=LeadStage.SIGNED,
        on=days_ago(60),  # the day of the event it was signed at
        signed_amount=123_456_789,
        event=event,
        acting_user=SYSTEM,
    )
    make_lead(tree.street_a, "开工线索", stage=LeadStage.STARTED)
    back = make_lead(tree.street_a, "退回线索", stage=LeadStage.SIGNED)
    lead_advance(
        lead=back, to_stage=LeadStage.NEGOTIATING, on=days_ago(5), reason="重谈", acting_user=SYSTEM
    )
    lost = run(
        LEADS,
        fill(
            LEADS,
            _leads("A1", 1, contacted_on=days_ago(30), lost_on=days_ago(8), lost_reason="流失"),
        ),
        personas.street_a,
    )
    assert lost.status == BatchStatus.IMPORTED, errors(lost)
    make_lead(tree.street_b, "别处线索")
    exported = _export(client, personas.street_a, "/investment/export/?lost=all")
    batch = _run_zh(LEADS, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (5, 0, 0, 5)
    batch = _run_zh(LEADS, _edited(exported, "企业名称", 3, "改过的企业"), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 1, 4)
    assert Lead.objects.filter(enterprise="改过的企业").count() == 1


def test_an_edited_export_moves_a_lead_forward_with_its_real_date(tree, personas, client):
    """A negotiating lead given a signing date and 签约 in its export is signed on that
    date through lead_advance, marked 补录; rewriting a recorded date is refused."""
    lead = make_lead(tree.street_a, "洽谈线索", stage=LeadStage.NEGOTIATING)
    exported = _export(client, personas.street_a, "/investment/export/")
    moved = _edited(exported, "当前阶段", 3, str(LeadStage.SIGNED.label))
    moved = _edited(moved, "签约日期", 3, days_ago(30))
    moved = _edited(moved, "签约投资额（万元）", 3, 880)
    batch = _run_zh(LEADS, moved, personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    lead.refresh_from_db()
    assert (lead.stage, lead.signed_on, lead.signed_amount) == (
        LeadStage.SIGNED,
        days_ago(30),
        8_800_000,
    )
    move = lead.changes.get(to_stage=LeadStage.SIGNED)
    assert "台账.xlsx" in move.late_reason
    audit = AuditEvent.objects.filter(action="lead.advance", object_id=str(lead.pk)).last()
    assert audit.changes["late_entry"] == {
        "occurred_on": days_ago(30).isoformat(),
        "reason": move.late_reason,
    }
    rewritten = _edited(exported, "洽谈日期", 3, days_ago(1))
    batch = _run_zh(LEADS, rewritten, personas.street_a, commit=False)
    assert batch.status == BatchStatus.REFUSED
    assert [e["column"] for e in batch.errors] == ["当前阶段", "洽谈日期"]
    assert "一经记录" in batch.errors[1]["message"]


def test_undo_removes_the_imported_leads_and_their_stage_moves(tree, personas):
    rows = _leads("A", 3, signed_on=days_ago(5))
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert LeadStageChange.objects.count() == 6
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Lead.objects.count() == 0
    assert LeadStageChange.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UNDONE
    assert AuditEvent.objects.filter(action="lead.import_undo").exists()


def test_undo_is_refused_once_an_imported_lead_moved_on(tree, personas):
    batch = run(LEADS, fill(LEADS, _leads("A", 2)), personas.street_a)
    lead = Lead.objects.first()
    lead_advance(lead=lead, to_stage=LeadStage.NEGOTIATING, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        batch_undo(batch=batch, acting_user=personas.street_a)
    assert Lead.objects.count() == 2


def test_a_lead_outside_the_scope_is_refused_row_by_row(tree, personas):
    """B1 is outside A's clerk's scope: its row alone is refused, like an unknown code."""
    rows = _leads("A1", 2) + _leads("B1", 1)
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert [e["row"] for e in batch.errors] == [6]
    assert "within your scope" in batch.errors[0]["message"]
    assert Lead.objects.count() == 0


def test_teams_and_events_are_matched_by_name_and_disambiguated(tree, personas):
    """Two events of one name need the date after the name; then the lead is linked."""
    for day in (30, 20):
        event_create(
            org=tree.street_a,
            kind=EventKind.PROMOTION,
            name="推介会",
            held_on=days_ago(day),
            acting_user=SYSTEM,
        )
    rows = _leads("A", 1, event="推介会")
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.REFUSED
    assert "2 events are named" in batch.errors[0]["message"]
    rows = _leads("A", 1, event=f"推介会（{days_ago(20).isoformat()}）", team="无此组")
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert [e["column"] for e in batch.errors] == ["resident team"]
    del rows[0]["team"]
    batch = run(LEADS, fill(LEADS, rows), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Lead.objects.get().event.held_on == days_ago(20)


# --- events --------------------------------------------------------------------------


def _events(org_code: str, count: int = 2) -> list[dict[str, object]]:
    return [
        {
            "org_code": org_code,
            "kind": str(EventKind.PROMOTION.label),
            "name": f"推介会{i}",
            "held_on": days_ago(10 + i),
            "place": "深圳",
        }
        for i in range(count)
    ]


def test_events_round_trip_through_their_export(tree, personas, client):
    """Imported events come back from their export unchanged; an edited place is an
    update; the same events in another file are unchanged; B1 is refused."""
    batch = run(EVENTS, fill(EVENTS, _events("A", 3)), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert Event.objects.count() == 3
    exported = _export(
        client, personas.street_a, f"/investment/events/export/?year={days_ago(10).year}"
    )
    batch = _run_zh(EVENTS, exported, personas.street_a, commit=False)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)
    batch = _run_zh(EVENTS, _edited(exported, "举办地点", 4, "上海"), personas.street_a)
    assert (batch.to_update, batch.unchanged) == (1, 2), errors(batch)
    assert Event.objects.filter(place="上海").count() == 1
    again = run(EVENTS, fill(EVENTS, _events("A", 4)), personas.street_a, commit=False)
    assert (again.to_create, again.unchanged) == (1, 3)
    outside = run(EVENTS, fill(EVENTS, _events("B1", 1)), personas.street_a)
    assert outside.status == BatchStatus.REFUSED
    assert [e["row"] for e in outside.errors] == [4]


def test_event_undo_is_refused_once_a_lead_was_signed_there(tree, personas):
    batch = run(EVENTS, fill(EVENTS, _events("A", 2)), personas.street_a)
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    lead_advance(
        lead=lead, to_stage=LeadStage.SIGNED, event=Event.objects.first(), acting_user=SYSTEM
    )
    with pytest.raises(ValidationError):
        batch_undo(batch=batch, acting_user=personas.street_a)
    assert Event.objects.count() == 2


def test_event_undo_removes_the_batch(tree, personas):
    batch = run(EVENTS, fill(EVENTS, _events("A", 2)), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Event.objects.count() == 0
    assert AuditEvent.objects.filter(action="event.import_undo").exists()


# --- subsidies -----------------------------------------------------------------------


def _payments(org_code: str, count: int = 3, **extra: object) -> list[dict[str, object]]:
    policy = subsidy_policy("稳岗补贴")
    return [
        {
            "org_code": org_code,
            "policy": policy.name,
            "enterprise": f"企业{i}",
            "amount": 12.5 + i,
            "paid_on": days_ago(5 + i),
            **extra,
        }
        for i in range(count)
    ]


def test_payments_in_wan_yuan_are_imported_as_yuan_in_one_audited_write(tree, personas):
    batch = run(SUBSIDIES, fill(SUBSIDIES, _payments("A", 3)), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert sorted(Subsidy.objects.values_list("amount", flat=True)) == [125_000, 135_000, 145_000]
    assert AuditEvent.objects.filter(action="subsidy.import").count() == 1
    assert not AuditEvent.objects.filter(action="subsidy.create").exists()


def test_one_bad_payment_in_the_middle_writes_nothing(tree, personas):
    """A payment dated in the future, third of five, refuses the file on 第6行『兑现日期』;
    a deactivated policy takes no new payment."""
    rows = _payments("A", 5)
    rows[2]["paid_on"] = dt.date.today() + dt.timedelta(days=2)
    batch = run(SUBSIDIES, fill(SUBSIDIES, rows), personas.street_a)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "paid on")]
    assert Subsidy.objects.count() == 0
    old = subsidy_policy("旧政策")
    subsidy_policy_set_active(policy=old, active=False, acting_user=SYSTEM)
    batch = run(SUBSIDIES, fill(SUBSIDIES, _payments("A", 1, policy="旧政策")), personas.street_a)
    assert "deactivated" in batch.errors[0]["message"]


def test_a_payment_export_imported_back_is_a_no_op_and_an_edit_updates_it(tree, personas, client):
    """Payments (one under a policy deactivated since) come back unchanged; an edited
    amount is an update through subsidy_update; a re-import of new rows is unchanged."""
    old = subsidy_policy("旧政策")
    subsidy_create(
        org=tree.street_a,
        policy=old,
        enterprise="老企业",
        amount=1_234_567,
        paid_on=days_ago(3),
        acting_user=SYSTEM,
    )
    subsidy_policy_set_active(policy=old, active=False, acting_user=SYSTEM)
    run(SUBSIDIES, fill(SUBSIDIES, _payments("A1", 2)), personas.street_a)
    year = days_ago(3).year
    exported = _export(client, personas.street_a, f"/investment/subsidies/export/?year={year}")
    batch = _run_zh(SUBSIDIES, exported, personas.street_a, commit=False)
    assert batch.status == BatchStatus.CHECKED, errors(batch)
    assert (batch.rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 0, 0, 3)
    batch = _run_zh(SUBSIDIES, _edited(exported, "兑现金额（万元）", 3, 99), personas.street_a)
    assert batch.status == BatchStatus.IMPORTED, errors(batch)
    assert (batch.to_update, batch.unchanged) == (1, 2)
    assert Subsidy.objects.filter(amount=990_000).count() == 1
    again = run(SUBSIDIES, fill(SUBSIDIES, _payments("A1", 3)), personas.street_a, commit=False)
    assert (again.to_create, again.unchanged) == (1, 2)


def test_payment_undo_and_scope(tree, personas):
    rows = _payments("A", 2) + _payments("B", 1)
    batch = run(SUBSIDIES, fill(SUBSIDIES, rows), personas.street_a)
    assert [e["row"] for e in batch.errors] == [6]
    batch = run(SUBSIDIES, fill(SUBSIDIES, _payments("A", 2)), personas.street_a)
    batch_undo(batch=batch, acting_user=personas.street_a)
    assert Subsidy.objects.count() == 0
    assert AuditEvent.objects.filter(action="subsidy.import_undo").exists()
