"""Reads are scoped: district sees all, A sees A, B nothing of A; coverage is distinct."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taizhang.activities import services
from taizhang.activities.models import Activity, Attendance, AttendanceMode
from taizhang.activities.selectors import (
    activity_figures,
    activity_list,
    campaign_list,
    campaign_progress,
    get_activity_for_viewer,
    get_campaign_for_viewer,
    member_coverage,
    volunteer_figures,
    volunteer_service_list,
)
from taizhang.activities.tests.factories import (
    DAY,
    kind,
    make_activity,
    make_campaign,
    make_person,
    venue,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def records(tree):
    a_member = make_person(tree.community_a, "甲")
    b_member = make_person(tree.community_b, "乙")
    return {
        "a": make_activity(tree.community_a, attendees=[a_member], title="A的学习"),
        "b": make_activity(tree.community_b, attendees=[b_member], title="B的学习"),
        "a_member": a_member,
    }


def test_district_sees_all(personas, records):
    assert activity_list(viewer=personas.district).count() == 2


def test_street_a_sees_her_subdistrict(personas, records):
    assert [a.title for a in activity_list(viewer=personas.street_a)] == ["A的学习"]


def test_street_b_gets_404_on_a_and_no_a_rows(personas, records):
    """B's list and figures hold nothing of A; A's detail is the same 404 as a missing id."""
    titles = [a.title for a in activity_list(viewer=personas.street_b)]
    assert titles == ["B的学习"]
    for pk in (records["a"].pk, 999_999, "x"):
        with pytest.raises(Http404):
            get_activity_for_viewer(personas.street_b, pk)
    figures = activity_figures(viewer=personas.street_b, org=None, start=YEAR[0], end=YEAR[1])
    assert figures.total == 1 and figures.members_reached == 1


def test_filters_only_narrow(tree, personas, records):
    """Asking B for A's subtree yields nothing, not A's rows."""
    assert activity_list(viewer=personas.street_b, subtree_of=tree.street_a).count() == 0
    assert (
        member_coverage(viewer=personas.street_b, org=tree.street_a, start=YEAR[0], end=YEAR[1])
        == 0
    )


def test_nobody_sees_nothing(personas, records):
    assert activity_list(viewer=personas.nobody).count() == 0


def test_coverage_counts_distinct_members_not_headcounts(tree, personas):
    """Same member twice counts once; non-members and headcounts add nothing."""
    member = make_person(tree.community_a, "党员")
    other = make_person(tree.grid_a, "网格党员")
    resident = make_person(tree.community_a, "群众", member=False)
    make_activity(tree.community_a, attendees=[member, resident])
    make_activity(tree.grid_a, attendees=[member, other])
    make_activity(tree.community_a, headcount=300)
    make_activity(tree.community_a, attendees=[member], held_on=dt.date(2025, 12, 31))
    got = member_coverage(viewer=personas.district, org=tree.street_a, start=YEAR[0], end=YEAR[1])
    assert got == 2
    assert (
        member_coverage(viewer=personas.district, org=tree.grid_a, start=YEAR[0], end=YEAR[1]) == 2
    )


def test_coverage_is_one_query(tree, personas, django_assert_num_queries):
    member = make_person(tree.community_a, "党员")
    make_activity(tree.community_a, attendees=[member])
    personas.district.has_function("activities.view")  # warm the grant cache
    with django_assert_num_queries(1):
        member_coverage(viewer=personas.district, org=tree.district, start=YEAR[0], end=YEAR[1])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(
        st.tuples(
            st.integers(0, 5),  # org index
            st.integers(0, 40),  # day offset from 2026-06-01
            st.booleans(),  # list (True) or headcount
            st.lists(st.integers(0, 7), max_size=6),  # attendee indexes
        ),
        max_size=10,
    ),
    window=st.tuples(st.integers(0, 40), st.integers(0, 40)),
    root=st.integers(0, 5),
)
def test_coverage_matches_brute_force(tree, personas, plan, window, root):
    """On random activities, coverage equals the distinct members computed in Python."""
    from django.db import transaction

    orgs = [
        tree.district,
        tree.street_a,
        tree.community_a,
        tree.grid_a,
        tree.street_b,
        tree.community_b,
    ]
    base = dt.date(2026, 6, 1)
    with transaction.atomic():
        sid = transaction.savepoint()
        people = [make_person(orgs[i % len(orgs)], f"人{i}", member=i % 4 != 3) for i in range(8)]
        for org_i, offset, listed, picks in plan:
            attendees = [people[i] for i in picks] if listed else None
            make_activity(
                orgs[org_i],
                attendees=attendees,
                headcount=0 if listed else 17,
                held_on=base + dt.timedelta(days=offset),
            )
        start = base + dt.timedelta(days=min(window))
        end = base + dt.timedelta(days=max(window))
        target = orgs[root]
        for viewer in (personas.district, personas.street_a):
            visible = {
                o.pk
                for o in orgs
                if o.path.startswith(
                    tree.district.path if viewer is personas.district else tree.street_a.path
                )
            }
            expected = {
                row.person_id
                for row in Attendance.objects.select_related("activity__org", "person")
                if row.activity.attendance_mode == AttendanceMode.LIST
                and start <= row.activity.held_on <= end
                and row.activity.org.path.startswith(target.path)
                and row.activity.org_id in visible
                and hasattr(row.person, "membership")
            }
            got = member_coverage(viewer=viewer, org=target, start=start, end=end)
            assert got == len(expected)
        transaction.savepoint_rollback(sid)


def test_campaign_progress_per_team_and_venue(tree, personas):
    """Progress counts the campaign's activities against target, per team and venue."""
    campaign = make_campaign(tree.district, target=10)
    one = services.campaign_team_create(
        campaign=campaign, name="一队", org=tree.street_a, quota=4, acting_user=SYSTEM
    )
    two = services.campaign_team_create(
        campaign=campaign, name="二队", org=tree.street_b, quota=4, acting_user=SYSTEM
    )
    for team, place in ((one, "enterprise"), (one, "enterprise"), (two, "online"), (two, "campus")):
        make_activity(
            team.org,
            headcount=50,
            team=team,
            venue_category=venue(place),
            kind=kind("outreach_talk"),
        )
    make_activity(tree.district, headcount=10, campaign=campaign, venue_category=venue("community"))
    progress = campaign_progress(campaign)
    assert (progress.total.done, progress.total.target) == (5, 10)
    assert [(p.label, p.done, p.percent) for p in progress.teams] == [
        ("一队", 2, 50),
        ("二队", 2, 50),
    ]
    per_venue = {p.label: p.done for p in progress.venue_categories}
    assert per_venue == {"企业": 2, "社区": 1, "网络": 1}
    assert progress.unassigned == 1 and progress.outside_categories == 1
    # One entry for 先后3次宣讲 counts its three sessions toward the target (场).
    make_activity(
        two.org,
        headcount=90,
        team=two,
        venue_category=venue("online"),
        sessions=3,
        kind=kind("outreach_talk"),
    )
    progress = campaign_progress(campaign)
    assert progress.total.done == 8
    assert [(p.label, p.done) for p in progress.teams] == [("一队", 2), ("二队", 5)]
    assert {p.label: p.done for p in progress.venue_categories}["网络"] == 4


def test_campaigns_scoped(tree, personas):
    district_campaign = make_campaign(tree.district)
    local = make_campaign(tree.street_a, title="街道宣讲")
    assert list(campaign_list(viewer=personas.street_a)) == [local]
    assert campaign_list(viewer=personas.district).count() == 2
    with pytest.raises(Http404):
        get_campaign_for_viewer(personas.street_b, local.pk)
    with pytest.raises(Http404):
        get_campaign_for_viewer(personas.street_a, district_campaign.pk)


def test_volunteer_figures_scoped(tree, personas):
    a = make_person(tree.community_a, "甲")
    for org, person in ((tree.community_a, a), (tree.community_a, a), (tree.community_b, a)):
        services.volunteer_service_record(
            org=org,
            person=person,
            served_on=DAY,
            hours=Decimal("1.5"),
            content="服务",
            acting_user=SYSTEM,
        )
    figures = volunteer_figures(volunteer_service_list(viewer=personas.street_a))
    assert figures == {"person_times": 2, "hours": Decimal("3.0"), "volunteers": 1}
    assert volunteer_figures(volunteer_service_list(viewer=personas.street_b))["person_times"] == 1


def test_metrics_are_registered_on_real_fields(tree):
    """Each metric's queryset has its org, date and value fields, as statistics reads them."""
    make_activity(tree.community_a, headcount=12, kind=kind("party_lecture"))
    names = {
        "activities.count",
        "activities.group_study",
        "activities.party_lecture",
        "activities.outreach_talk",
        "activities.headcount",
        "activities.volunteer_hours",
        "activities.volunteer_person_times",
    }
    assert names <= set(METRICS)
    for name in names:
        metric = METRICS[name]
        qs = metric.queryset()
        qs.values(metric.org_field, metric.date_field).first()
        if metric.value != "count":
            qs.values(metric.value).first()
    assert METRICS["activities.party_lecture"].queryset().count() == 1
    assert METRICS["activities.group_study"].queryset().count() == 0
    with translation.override("en"):
        assert "reported headcount" in str(METRICS["activities.headcount"].definition).lower()
    assert Activity.objects.count() == 1
