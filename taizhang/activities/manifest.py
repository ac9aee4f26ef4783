"""What the activities module registers: functions, navigation and metrics.

Coverage of distinct members is not additive: ``activities.members_reached`` is a
distinct count, which the statistics module computes from attendance rows every time.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.activities.models import Activity, Attendance, AttendanceMode, VolunteerService
from taizhang.activities.permissions import POLICIES
from taizhang.core.actors import Actor
from taizhang.core.registry import (
    Metric,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
)

register_permission("activities.view", _("View activities, campaigns and volunteer service"))
register_permission("activities.manage", _("Record activities, attendance and campaigns"))
register_permission("activities.configure", _("Extend activity kinds and venue categories"))
grant_to_roles("activities.view", "clerk", "secretary", "leader", "viewer", "grid_worker")
# A grid worker (网格员) records the activities of her grid and their attendance.
grant_to_roles("activities.manage", "clerk", "secretary", "grid_worker")
grant_to_roles("activities.configure", "system_admin")

for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Activities"), "activities:list", "activities.view", order=50)

register_metric(
    Metric(
        name="activities.count",
        sentence=_("held {value} activities"),
        label=_("Activities held"),
        unit=_("activities"),
        queryset=lambda: Activity.objects.all(),
        org_field="org",
        date_field="held_on",
        permission="activities.view",
        # A briefing counts 场/次: an entry for repeated sessions (先后7次宣讲) counts 7.
        value="sessions",
        definition=_(
            "Sum of the sessions of activities of every kind (an entry for repeated "
            "sessions counts each), dated by the day held, counted at the holding "
            "organization (co-hosts do not count it again)."
        ),
    )
)
register_metric(
    Metric(
        name="activities.entries",
        label=_("Activity entries"),
        unit=pgettext_lazy("activity entries", "entries"),
        queryset=lambda: Activity.objects.all(),
        org_field="org",
        date_field="held_on",
        permission="activities.view",
        definition=_(
            "Count of activity rows of every kind (an entry for repeated sessions counts "
            "once), dated by the day held, at the holding organization."
        ),
    )
)

# One metric per key kind: the 集中学习N场、主题党课M场 of a briefing.
for _code, _label, _unit, _sentence in (
    (
        "group_study",
        _("Group study sessions"),
        _("study sessions"),
        _("including {value} group study sessions"),
    ),
    ("party_lecture", _("Party lectures"), _("lectures"), _("{value} Party lectures")),
    ("party_day", _("Themed Party days"), _("activities"), _("{value} themed Party days")),
    ("outreach_talk", _("Outreach talks"), _("talks"), _("{value} outreach talks")),
    ("survey", _("Survey visits"), _("visits"), ""),
    ("volunteer", _("Volunteer activities"), _("activities"), ""),
):
    register_metric(
        Metric(
            name=f"activities.{_code}",
            label=_label,
            unit=_unit,
            sentence=_sentence,
            queryset=lambda code=_code: Activity.objects.filter(kind__code=code),  # type: ignore[misc]
            org_field="org",
            date_field="held_on",
            permission="activities.view",
            value="sessions",
            definition=format_lazy(
                _(
                    "Sum of the sessions of activities of the kind {kind} (an entry for "
                    "repeated sessions counts each), dated by the day held, at the holding "
                    "organization."
                ),
                kind=_label,
            ),
        )
    )

register_metric(
    Metric(
        name="activities.headcount",
        label=_("Participants (reported headcount)"),
        unit=_("person-times"),
        queryset=lambda: Activity.objects.all(),
        org_field="org",
        date_field="held_on",
        permission="activities.view",
        value="participants",
        definition=_(
            "REPORTED HEADCOUNT: sum of each activity's participants, which is the "
            "length of its attendance list or, for headcount-only activities, the number "
            "reported. Person-times, not distinct persons: never use it as coverage of members "
            "(activities.members_reached is that)."
        ),
    )
)
register_metric(
    Metric(
        name="activities.volunteer_person_times",
        sentence=_("members served their communities {value}"),
        label=_("Volunteer service (双报到) person-times"),
        unit=_("person-times"),
        queryset=lambda: VolunteerService.objects.all(),
        org_field="org",
        date_field="served_on",
        permission="activities.view",
        definition=_(
            "Count of 双报到 service rows (one row = one member serving once), dated "
            "by the day served, at the community served."
        ),
    )
)
register_metric(
    Metric(
        name="activities.volunteer_hours",
        label=_("Volunteer service (双报到) hours"),
        unit=_("hours"),
        queryset=lambda: VolunteerService.objects.all(),
        org_field="org",
        date_field="served_on",
        permission="activities.view",
        value="hours",
        definition=_(
            "Sum of the hours of 双报到 service rows, dated by the day served, at the "
            "community served."
        ),
    )
)


def _campaigns_under_way(viewer: Actor | None, user: Any) -> dict[str, Any] | None:
    """On the home page: campaigns under way in the viewer's scope, with progress."""
    if viewer is None or not viewer.is_authenticated or not viewer.has_function("activities.view"):
        return None
    from django.utils import timezone

    from taizhang.activities.selectors import campaign_list

    campaigns = list(campaign_list(viewer=viewer, active_on=timezone.localdate())[:5])
    return {"campaigns": campaigns} if campaigns else None


register_slot("core.home", "activities/_home_campaigns.html", _campaigns_under_way, order=50)


def _member_attendance() -> QuerySet[Attendance]:
    return Attendance.objects.filter(
        activity__attendance_mode=AttendanceMode.LIST, person__membership__isnull=False
    )


register_metric(
    Metric(
        name="activities.members_reached",
        sentence=_("reaching {value} Party members"),
        label=_("Party members reached"),
        unit=pgettext_lazy("unit of measure", "people"),
        queryset=_member_attendance,
        org_field="activity__org",
        date_field="activity__held_on",
        permission="activities.view",
        distinct="person",
        additive=False,
        definition=_(
            "Distinct Party members on the attendance lists of activities held in "
            "the subtree and period; headcount-only activities add nothing. Never a sum of "
            "headcounts."
        ),
    )
)


def _person_activities(viewer: Actor | None, person: Any) -> dict[str, Any] | None:
    """On the person page: the newest activities the person attended or spoke at,
    only those the viewer may see."""
    if viewer is None or not viewer.is_authenticated or not viewer.has_function("activities.view"):
        return None
    from django.db.models import Q

    from taizhang.activities.permissions import ACTIVITY

    attended = Attendance.objects.filter(person=person).values("activity_id")
    activities = list(
        ACTIVITY.queryset(viewer)
        .filter(Q(pk__in=attended) | Q(speaker=person))
        .select_related("org", "kind")
        .order_by("-held_on", "-pk")[:10]
    )
    return {"activities": activities} if activities else None


register_slot("people.person_detail", "activities/_person_activities.html", _person_activities)

# Excel: the ledger's export and its import read the same columns (activities/imports.py).
from taizhang.activities.exports import CAMPAIGN_EXPORT, EXPORT, SERVICE_EXPORT  # noqa: E402
from taizhang.activities.imports import (  # noqa: E402
    CAMPAIGN_IMPORTER,
    IMPORTER,
    SERVICE_IMPORTER,
)
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402

for _export in (EXPORT, CAMPAIGN_EXPORT, SERVICE_EXPORT):
    register_export(_export)
for _importer in (IMPORTER, CAMPAIGN_IMPORTER, SERVICE_IMPORTER):
    register_importer(_importer)


# The organization picker of an activity's co-hosts (forms.py): where the recorder
# records activities, and the units of the district (services.co_host_choices).
from taizhang.core.registry import OrgSource, register_org_source  # noqa: E402


def _co_host_candidates(viewer: Actor) -> Any:
    from taizhang.activities.services import co_host_choices

    return co_host_choices(viewer)


register_org_source(OrgSource("activities.co_hosts", "activities.manage", _co_host_candidates))

# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "campaign": _("Campaign"),
    },
    object_type="activities.campaignteam",
)
register_audit_fields(
    {
        "co_orgs": _("Co-hosting organizations"),
        "attachments": _("Attachments"),
    },
    object_type="activities.activity",
)
