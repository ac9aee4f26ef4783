"""Helpers to build activities, members and campaigns through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from taizhang.activities import services
from taizhang.activities.models import (
    Activity,
    ActivityKind,
    Attendance,
    AttendanceMode,
    VenueCategory,
)
from taizhang.core.actors import SYSTEM
from taizhang.people.models import Person
from taizhang.people.services import membership_set, person_create

DAY = dt.date(2026, 5, 12)


def kind(code: str = "group_study") -> ActivityKind:
    return ActivityKind.objects.get(code=code)


def venue(code: str = "community") -> VenueCategory:
    return VenueCategory.objects.get(code=code)


def make_person(org: Any, name: str = "张三", *, member: bool = True) -> Person:
    person = person_create(organization=org, name=name, gender="M", acting_user=SYSTEM)
    if member:
        membership_set(
            person=person,
            branch=org,
            joined_on=dt.date(2010, 7, 1),
            status="full",
            acting_user=SYSTEM,
        )
    return person


def make_activity(
    org: Any,
    *,
    attendees: list[Person] | None = None,
    headcount: int = 0,
    acting_user: Any = SYSTEM,
    **kwargs: Any,
) -> Activity:
    mode = AttendanceMode.LIST if attendees is not None else AttendanceMode.HEADCOUNT
    return services.activity_create(
        data=services.ActivityIn(
            org=org,
            kind=kwargs.pop("kind", None) or kind(),
            title=kwargs.pop("title", "学习党的二十届四中全会精神"),
            held_on=kwargs.pop("held_on", DAY),
            attendance_mode=mode,
            attendees=attendees or [],
            headcount=headcount,
            **kwargs,
        ),
        acting_user=acting_user,
    )


def make_campaign(org: Any, *, target: int = 10, acting_user: Any = SYSTEM, **kwargs: Any) -> Any:
    return services.campaign_create(
        org=org,
        title=kwargs.pop("title", "百场宣讲进万家"),
        kind=kind("outreach_talk"),
        target_count=target,
        start_date=kwargs.pop("start_date", dt.date(2026, 3, 1)),
        end_date=kwargs.pop("end_date", dt.date(2026, 12, 31)),
        venue_categories=kwargs.pop(
            "venue_categories", [venue("enterprise"), venue("community"), venue("online")]
        ),
        acting_user=acting_user,
        **kwargs,
    )


def make_team(campaign: Any, org: Any, name: str = "宣讲一队", **kwargs: Any) -> Any:
    return services.campaign_team_create(
        campaign=campaign, name=name, org=org, acting_user=SYSTEM, **kwargs
    )


def make_service(org: Any, person: Person | None = None, **kwargs: Any) -> Any:
    return services.volunteer_service_record(
        org=org,
        person=person or make_person(org, "志愿者"),
        served_on=kwargs.pop("served_on", DAY),
        hours=kwargs.pop("hours", Decimal(2)),
        content=kwargs.pop("content", "社区环境整治"),
        acting_user=SYSTEM,
        **kwargs,
    )


def _attendance(org: Any) -> Attendance:
    activity = make_activity(org, attendees=[make_person(org, "样本党员")])
    return Attendance.objects.get(activity=activity)


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {
        "activities.activity": lambda org: make_activity(org, headcount=3),
        "activities.attendance": _attendance,
        "activities.campaign": lambda org: make_campaign(org),
        "activities.campaign_team": lambda org: make_team(make_campaign(org), org),
        "activities.volunteer_service": lambda org: make_service(org),
    }
