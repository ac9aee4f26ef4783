"""A district clerk signs a lead at a promotion event, lands it and makes it a key project."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import EventKind, Lead, LeadStage
from taizhang.investment.services import event_create
from taizhang.investment.tests.factories import make_lead
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_investment_clerk_lands_lead_as_project(page, live_server):
    """Signing shows up in the event's computed figure; the landed lead becomes a project."""
    tree = make_tree()
    personas = make_personas(tree)
    today = timezone.localdate()
    event = event_create(
        org=tree.district,
        kind=EventKind.PROMOTION,
        name="重点产业招商推介会",
        held_on=today - dt.timedelta(days=2),
        acting_user=SYSTEM,
    )
    lead = make_lead(
        tree.street_a, "澜湾储能电池生产基地", stage=LeadStage.NEGOTIATING, amount=500_000_000
    )

    log_in(page, live_server.url, personas.district.username, PASSWORD)
    page.click("nav.mainnav >> text=招商引资")
    page.click("#leads >> text=澜湾储能电池生产基地")
    page.wait_for_url(f"{live_server.url}/investment/leads/{lead.pk}/")

    # Sign at the event for 4.2亿元 (typed in 万元).
    page.select_option("#advance select[name=to_stage]", str(LeadStage.SIGNED))
    page.fill("#advance input[name=on]", (today - dt.timedelta(days=2)).isoformat())
    page.fill("#advance input[name=signed_amount]", "42000")
    page.select_option("#advance select[name=event]", str(event.pk))
    page.click("#advance button[type=submit]")
    page.wait_for_selector("text=线索阶段已变更")

    # Land it today, then make it a key project in one step.
    page.select_option("#advance select[name=to_stage]", str(LeadStage.LANDED))
    page.fill("#advance input[name=on]", today.isoformat())
    page.click("#advance button[type=submit]")
    page.wait_for_selector("#convert")
    page.select_option("#convert select[name=category]", "industry")
    page.select_option("#convert select[name=lead_unit]", str(tree.street_a.pk))
    page.click("#convert button[type=submit]")
    page.wait_for_selector("text=线索已转为重点项目")

    project = Lead.objects.get(pk=lead.pk).project
    assert project is not None
    assert page.url == f"{live_server.url}/projects/{project.pk}/"
    assert "4.2亿元" in page.locator(".summary").inner_text()
    assert page.locator("#source-lead").is_visible()

    page.goto(f"{live_server.url}/investment/events/?year={event.held_on.year}")
    headline = page.locator("#events-headline").inner_text()
    assert "签约项目1个" in headline
    assert "4.2亿元" in headline
