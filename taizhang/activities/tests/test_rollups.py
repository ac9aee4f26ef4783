"""The monthly figures of activities and 双报到 stay equal to the records after every
service (ADR 0044), bulk writes included: the services report what they wrote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from taizhang.activities import services
from taizhang.activities.models import AttendanceMode
from taizhang.activities.tests.factories import DAY, kind, make_activity, make_person
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _total(metric: str, org, month: dt.date | None = None) -> Decimal:
    """The stored figure of ``metric`` for ``org``'s subtree (one month, or all)."""
    rows = MonthlyFigure.objects.filter(metric=metric, org=org)
    if month is not None:
        rows = rows.filter(month=month.replace(day=1))
    return rows.aggregate(v=Sum("value"))["v"] or Decimal(0)


def test_figures_follow_every_service(tree, personas):
    clerk = personas.street_a
    members = [make_person(tree.community_a, f"党员{i}") for i in range(3)]
    make_activity(tree.community_a, headcount=4, title="刷新前已有")
    rollups.refresh_all()
    assert rollups.check() == []
    count = _total("activities.count", tree.district)
    headcount = _total("activities.headcount", tree.district)

    activity = make_activity(tree.community_a, attendees=members[:2], acting_user=clerk)
    assert _total("activities.count", tree.district) == count + 1
    assert _total("activities.headcount", tree.district) == headcount + 2
    services.activity_attendance_set(
        activity=activity,
        attendance_mode=AttendanceMode.LIST,
        attendees=members,
        acting_user=clerk,
    )
    assert _total("activities.headcount", tree.street_a) == headcount + 3
    # Moved to another month and kind: both months and both kinds follow.
    services.activity_update(
        activity=activity,
        held_on=dt.date(2026, 6, 3),
        kind=kind("party_lecture"),
        acting_user=clerk,
    )
    assert _total("activities.count", tree.district, dt.date(2026, 6, 1)) == 1
    assert _total("activities.party_lecture", tree.community_a) == 1
    services.activity_attendance_set(
        activity=activity, attendance_mode=AttendanceMode.HEADCOUNT, headcount=9, acting_user=clerk
    )
    # The bulk import (a yearly ledger) and the 双报到 services.
    services.activity_import(
        rows=[
            services.ActivityIn(
                org=tree.grid_a,
                kind=kind("party_day"),
                title=f"主题党日{i}",
                held_on=DAY + dt.timedelta(days=i),
                attendance_mode=AttendanceMode.LIST,
                attendees=members[: i + 1],
            )
            for i in range(3)
        ],
        source="年度台账.xlsx",
        acting_user=clerk,
    )
    assert _total("activities.party_day", tree.district) == 3
    services.volunteer_service_record(
        org=tree.community_a,
        person=members[0],
        served_on=DAY,
        hours=Decimal("2.5"),
        content="楼道清洁",
        acting_user=clerk,
    )
    services.volunteer_service_import(
        rows=[
            services.ServiceIn(tree.community_a, person, DAY, Decimal(2), "巡逻")
            for person in members
        ],
        source="签到表",
        acting_user=clerk,
    )
    assert _total("activities.volunteer_person_times", tree.district) == 4
    assert _total("activities.volunteer_hours", tree.street_a) == Decimal("8.5")
    assert rollups.check() == []
