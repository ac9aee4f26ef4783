"""Issue 15 §2: a lead's follow-up log, the intended amount optional at first contact,
the 意向→在谈→签约 conversion and a signing dated on the day of its event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import METRICS, TODOS
from taizhang.investment.models import EventKind, FollowUp, FollowUpKind, Lead, LeadStage, Source
from taizhang.investment.selectors import funnel, lead_list, next_steps_due, with_next_step
from taizhang.investment.services import (
    event_create,
    event_update,
    follow_up_add,
    lead_advance,
    lead_create,
    lead_mark_lost,
    lead_update,
)
from taizhang.investment.tests.factories import days_ago, make_lead
from taizhang.people.tests.factories import make_person
from taizhang.statistics import figures
from taizhang.statistics.periods import Period
from tests.support import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _follow(lead, user, **kwargs):
    values = {
        "on": days_ago(2),
        "kind": FollowUpKind.VISIT,
        "content": "走访企业总部，了解扩产意向",
        "acting_user": user,
    }
    values.update(kwargs)
    return follow_up_add(lead=lead, **values)


# --- the follow-up log ---------------------------------------------------------------


def test_a_follow_up_is_logged_scoped_and_audited(tree, personas):
    """A's clerk logs a visit with our person, their side and a next step: one audit
    event on the lead; B's clerk may not log on A's lead."""
    lead = make_lead(tree.street_a, "储能项目")
    ours = make_person(tree.street_a, "李招商")
    before = AuditEvent.objects.count()
    entry = _follow(
        lead,
        personas.street_a,
        our_people=[ours],
        our_side="区投促局副局长",
        their_side="企业董事长张总",
        next_step="报送项目用地需求",
        next_step_on=days_ago(-5),
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "lead.follow_up"
    assert event.object_id == str(lead.pk)
    assert event.changes["follow_up"] == [None, entry.pk]
    assert event.changes["our_people"] == [None, [ours.pk]]
    assert event.changes["next_step"] == [None, "报送项目用地需求"]
    assert list(entry.our_people.all()) == [ours]
    assert entry.recorded_by == personas.street_a
    with pytest.raises(PermissionDenied):
        _follow(lead, personas.street_b)
    assert FollowUp.objects.count() == 1


def test_a_follow_up_refuses_what_a_log_cannot_hold(tree, personas):
    lead = make_lead(tree.street_a)
    refused = {
        "content": {"content": "  "},
        "on": {"on": days_ago(-1)},
        "next_step_on": {"next_step": "回访", "next_step_on": days_ago(3)},
        "next_step": {"next_step_on": days_ago(-3)},
        # A person of the sibling street is not one A's clerk may name.
        "our_people": {"our_people": [make_person(tree.street_b, "赵外人")]},
    }
    for field, wrong in refused.items():
        with pytest.raises(ValidationError) as error:
            _follow(lead, personas.street_a, **wrong)
        assert list(error.value.message_dict) == [field]
    lead_mark_lost(lead=lead, reason="企业转投他处", acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        _follow(lead, personas.street_a)
    assert not FollowUp.objects.exists()


def test_the_lead_page_shows_the_timeline_and_takes_a_follow_up(client, personas, tree):
    lead = make_lead(tree.street_a, "光伏组件项目")
    _follow(lead, SYSTEM, on=days_ago(9), content="首次电话联系", kind=FollowUpKind.CONTACT)
    login(client, personas.street_a)
    url = reverse("investment:lead_detail", args=[lead.pk])
    body = client.get(url).content.decode()
    assert "首次电话联系" in body and 'id="follow-up-form"' in body
    response = client.post(
        reverse("investment:follow_up_add", args=[lead.pk]),
        {
            "on": days_ago(1).isoformat(),
            "kind": "talk",
            "their_side": "企业副总经理",
            "content": "就厂房租金和设备补贴洽谈",
            "next_step": "提交补贴测算",
            "next_step_on": days_ago(-7).isoformat(),
        },
    )
    assert response.status_code == 302
    entry = FollowUp.objects.get(content="就厂房租金和设备补贴洽谈")
    assert response["Location"].endswith(f"#follow-up-{entry.pk}")
    body = client.get(url).content.decode()
    assert body.index("就厂房租金和设备补贴洽谈") < body.index("首次电话联系")  # newest first
    # A refused entry comes back on the page with the reason.
    response = client.post(
        reverse("investment:follow_up_add", args=[lead.pk]),
        {
            "on": days_ago(1).isoformat(),
            "kind": "talk",
            "content": "x",
            "next_step_on": "2000-01-01",
        },
    )
    assert response.status_code == 422
    # B's clerk: the lead does not exist for her.
    login(client, personas.street_b)
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("investment:follow_up_add", args=[lead.pk]),
        {"on": days_ago(1).isoformat(), "kind": "talk", "content": "越权"},
    )
    assert response.status_code == 404
    assert not FollowUp.objects.filter(content="越权").exists()


def test_the_lead_list_shows_the_newest_next_step(client, personas, tree):
    lead = make_lead(tree.street_a, "新材料项目")
    _follow(lead, SYSTEM, on=days_ago(20), next_step="旧的下一步", next_step_on=days_ago(10))
    _follow(lead, SYSTEM, on=days_ago(3), next_step="安排实地考察", next_step_on=days_ago(-4))
    _follow(lead, SYSTEM, on=days_ago(1), content="电话问候，无新进展")  # names no next step
    row = with_next_step(lead_list(viewer=personas.street_a)).get(pk=lead.pk)
    assert (row.next_step, row.next_step_on) == ("安排实地考察", days_ago(-4))
    body = login(client, personas.street_a).get(reverse("investment:leads")).content.decode()
    assert "安排实地考察" in body and "旧的下一步" not in body


def test_next_steps_falling_due_are_the_clerks_to_dos(tree, personas):
    """The newest next step of an open lead due within three days (or overdue) is on
    the to-do list of those who manage the lead; not on the sibling street's."""
    due = make_lead(tree.street_a, "到期项目")
    _follow(due, SYSTEM, on=days_ago(10), next_step="回访", next_step_on=days_ago(1))
    later = make_lead(tree.street_a, "未到期项目")
    _follow(later, SYSTEM, on=days_ago(1), next_step="签约准备", next_step_on=days_ago(-20))
    replaced = make_lead(tree.street_a, "已更新项目")
    _follow(replaced, SYSTEM, on=days_ago(10), next_step="旧事项", next_step_on=days_ago(2))
    _follow(replaced, SYSTEM, on=days_ago(1), next_step="新事项", next_step_on=days_ago(-30))
    lost = make_lead(tree.street_a, "流失项目")
    _follow(lost, SYSTEM, on=days_ago(10), next_step="回访", next_step_on=days_ago(1))
    lead_mark_lost(lead=lost, reason="转投外地", acting_user=SYSTEM)
    items = list(next_steps_due(personas.street_a))
    assert [f.lead.project_name for f in items] == ["到期项目"]
    assert list(next_steps_due(personas.district)) == items
    assert not next_steps_due(personas.street_b).exists()
    kind = TODOS["investment.next_step"]
    assert kind.due(items[0]) == days_ago(1)
    assert "回访" in kind.title(items[0])
    assert kind.url(items[0]).endswith(f"#follow-up-{items[0].pk}")


def test_the_api_reads_the_log_in_scope(client, personas, tree):
    lead = make_lead(tree.street_a)
    ours = make_person(tree.street_a, "钱队长")
    _follow(lead, SYSTEM, our_people=[ours], next_step="送达政策清单", next_step_on=days_ago(-1))
    url = f"/api/v1/investment/leads/{lead.pk}/follow-ups"
    rows = client.get(url, **bearer(client, personas.street_a)).json()
    assert [(r["kind"], r["our_people"], r["next_step"]) for r in rows] == [
        ("visit", [ours.pk], "送达政策清单")
    ]
    assert client.get(url, **bearer(client, personas.street_b)).status_code == 404


def test_moving_a_lead_takes_its_follow_ups_along(tree, personas):
    """The follow-up figure is booked on the lead's organization: it moves with it."""
    lead = make_lead(tree.street_a)
    _follow(lead, SYSTEM)
    metric = METRICS["investment.follow_ups"]
    period = Period("custom", days_ago(30), days_ago(0))
    assert figures.compute(personas.district, metric, tree.street_a, period) == 1
    lead_update(lead=lead, org=tree.street_b, acting_user=SYSTEM)
    assert figures.compute(personas.district, metric, tree.street_a, period) == 0
    assert figures.compute(personas.district, metric, tree.street_b, period) == 1


# --- the intended amount is optional at first contact ---------------------------------


def test_a_lead_without_an_amount_is_recorded_and_counted(client, personas, tree):
    lead = lead_create(
        org=tree.street_a,
        enterprise="远岚生物",
        project_name="生物医药研发中心",
        sector="生物医药",
        source=Source.VISIT,
        acting_user=personas.street_a,
    )
    assert lead.amount is None
    make_lead(tree.street_a, "有金额项目", amount=50_000_000)
    body = login(client, personas.street_a).get(reverse("investment:leads")).content.decode()
    assert "生物医药研发中心" in body and "5000万元" in body
    assert 'id="follow-ups"' in client.get(lead.get_absolute_url()).content.decode()
    # Signing without an amount keeps the signed amount empty; the figures still add up.
    lead_advance(lead=lead, to_stage=LeadStage.SIGNED, on=days_ago(0), acting_user=SYSTEM)
    metric = METRICS["investment.signed_amount"]
    period = Period("custom", days_ago(10), days_ago(0))
    assert figures.compute(personas.district, metric, tree.district, period) == 0
    assert client.get(reverse("investment:leads") + "?sort=amount").status_code == 200
    # The form takes an empty amount.
    response = client.post(
        reverse("investment:lead_create"),
        {
            "enterprise": "晴川智造",
            "project_name": "智能装备项目",
            "sector": "装备制造",
            "source": "resident",
            "amount": "",
            "org": tree.street_a.pk,
            "contacted_on": days_ago(0).isoformat(),
        },
    )
    assert response.status_code == 302
    assert Lead.objects.get(project_name="智能装备项目").amount is None
    row = client.get(
        "/api/v1/investment/leads?q=智能装备", **bearer(client, personas.street_a)
    ).json()
    assert row["items"][0]["amount"] is None


def test_sorting_by_amount_puts_unknown_amounts_last(tree, personas):
    make_lead(tree.street_a, "未填金额")
    Lead.objects.filter(project_name="未填金额").update(amount=None)
    make_lead(tree.street_a, "小项目", amount=1_000_000)
    make_lead(tree.street_a, "大项目", amount=9_000_000)
    names = [lead.project_name for lead in lead_list(viewer=personas.street_a, sort="amount")]
    assert names == ["大项目", "小项目", "未填金额"]


# --- 意向→在谈→签约 --------------------------------------------------------------------


def test_the_conversion_figures_count_distinct_leads_moved_in_the_period(tree, personas):
    """Of the leads moved forward in the period (first contact or a step up), those that
    reached 洽谈 and 签约 in it; the three figures trace their stage records and the
    two parts print in brackets after the whole."""
    start, end = days_ago(100), days_ago(0)
    make_lead(tree.street_a, "接洽")  # contacted 100 days ago: in
    make_lead(tree.street_a, "洽谈", stage=LeadStage.NEGOTIATING)
    make_lead(tree.street_a, "签约", stage=LeadStage.SIGNED)
    make_lead(tree.street_a, "开工", stage=LeadStage.STARTED)  # passed 洽谈 and 签约 once
    make_lead(tree.street_b, "别处签约", stage=LeadStage.SIGNED)
    old = make_lead(tree.street_a, "早年线索", contacted_on=days_ago(400))
    Lead.objects.filter(pk=old.pk).update(stage_since=days_ago(400))
    result = funnel(lead_list(viewer=personas.street_a), start, end)
    assert (result.leads, result.negotiating, result.signed) == (4, 3, 2)
    assert (result.negotiating_rate, result.signed_rate) == ("75.0%", "50.0%")
    period = Period("custom", start, end)
    values = {
        name: figures.compute(personas.district, METRICS[name], tree.street_a, period)
        for name in (
            "investment.funnel_leads",
            "investment.funnel_negotiating",
            "investment.funnel_signed",
        )
    }
    assert values == {
        "investment.funnel_leads": 4,
        "investment.funnel_negotiating": 3,
        "investment.funnel_signed": 2,
    }
    assert (
        figures.compute(
            personas.street_b, METRICS["investment.funnel_leads"], tree.street_a, period
        )
        == 0
    )
    assert METRICS["investment.funnel_signed"].part_of == "investment.funnel_leads"
    # A move back and forward again does not count the lead twice.
    signed = Lead.objects.get(project_name="签约")
    lead_advance(
        lead=signed,
        to_stage=LeadStage.NEGOTIATING,
        on=days_ago(0),
        reason="重谈",
        acting_user=SYSTEM,
    )
    lead_advance(lead=signed, to_stage=LeadStage.SIGNED, on=days_ago(0), acting_user=SYSTEM)
    assert (
        figures.compute(
            personas.district, METRICS["investment.funnel_signed"], tree.street_a, period
        )
        == 2
    )


def test_the_lead_list_shows_the_years_conversion(client, personas, tree):
    lead = make_lead(tree.street_a, "洽谈", contacted_on=timezone.localdate())
    lead_advance(lead=lead, to_stage=LeadStage.NEGOTIATING, acting_user=SYSTEM)
    make_lead(tree.street_a, "接洽", contacted_on=timezone.localdate())
    body = login(client, personas.street_a).get(reverse("investment:leads")).content.decode()
    assert "2 → 1 → 0" in body and "50.0%" in body


# --- a signing dated on the day of its event -------------------------------------------


def _event(tree, day):
    return event_create(
        org=tree.district,
        kind=EventKind.PROMOTION,
        name="秋季推介会",
        held_on=day,
        acting_user=SYSTEM,
    )


def test_a_signing_at_an_event_is_dated_the_day_it_was_held(tree, personas):
    event = _event(tree, days_ago(5))
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    with pytest.raises(ValidationError) as refused:
        lead_advance(
            lead=lead,
            to_stage=LeadStage.SIGNED,
            on=days_ago(2),
            event=event,
            acting_user=personas.street_a,
        )
    message = str(refused.value)
    assert "秋季推介会" in message and days_ago(5).strftime("%Y年") in message
    assert f"{days_ago(5).month}月{days_ago(5).day}日" in message
    lead.refresh_from_db()
    assert lead.signed_on is None and lead.event is None
    # Without a date the signing takes the event's day.
    lead = lead_advance(
        lead=lead, to_stage=LeadStage.SIGNED, event=event, acting_user=personas.street_a
    )
    assert lead.signed_on == days_ago(5)


def test_an_event_with_signings_keeps_its_date_and_a_lead_its_event(tree, personas):
    event = _event(tree, days_ago(5))
    other = _event(tree, days_ago(8))
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    lead_advance(lead=lead, to_stage=LeadStage.SIGNED, event=event, acting_user=SYSTEM)
    with pytest.raises(ValidationError) as error:
        event_update(event=event, held_on=days_ago(4), acting_user=SYSTEM)
    assert list(error.value.message_dict) == ["held_on"]
    event_update(event=event, place="会展中心", acting_user=SYSTEM)  # other details change
    with pytest.raises(ValidationError) as error:
        lead_update(lead=lead, event=other, acting_user=SYSTEM)
    assert list(error.value.message_dict) == ["event"]
    lead.refresh_from_db()
    assert lead.event == event


def test_the_advance_form_shows_the_refusal(client, personas, tree):
    event = event_create(
        org=tree.street_a,
        kind=EventKind.FAIR,
        name="秋季推介会",
        held_on=days_ago(5),
        acting_user=SYSTEM,
    )
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    login(client, personas.street_a)
    response = client.post(
        reverse("investment:lead_advance", args=[lead.pk]),
        {"to_stage": 30, "on": days_ago(1).isoformat(), "event": event.pk},
    )
    assert response.status_code == 422
    assert "秋季推介会" in response.content.decode(), response.context["advance_form"].errors
    assert Lead.objects.get(pk=lead.pk).signed_on is None


def test_the_import_refuses_a_signing_date_off_its_event(tree):
    from taizhang.investment.services import LeadIn, lead_in_problems

    event = _event(tree, days_ago(5))
    row = LeadIn(
        org=tree.street_a,
        enterprise="e",
        project_name="p",
        sector="s",
        source=Source.OTHER,
        contacted_on=days_ago(30),
        event=event,
        stage_dates={LeadStage.SIGNED: days_ago(3)},
    )
    assert "秋季推介会" in lead_in_problems(row, today=dt.date.today())["signed_on"]
    row.stage_dates = {LeadStage.SIGNED: days_ago(5)}
    assert "signed_on" not in lead_in_problems(row, today=dt.date.today())
