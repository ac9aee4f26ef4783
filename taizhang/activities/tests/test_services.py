"""Writes: scope-checked, validated, one audit event each with the field diff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import ScopeKind
from taizhang.activities import services
from taizhang.activities.models import Activity, ActivityKind, AttendanceMode, VolunteerService
from taizhang.activities.tests.factories import (
    DAY,
    kind,
    make_activity,
    make_campaign,
    make_person,
    venue,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from tests.support import make_user

pytestmark = pytest.mark.django_db


def test_kinds_are_seeded_and_extendable(personas):
    """The eight kinds of the issue are seeded; a clerk may not extend them."""
    names = set(ActivityKind.objects.values_list("name", flat=True))
    assert {
        "集中学习",
        "主题党课",
        "主题党日",
        "宣讲",
        "会议",
        "调研/考察",
        "现场教学",
        "志愿服务",
    } <= names
    with pytest.raises(PermissionDenied):
        services.activity_kind_create(code="reading", name="读书会", acting_user=personas.district)
    services.activity_kind_create(code="reading", name="读书会", acting_user=SYSTEM)
    assert ActivityKind.objects.filter(code="reading").exists()


def test_create_with_list_counts_attendees_and_audits(tree, personas):
    """A list of attendees gives the participants figure; one audit event with the diff."""
    people = [make_person(tree.community_a, f"党员{i}") for i in range(3)]
    activity = make_activity(tree.community_a, attendees=people, acting_user=personas.street_a)
    assert activity.attendance_mode == AttendanceMode.LIST
    assert activity.participants == 3
    assert activity.attendance.count() == 3
    event = AuditEvent.objects.get(action="activity.create")
    assert event.changes["title"] == [None, "学习党的二十届四中全会精神"]
    assert event.changes["participants"] == [None, 3]


def test_headcount_activity_has_no_list(tree):
    """A headcount-only activity refuses attendees, and a negative headcount."""
    person = make_person(tree.community_a)
    with pytest.raises(ValidationError):
        services.activity_create(
            data=services.ActivityIn(
                org=tree.community_a,
                kind=kind(),
                title="t",
                held_on=DAY,
                attendance_mode=AttendanceMode.HEADCOUNT,
                attendees=[person],
                headcount=5,
            ),
            acting_user=SYSTEM,
        )
    with pytest.raises(ValidationError):
        make_activity(tree.community_a, headcount=-1)
    assert make_activity(tree.community_a, headcount=40).participants == 40


def test_out_of_scope_org_refused(tree, personas):
    """street_b cannot record an activity in A's community."""
    with pytest.raises(PermissionDenied):
        make_activity(tree.community_a, headcount=10, acting_user=personas.street_b)
    assert not Activity.objects.exists()


def test_attendees_outside_scope_refused(tree, personas):
    """street_a cannot put B's residents on her sign-in sheet."""
    outsider = make_person(tree.community_b, "外人")
    with pytest.raises(ValidationError):
        make_activity(tree.community_a, attendees=[outsider], acting_user=personas.street_a)


def test_attendance_switches_between_list_and_headcount(tree, personas):
    """Setting a headcount drops the list; setting a list recounts; each is audited."""
    people = [make_person(tree.community_a, f"党员{i}") for i in range(4)]
    activity = make_activity(tree.community_a, headcount=30)
    activity = services.activity_attendance_set(
        activity=activity,
        attendance_mode=AttendanceMode.LIST,
        attendees=people[:3],
        acting_user=personas.street_a,
    )
    assert activity.participants == 3
    event = AuditEvent.objects.filter(action="activity.attendance").latest("pk")
    assert event.changes["attendance_mode"] == ["headcount", "list"]
    assert len(event.changes["attendees"]["added"]) == 3
    activity = services.activity_attendance_set(
        activity=activity,
        attendance_mode=AttendanceMode.HEADCOUNT,
        headcount=50,
        acting_user=SYSTEM,
    )
    assert activity.participants == 50 and activity.attendance.count() == 0


def test_update_records_a_diff(tree, personas):
    activity = make_activity(tree.community_a, headcount=10)
    services.activity_update(
        activity=activity, title="学习新条例", venue="党群服务中心", acting_user=personas.street_a
    )
    event = AuditEvent.objects.get(action="activity.update")
    assert event.changes == {
        "title": ["学习党的二十届四中全会精神", "学习新条例"],
        "venue": ["", "党群服务中心"],
    }
    with pytest.raises(PermissionDenied):
        services.activity_update(activity=activity, title="x", acting_user=personas.street_b)


def test_campaign_team_quotas_and_period(tree, personas):
    """Teams stay within the campaign's org and target; activities within its period."""
    campaign = make_campaign(tree.district, target=10, acting_user=personas.district)
    team = services.campaign_team_create(
        campaign=campaign, name="一队", org=tree.street_a, quota=6, acting_user=personas.district
    )
    with pytest.raises(ValidationError):
        services.campaign_team_create(
            campaign=campaign, name="二队", org=tree.street_b, quota=5, acting_user=SYSTEM
        )
    with pytest.raises(ValidationError):
        make_activity(
            tree.street_a,
            headcount=10,
            team=team,
            campaign=campaign,
            held_on=dt.date(2026, 1, 5),
        )
    with pytest.raises(PermissionDenied):
        make_campaign(tree.district, acting_user=personas.street_a)
    local = make_campaign(tree.street_a, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.campaign_team_create(
            campaign=local, name="越界", org=tree.street_b, acting_user=SYSTEM
        )


def test_campaign_end_before_start_refused(tree):
    with pytest.raises(ValidationError):
        make_campaign(tree.district, start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 4, 1))


def test_import_writes_many_with_one_event(tree):
    """The bulk import validates every row and records one audit event."""
    people = [make_person(tree.community_a, f"党员{i}") for i in range(3)]
    rows = [
        services.ActivityIn(
            org=tree.community_a,
            kind=kind(),
            title=f"学习{i}",
            held_on=DAY,
            attendance_mode=AttendanceMode.LIST,
            attendees=people,
            venue_category=venue(),
        )
        for i in range(5)
    ]
    built = services.activity_import(rows=rows, source="台账", acting_user=SYSTEM)
    assert len(built) == 5 and all(a.participants == 3 for a in built)
    assert AuditEvent.objects.filter(action="activity.import").count() == 1
    bad = [*rows, services.ActivityIn(org=tree.community_a, kind=kind(), title="", held_on=DAY)]
    with pytest.raises(ValidationError):
        services.activity_import(rows=bad, source="坏台账", acting_user=SYSTEM)
    assert Activity.objects.count() == 5


def test_volunteer_service(tree, personas):
    """双报到: one row per service; hours must be positive and within a day."""
    member = make_person(tree.community_a)
    record = services.volunteer_service_record(
        org=tree.community_a,
        person=member,
        served_on=DAY,
        hours=Decimal("2.5"),
        content="楼道清洁",
        acting_user=personas.street_a,
    )
    assert record.hours == Decimal("2.5")
    for hours in (Decimal(0), Decimal(25)):
        with pytest.raises(ValidationError):
            services.volunteer_service_record(
                org=tree.community_a,
                person=member,
                served_on=DAY,
                hours=hours,
                content="x",
                acting_user=SYSTEM,
            )
    with pytest.raises(PermissionDenied):
        services.volunteer_service_record(
            org=tree.community_a,
            person=member,
            served_on=DAY,
            hours=Decimal(1),
            content="x",
            acting_user=personas.street_b,
        )
    assert VolunteerService.objects.count() == 1


def test_survey_raises_a_problem_with_origin(tree, personas):
    """A 调研 visit puts a problem on the list with the visit as its origin."""
    from taizhang.problems.models import Problem

    visit = make_activity(tree.community_a, headcount=5, kind=kind("survey"), title="老旧小区调研")
    problem = services.activity_raise_problem(
        activity=visit,
        title="雨污管网改造滞后",
        deadline=dt.date(2026, 8, 1),
        acting_user=personas.street_a,
    )
    assert isinstance(problem, Problem)
    assert problem.source == "survey"
    assert (problem.origin_type, problem.origin_id) == ("activities.activity", visit.pk)
    study = make_activity(tree.community_a, headcount=5)
    with pytest.raises(ValidationError):
        services.activity_raise_problem(
            activity=study, title="x", deadline=dt.date(2026, 8, 1), acting_user=SYSTEM
        )


def test_every_service_records_its_audit_action(tree, personas):
    """Each write leaves the audit event named for it, by the acting user."""
    from taizhang.activities.tests.factories import make_team

    clerk = personas.street_a
    member = make_person(tree.community_a, "审计党员")
    activity = make_activity(tree.community_a, headcount=2, acting_user=clerk)
    campaign = make_campaign(tree.street_a, acting_user=clerk)
    team = make_team(campaign, tree.community_a)
    admin = make_user("configurer", ("system_admin", ScopeKind.SUBTREE, tree.district))
    row = services.ActivityIn(org=tree.community_a, kind=kind(), title="导入的", held_on=DAY)
    service = services.ServiceIn(tree.community_a, member, DAY, Decimal(1), "打扫")
    survey = make_activity(tree.community_a, headcount=1, kind=kind("survey"), acting_user=clerk)
    calls = [
        ("activity_kind.create", admin, lambda: services.activity_kind_create(
            code="walk", name="走访", acting_user=admin)),
        ("venue_category.create", admin, lambda: services.venue_category_create(
            code="park", name="进公园", acting_user=admin)),
        ("activity.create", clerk, lambda: make_activity(
            tree.community_a, headcount=3, acting_user=clerk)),
        ("activity.import", clerk, lambda: services.activity_import(
            rows=[row], source="台账", acting_user=clerk)),
        ("activity.update", clerk, lambda: services.activity_update(
            activity=activity, title="改过", acting_user=clerk)),
        ("activity.attendance", clerk, lambda: services.activity_attendance_set(
            activity=activity, attendance_mode="list", attendees=[member], acting_user=clerk)),
        ("campaign.create", clerk, lambda: make_campaign(
            tree.community_a, title="又一场", acting_user=clerk)),
        ("campaign_team.create", clerk, lambda: services.campaign_team_create(
            campaign=campaign, name="二队", org=tree.community_a, acting_user=clerk)),
        ("campaign_team.members", clerk, lambda: services.campaign_team_members_set(
            team=team, members=[member], acting_user=clerk)),
        ("volunteer_service.record", clerk, lambda: services.volunteer_service_record(
            org=tree.community_a, person=member, served_on=DAY, hours=Decimal(2),
            content="巡逻", acting_user=clerk)),
        ("volunteer_service.import", clerk, lambda: services.volunteer_service_import(
            rows=[service], source="签到表", acting_user=clerk)),
        ("problem.create", clerk, lambda: services.activity_raise_problem(
            activity=survey, title="路灯不亮", deadline=dt.date(2026, 8, 1), acting_user=clerk)),
    ]  # fmt: skip
    for action, actor, call in calls:
        call()
        event = AuditEvent.objects.latest("pk")
        assert (event.action, event.actor_id) == (action, actor.pk), action
