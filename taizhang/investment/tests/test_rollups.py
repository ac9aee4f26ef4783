"""The monthly figures of investment attraction stay equal to the records after every
service (ADR 0044): the services report what they wrote, no model signal does it."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from taizhang.investment import services
from taizhang.investment.models import LeadStage
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _total(metric: str, org) -> int:
    """The stored figure of ``metric`` for ``org``'s subtree, over all months."""
    value = MonthlyFigure.objects.filter(metric=metric, org=org).aggregate(v=Sum("value"))["v"]
    return int(value or 0)


def test_figures_follow_every_service(tree, personas):
    clerk = personas.street_a
    make_lead(tree.street_a, "刷新前已有", stage=LeadStage.SIGNED)
    rollups.refresh_all()
    assert rollups.check() == []
    leads = _total("investment.leads", tree.district)
    signings = _total("investment.signings", tree.district)

    lead = services.lead_create(
        org=tree.community_a,
        enterprise="临溪新能源有限公司",
        project_name="临溪储能",
        sector="新能源",
        source="resident",
        amount=800_000_000,
        contacted_on=days_ago(40),
        acting_user=clerk,
    )
    assert _total("investment.leads", tree.district) == leads + 1
    services.lead_update(lead=lead, amount=900_000_000, acting_user=clerk)
    services.lead_advance(
        lead=lead,
        to_stage=LeadStage.SIGNED,
        on=days_ago(30),
        signed_amount=850_000_000,
        acting_user=clerk,
    )
    assert _total("investment.signings", tree.district) == signings + 1
    services.lead_advance(lead=lead, to_stage=LeadStage.LANDED, on=days_ago(20), acting_user=clerk)
    assert _total("investment.landed", tree.district) == 1
    assert rollups.check() == []

    # Back below signing undoes the signing; forward again signs anew.
    services.lead_advance(
        lead=lead, to_stage=LeadStage.NEGOTIATING, reason="合同重签", acting_user=clerk
    )
    assert _total("investment.signings", tree.district) == signings
    services.lead_advance(lead=lead, to_stage=LeadStage.LANDED, acting_user=clerk)
    assert rollups.check() == []

    # A move to another subdistrict takes the lead's landing with it.
    services.lead_update(lead=lead, org=tree.street_b, acting_user=personas.district)
    assert _total("investment.landed", tree.street_a) == 0
    assert _total("investment.landed", tree.street_b) == 2
    services.lead_convert_to_project(
        lead=lead, category="industry", lead_unit=tree.street_b, acting_user=personas.district
    )
    assert _total("projects.count", tree.street_b) == 1
    other = make_lead(tree.street_a, "将流失")
    services.lead_mark_lost(lead=other, reason="外迁", acting_user=clerk)
    services.subsidy_create(
        org=tree.street_a,
        policy=subsidy_policy("稳岗补贴"),
        enterprise="临溪制造",
        amount=120_000,
        paid_on=days_ago(2),
        acting_user=clerk,
    )
    assert _total("investment.subsidy_amount", tree.district) == 120_000
    assert _total("investment.subsidy_enterprises", tree.district) == 1
    assert rollups.check() == []


def test_figures_follow_the_import_services(tree, personas):
    """Bulk imports, the updates an edited file makes, and their undo keep the stored
    figures equal to the records."""
    clerk = personas.street_a
    rollups.refresh_all()
    lead_in = services.LeadIn(
        org=tree.street_a,
        enterprise="导入企业",
        project_name="导入项目",
        sector="新能源",
        source="resident",
        contacted_on=days_ago(90),
        amount=100_000_000,
        stage_dates={LeadStage.SIGNED: days_ago(60), LeadStage.LANDED: days_ago(30)},
        late_reason="导入",
    )
    leads = services.lead_import(rows=[lead_in], source="线索.xlsx", acting_user=clerk)
    assert _total("investment.signings", tree.district) == 1
    assert _total("investment.signed_amount", tree.district) == 100_000_000
    assert _total("investment.landed", tree.district) == 1
    policy = subsidy_policy("稳岗补贴")
    paid = services.subsidy_import(
        rows=[
            services.SubsidyIn(tree.street_a, policy, "甲", 50_000, days_ago(40)),
            services.SubsidyIn(tree.community_a, policy, "乙", 70_000, days_ago(3)),
        ],
        source="兑现.xlsx",
        acting_user=clerk,
    )
    assert _total("investment.subsidy_amount", tree.district) == 120_000
    services.subsidy_update(subsidy=paid[0], amount=60_000, paid_on=days_ago(1), acting_user=clerk)
    assert _total("investment.subsidy_amount", tree.district) == 130_000
    assert rollups.check() == []
    services.subsidy_import_undo(ids=[s.pk for s in paid], source="兑现.xlsx", acting_user=clerk)
    services.lead_import_undo(ids=[leads[0].pk], source="线索.xlsx", acting_user=clerk)
    assert _total("investment.subsidy_amount", tree.district) == 0
    assert _total("investment.landed", tree.district) == 0
    assert rollups.check() == []
