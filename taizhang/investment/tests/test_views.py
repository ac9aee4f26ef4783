"""Pages of investment attraction: scope, permissions, forms and computed headlines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import EventKind, Lead, LeadStage
from taizhang.investment.services import (
    competition_create,
    event_create,
    lead_advance,
    subsidy_create,
    team_create,
)
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy
from taizhang.projects.models import Project
from taizhang.projects.tests.factories import make_leader_user
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_lead_list_is_scoped(client, personas, tree):
    """A's clerk sees A's leads only."""
    make_lead(tree.street_a, "临溪储能")
    make_lead(tree.street_b, "望澜芯片")
    body = login(client, personas.street_a).get(reverse("investment:leads")).content.decode()
    assert "临溪储能" in body
    assert "望澜芯片" not in body


def test_lead_list_query_count(client, personas, tree, django_assert_max_num_queries):
    """The lead list page with 30 leads runs a bounded number of queries."""
    for i in range(30):
        make_lead(tree.street_a, f"线索{i}")
    login(client, personas.district)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("investment:leads")).status_code == 200


def test_lead_detail_out_of_scope_is_404(client, personas, tree):
    """B's clerk gets 404 for A's lead and for a missing one."""
    lead = make_lead(tree.street_a)
    login(client, personas.street_b)
    assert client.get(reverse("investment:lead_detail", args=[lead.pk])).status_code == 404
    assert client.get(reverse("investment:lead_detail", args=[999_999])).status_code == 404


def test_nobody_is_refused(client, personas):
    """Without investment.view every page is a 403."""
    login(client, personas.nobody)
    for name in ("leads", "events", "competitions", "subsidies"):
        assert client.get(reverse(f"investment:{name}")).status_code == 403


def test_create_lead_through_the_form(client, personas, tree):
    """The form takes 万元 and stores integer yuan."""
    login(client, personas.street_a)
    response = client.post(
        reverse("investment:lead_create"),
        {
            "enterprise": "临溪新材",
            "project_name": "特种薄膜项目",
            "sector": "新材料",
            "source": "resident",
            "amount": "34000",
            "org": tree.street_a.pk,
            "contacted_on": days_ago(1).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert Lead.objects.get(project_name="特种薄膜项目").amount == 340_000_000


def test_advance_and_convert_through_the_pages(client, personas, tree):
    """Signing with an amount, then landing, then one step to a key project."""
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    login(client, personas.street_a)
    url = reverse("investment:lead_advance", args=[lead.pk])
    response = client.post(
        url, {"to_stage": 30, "on": days_ago(3).isoformat(), "signed_amount": "97000"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.signed_amount == 970_000_000
    client.post(url, {"to_stage": 40, "on": days_ago(1).isoformat()})
    response = client.post(
        reverse("investment:lead_convert", args=[lead.pk]),
        {"category": "industry", "lead_unit": tree.street_a.pk},
    )
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'id="source-lead"' in page  # the investment slot on the project page


def test_move_back_without_reason_is_422(client, personas, tree):
    """Moving back without a reason re-renders with the error."""
    lead = make_lead(tree.street_a, stage=LeadStage.SIGNED)
    login(client, personas.street_a)
    response = client.post(
        reverse("investment:lead_advance", args=[lead.pk]),
        {"to_stage": 20, "on": days_ago(0).isoformat()},
    )
    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.stage == LeadStage.SIGNED


def test_leader_reads_but_cannot_write(client, tree):
    """The leader role views leads; posting a move is a 403."""
    leader = make_leader_user(tree)
    lead = make_lead(tree.street_a)
    login(client, leader)
    assert client.get(reverse("investment:lead_detail", args=[lead.pk])).status_code == 200
    response = client.post(reverse("investment:lead_advance", args=[lead.pk]), {"to_stage": 20})
    assert response.status_code == 403
    assert client.post(reverse("investment:subsidies"), {"policy": "x"}).status_code == 403


def test_event_headline_is_computed(client, personas, tree):
    """The events page states the signings and their total, computed from the leads."""
    event = event_create(
        org=tree.district,
        kind=EventKind.PROMOTION,
        name="推介会",
        held_on=days_ago(3),
        acting_user=SYSTEM,
    )
    for amount in (21_000_000_000, 21_000_000_000):
        lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
        lead_advance(
            lead=lead,
            to_stage=LeadStage.SIGNED,
            on=days_ago(3),
            signed_amount=amount,
            event=event,
            acting_user=SYSTEM,
        )
    login(client, personas.district)
    body = client.get(reverse("investment:events"), {"year": days_ago(3).year}).content.decode()
    assert "420亿元" in body
    detail = client.get(reverse("investment:event_detail", args=[event.pk])).content.decode()
    assert "420亿元" in detail


def test_scoreboard_page(client, personas, tree):
    """The competitions page opens the latest competition's scoreboard."""
    competition = competition_create(
        org=tree.district,
        name="驻点招商竞赛",
        starts_on=days_ago(300),
        ends_on=days_ago(-30),
        acting_user=SYSTEM,
    )
    team_create(competition=competition, name="驻深圳招商组", acting_user=SYSTEM)
    login(client, personas.district)
    response = client.get(reverse("investment:competitions"), follow=True)
    assert response.status_code == 200
    assert "驻深圳招商组" in response.content.decode()


def test_subsidy_page_and_form(client, personas, tree):
    """The subsidy page sums the payments; the form records one in 万元."""
    subsidy_create(
        org=tree.street_a,
        policy=subsidy_policy("技改补助"),
        enterprise="甲公司",
        amount=84_000_000,
        paid_on=days_ago(1),
        acting_user=SYSTEM,
    )
    login(client, personas.street_a)
    url = reverse("investment:subsidies")
    assert "8400万元" in client.get(url, {"year": days_ago(1).year}).content.decode()
    response = client.post(
        url,
        {
            "policy": subsidy_policy("稳岗补贴").pk,
            "enterprise": "乙公司",
            "amount": "8.5",
            "paid_on": days_ago(1).isoformat(),
            "org": tree.street_a.pk,
        },
    )
    assert response.status_code == 302


def test_set_up_competition_and_team_through_the_pages(client, personas, tree):
    """The district clerk sets up a competition, then adds a team on its scoreboard page."""
    from taizhang.investment.models import Competition

    login(client, personas.district)
    response = client.post(
        reverse("investment:competitions"),
        {
            "name": "驻点招商竞赛",
            "org": tree.district.pk,
            "starts_on": days_ago(5).isoformat(),
            "ends_on": days_ago(-300).isoformat(),
            "min_cases": 3,
            "points_contact": 1,
            "points_negotiating": 2,
            "points_signed": 6,
            "points_landed": 8,
            "points_started": 10,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    competition = Competition.objects.get()
    assert competition.points_signed == 6
    url = reverse("investment:competition_detail", args=[competition.pk])
    assert client.post(url, {"name": "驻上海招商组", "base": "上海"}).status_code == 302
    assert "驻上海招商组" in client.get(url).content.decode()
    client.logout()
    login(client, personas.street_b)
    assert client.get(url).status_code == 404


def test_edit_lead_through_the_form(client, personas, tree):
    """The edit page shows the amount in 万元 and saves the change through the service."""
    lead = make_lead(tree.street_a, "临溪储能")
    login(client, personas.street_a)
    url = reverse("investment:lead_edit", args=[lead.pk])
    assert 'value="97000"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "enterprise": lead.enterprise,
            "project_name": "临溪储能二期",
            "sector": lead.sector,
            "source": lead.source,
            "amount": "120000",
            "org": tree.street_a.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    lead.refresh_from_db()
    assert (lead.project_name, lead.amount) == ("临溪储能二期", 1_200_000_000)


def test_a_clerk_enters_a_past_signing_as_a_late_entry(client, personas, tree):
    """Ticking 补录 with a reason keeps the real date, stores the reason on the move,
    audits both dates and shows 补录 on the lead's page; without a reason, or for a step
    of today, the form answers 422 and nothing moves."""
    from taizhang.core.models import AuditEvent

    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    login(client, personas.street_a)
    url = reverse("investment:lead_advance", args=[lead.pk])
    refused = client.post(url, {"to_stage": 30, "on": days_ago(20).isoformat(), "late": "on"})
    assert refused.status_code == 422
    today = client.post(
        url,
        {"to_stage": 30, "on": days_ago(0).isoformat(), "late": "on", "late_reason": "补"},
    )
    assert today.status_code == 422
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEGOTIATING
    response = client.post(
        url,
        {
            "to_stage": 30,
            "on": days_ago(20).isoformat(),
            "late": "on",
            "late_reason": "上月签约，台账后补",
        },
    )
    assert response.status_code == 302
    move = lead.changes.get(to_stage=LeadStage.SIGNED)
    assert (move.changed_on, move.late_reason) == (days_ago(20), "上月签约，台账后补")
    event = AuditEvent.objects.filter(action="lead.advance", object_id=str(lead.pk)).last()
    assert event.changes["late_entry"] == {
        "occurred_on": days_ago(20).isoformat(),
        "reason": "上月签约，台账后补",
    }
    page = client.get(lead.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'class="tag" title="上月签约，台账后补">补录</span>' in page


def test_a_past_step_without_the_late_box_is_not_marked(client, personas, tree):
    """A past date typed without ticking 补录 is recorded as before, with no mark."""
    lead = make_lead(tree.street_a)
    login(client, personas.street_a)
    client.post(
        reverse("investment:lead_advance", args=[lead.pk]),
        {"to_stage": 20, "on": days_ago(2).isoformat(), "late_reason": "未勾选"},
    )
    assert lead.changes.get(to_stage=LeadStage.NEGOTIATING).late_reason == ""


def test_a_loss_and_a_first_contact_may_be_entered_late(client, personas, tree):
    login(client, personas.street_a)
    response = client.post(
        reverse("investment:lead_create"),
        {
            "enterprise": "补录企业",
            "project_name": "补录项目",
            "sector": "制造",
            "source": "visit",
            "amount": "100",
            "org": tree.street_a.pk,
            "contacted_on": days_ago(60).isoformat(),
            "late": "on",
            "late_reason": "年初接洽未登记",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(project_name="补录项目")
    assert lead.changes.get().late_reason == "年初接洽未登记"
    client.post(
        reverse("investment:lead_lost", args=[lead.pk]),
        {"reason": "外迁", "on": days_ago(10).isoformat(), "late": "on", "late_reason": "补记"},
    )
    lead.refresh_from_db()
    assert (lead.is_lost, lead.lost_on, lead.lost_late_reason) == (True, days_ago(10), "补记")
