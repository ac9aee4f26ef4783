"""Reads for investment attraction follow the viewer's scope; figures are computed."""

from __future__ import annotations

import pytest
from django.http import Http404

from taizhang.core.actors import SYSTEM
from taizhang.investment.models import EventKind, LeadStage
from taizhang.investment.selectors import (
    event_list,
    get_event_for_viewer,
    get_lead_for_viewer,
    lead_list,
    lead_totals,
    scoreboard,
    subsidy_list,
    subsidy_summary,
)
from taizhang.investment.services import (
    competition_create,
    event_create,
    lead_advance,
    subsidy_create,
    team_create,
)
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(tree):
    return {
        "a": make_lead(tree.street_a, "临溪储能", stage=LeadStage.SIGNED),
        "a1": make_lead(tree.community_a, "社区物流"),
        "b": make_lead(tree.street_b, "望澜芯片", stage=LeadStage.SIGNED),
    }


def _names(qs):
    return sorted(lead.project_name for lead in qs)


def test_district_sees_all_leads(personas, leads):
    """The district clerk sees every lead."""
    assert _names(lead_list(viewer=personas.district)) == ["临溪储能", "望澜芯片", "社区物流"]


def test_street_a_sees_her_subdistrict(personas, leads):
    """A's clerk sees A's leads and those of her communities."""
    assert _names(lead_list(viewer=personas.street_a)) == ["临溪储能", "社区物流"]


def test_street_b_gets_404_and_no_counts_from_a(personas, leads):
    """B's clerk: A's lead is a 404; A's rows are absent from the list and the totals."""
    with pytest.raises(Http404):
        get_lead_for_viewer(personas.street_b, leads["a"].pk)
    totals = lead_totals(lead_list(viewer=personas.street_b))
    assert totals["count"] == 1
    assert totals["signed"] == 1
    assert totals["signed_amount"] == leads["b"].signed_amount


def test_event_signings_are_computed_within_scope(tree, personas):
    """An event's signings are counted from its signed leads, only those the viewer sees."""
    event = event_create(
        org=tree.district,
        kind=EventKind.FAIR,
        name="投洽会",
        held_on=days_ago(5),
        acting_user=SYSTEM,
    )
    for org, amount in ((tree.street_a, 300_000_000), (tree.street_b, 120_000_000)):
        lead = make_lead(org, stage=LeadStage.NEGOTIATING)
        lead_advance(
            lead=lead,
            to_stage=LeadStage.SIGNED,
            on=days_ago(5),
            signed_amount=amount,
            event=event,
            acting_user=SYSTEM,
        )
    make_lead(tree.street_a, stage=LeadStage.NEGOTIATING, event=event)  # present, not signed
    row = get_event_for_viewer(personas.district, event.pk)
    assert (row.signings, row.signed_amount) == (2, 420_000_000)
    assert list(event_list(viewer=personas.street_a)) == []  # the event is the district's


def test_scoreboard_needs_the_minimum_cases(tree):
    """One lucky signing does not top the table: teams below min_cases are unranked."""
    competition = competition_create(
        org=tree.district,
        name="竞赛",
        starts_on=days_ago(300),
        ends_on=days_ago(-30),
        min_cases=3,
        acting_user=SYSTEM,
    )
    lucky = team_create(competition=competition, name="幸运组", acting_user=SYSTEM)
    steady = team_create(competition=competition, name="稳健组", acting_user=SYSTEM)
    make_lead(tree.street_a, "大单", stage=LeadStage.STARTED, team=lucky, amount=9_000_000_000)
    for i in range(3):
        make_lead(tree.street_a, f"小单{i}", stage=LeadStage.NEGOTIATING, team=steady)
    ranked, unranked = scoreboard(competition)
    assert [s.team.name for s in ranked] == ["稳健组"]
    assert ranked[0].rank == 1
    assert ranked[0].points == 3 * (1 + 2)
    assert ranked[0].cases == 3
    assert [s.team.name for s in unranked] == ["幸运组"]
    assert unranked[0].points == 1 + 2 + 5 + 8 + 10
    assert unranked[0].signings == 1


def test_scoreboard_counts_only_the_period(tree):
    """Stages reached before the period score nothing."""
    competition = competition_create(
        org=tree.district,
        name="下半年竞赛",
        starts_on=days_ago(50),
        ends_on=days_ago(-30),
        min_cases=1,
        acting_user=SYSTEM,
    )
    team = team_create(competition=competition, name="组", acting_user=SYSTEM)
    make_lead(tree.street_a, stage=LeadStage.SIGNED, team=team)  # all before the period
    ranked, unranked = scoreboard(competition)
    assert ranked == []
    assert unranked[0].points == 0


def test_subsidy_summary_counts_enterprise_times(tree, personas):
    """兑现扶持资金 and 惠及企业(家次): payments count per time, enterprises also distinct."""
    for enterprise, amount in (("甲公司", 500_000), ("甲公司", 300_000), ("乙公司", 200_000)):
        subsidy_create(
            org=tree.street_a,
            policy=subsidy_policy("技改补助"),
            enterprise=enterprise,
            amount=amount,
            paid_on=days_ago(2),
            acting_user=SYSTEM,
        )
    subsidy_create(
        org=tree.street_b,
        policy=subsidy_policy("技改补助"),
        enterprise="丙公司",
        amount=9_000_000,
        paid_on=days_ago(2),
        acting_user=SYSTEM,
    )
    summary = subsidy_summary(subsidy_list(viewer=personas.street_a))
    assert summary == {"amount": 1_000_000, "payments": 3, "enterprises": 2}
    assert subsidy_summary(subsidy_list(viewer=personas.district))["payments"] == 4


def test_lead_list_query_count(tree, personas, django_assert_max_num_queries):
    """Listing 15 leads with org, team and event: the grants and one query, not one per row."""
    for i in range(15):
        make_lead(tree.street_a, f"线索{i}")
    with django_assert_max_num_queries(3):
        rows = list(lead_list(viewer=personas.district))
        _ = [(r.org.name, r.team, r.event, r.project) for r in rows]
