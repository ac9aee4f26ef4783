"""Investment exports: the list's filters and the viewer's scope, the shared layout
(title row, header in row 2, 合计 of money), an audit event, bounded queries."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.investment.models import EventKind, LeadStage
from taizhang.investment.services import event_create, lead_advance, subsidy_create
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy

pytestmark = pytest.mark.django_db


def _sheet(response):
    assert response.status_code == 200, response.content[:200]
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def _column(sheet, header: str) -> list:
    headers = [c.value for c in sheet[2]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=3, values_only=True)]


def _get(client, user, path: str):
    client.force_login(user)
    return client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_lead_export_follows_the_list_filters_and_the_scope(client, personas, tree):
    """A's clerk gets A's leads only, narrowed by the stage filter as the list is; the
    title names the organization and the file is audited with its row count."""
    make_lead(tree.street_a, "接洽线索")
    make_lead(tree.community_a, "签约线索", stage=LeadStage.SIGNED)
    make_lead(tree.street_b, "别处线索", stage=LeadStage.SIGNED)
    sheet = _sheet(_get(client, personas.street_a, "/investment/export/"))
    assert "A" in sheet["A1"].value
    assert _column(sheet, "项目名称")[:-1] == ["签约线索", "接洽线索"]
    assert _column(sheet, "编号")[-1] == "合计"
    assert _column(sheet, "意向投资额（万元）")[-1] == 2 * 97000
    sheet = _sheet(_get(client, personas.street_a, "/investment/export/?stage=30"))
    assert _column(sheet, "项目名称")[:-1] == ["签约线索"]
    assert _column(sheet, "当前阶段")[0] == "签约"
    event = AuditEvent.objects.filter(action="investment.export").last()
    assert event.changes == {"rows": 1, "filters": {"stage": "30"}}


def test_the_lead_export_has_a_chinese_file_name(client, personas, tree):
    make_lead(tree.street_a)
    response = _get(client, personas.street_a, "/investment/export/")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert "investment-leads-" in response["Content-Disposition"]


def test_a_viewer_without_investment_gets_no_export(client, personas):
    assert _get(client, personas.nobody, "/investment/export/").status_code == 403
    assert _get(client, personas.nobody, "/investment/subsidies/export/").status_code == 403


def test_the_lead_export_query_count_does_not_grow_with_rows(client, personas, tree):
    """Three leads or nine (with teams, events and stage moves): the same queries."""

    client.force_login(personas.district)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/investment/export/", HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert response.status_code == 200
        return len(queries)

    event = event_create(
        org=tree.street_a,
        kind=EventKind.FAIR,
        name="投洽会",
        held_on=days_ago(60),
        acting_user=SYSTEM,
    )

    def leads(n: int) -> None:
        for i in range(n):
            lead = make_lead(tree.street_a, f"线索{n}-{i}", stage=LeadStage.NEGOTIATING)
            lead_advance(lead=lead, to_stage=LeadStage.SIGNED, event=event, acting_user=SYSTEM)

    leads(3)
    few = count()
    leads(6)
    assert count() == few


def test_the_event_export_counts_signings_from_the_leads(client, personas, tree):
    """Events of the chosen year with their signings and signed money, summed."""
    event = event_create(
        org=tree.street_a,
        kind=EventKind.PROMOTION,
        name="深圳推介会",
        held_on=days_ago(20),
        acting_user=SYSTEM,
    )
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    lead_advance(
        lead=lead,
        to_stage=LeadStage.SIGNED,
        signed_amount=250_000_000,
        event=event,
        acting_user=SYSTEM,
    )
    year = days_ago(20).year
    sheet = _sheet(_get(client, personas.street_a, f"/investment/events/export/?year={year}"))
    assert _column(sheet, "活动名称")[0] == "深圳推介会"
    assert _column(sheet, "签约项目数") == [1, 1]
    assert _column(sheet, "签约投资额（万元）") == [25000, 25000]
    sheet = _sheet(_get(client, personas.street_a, f"/investment/events/export/?year={year - 1}"))
    assert _column(sheet, "签约项目数") == [0]  # the 合计 row alone


def test_the_subsidy_export_follows_the_organization_filter_and_its_scope(client, personas, tree):
    """Payments of the chosen organization in 万元 with a 合计; another street's
    organization is the list's 404."""
    policy = subsidy_policy("稳岗补贴")
    for org, amount in ((tree.street_a, 125_000), (tree.community_a, 10_000), (tree.street_b, 1)):
        subsidy_create(
            org=org,
            policy=policy,
            enterprise=f"{org.code}企业",
            amount=amount,
            paid_on=days_ago(2),
            acting_user=SYSTEM,
        )
    year = days_ago(2).year
    sheet = _sheet(_get(client, personas.street_a, f"/investment/subsidies/export/?year={year}"))
    assert _column(sheet, "兑现金额（万元）") == [12.5, 1, 13.5]
    path = f"/investment/subsidies/export/?year={year}&org={tree.street_a.pk}&q=A1"
    sheet = _sheet(_get(client, personas.street_a, path))
    assert _column(sheet, "企业名称")[:-1] == ["A1企业"]
    sheet = _sheet(_get(client, personas.district, f"/investment/subsidies/export/?year={year}"))
    assert _column(sheet, "企业名称")[:-1] == ["A企业", "A1企业", "B企业"]
    path = f"/investment/subsidies/export/?year={year}&org={tree.street_b.pk}"
    assert _get(client, personas.street_a, path).status_code == 404


def test_the_list_pages_offer_export_with_their_filters_and_import_to_managers(
    client, personas, tree
):
    body = _get(client, personas.street_a, "/investment/?stage=30").content.decode()
    assert "/investment/export/?stage=30" in body
    assert "/ingest/investment.lead/" in body
    body = _get(client, personas.street_a, "/investment/subsidies/?year=2025").content.decode()
    assert "/investment/subsidies/export/?year=2025" in body
    assert "/ingest/investment.subsidy/" in body
    body = _get(client, personas.street_a, "/investment/events/").content.decode()
    assert "/ingest/investment.event/" in body


def test_the_scoreboard_exports_ranked_teams_with_their_points(client, personas, tree):
    """The competition's teams in the page's order with points and signed money summed;
    another street's competition is a 404."""
    from taizhang.investment.services import competition_create, team_create

    competition = competition_create(
        org=tree.street_a,
        name="驻点竞赛",
        starts_on=days_ago(200),
        ends_on=days_ago(0),
        min_cases=1,
        acting_user=SYSTEM,
    )
    first = team_create(competition=competition, name="一组", base="深圳", acting_user=SYSTEM)
    team_create(competition=competition, name="二组", acting_user=SYSTEM)
    make_lead(tree.street_a, "签约线索", stage=LeadStage.SIGNED, team=first)
    path = f"/investment/competitions/export/?competition={competition.pk}"
    sheet = _sheet(_get(client, personas.street_a, path))
    assert "驻点竞赛" in sheet["A1"].value
    assert _column(sheet, "招商小组")[:-1] == ["一组", "二组"]
    assert _column(sheet, "积分") == [8, 0, 8]
    assert _column(sheet, "签约投资额（万元）") == [97000, 0, 97000]
    assert _get(client, personas.street_b, path).status_code == 404
    page = _get(client, personas.street_a, f"/investment/competitions/{competition.pk}/")
    assert path in page.content.decode()
