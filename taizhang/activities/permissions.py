"""The scope policies of activities, campaigns and volunteer records, and ``can``.

* an activity is seen with ``activities.view`` on its holding organization, and
  recorded, corrected or given its attendance with ``activities.manage`` there; the
  clerk who recorded it sees it with an own-records grant (``created_by``);
* an attendance row is seen through its activity's holding organization;
* a campaign is seen and run on its organizing organization; its teams are seen and
  formed through the campaign (a team's own organization does not widen who sees it);
* a 双报到 record is seen and written on the community served;
* raise a problem from a 调研 visit: ``problems.manage`` on the holding org;
* extend the kind and venue dictionaries: ``activities.configure``.

Persons (attendees, speakers, team members, volunteers) are picked and shown by the one
person rule, ``taizhang.people.permissions.PERSON``.
"""

from __future__ import annotations

from typing import Any

from taizhang.activities.models import (
    Activity,
    Attendance,
    Campaign,
    CampaignTeam,
    VolunteerService,
)
from taizhang.core.actors import Actor
from taizhang.organizations.policy import ScopePolicy

VIEW = "activities.view"
MANAGE = "activities.manage"
CONFIGURE = "activities.configure"

ACTIVITY: ScopePolicy[Activity] = ScopePolicy(
    name="activities.activity",
    model=Activity,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
    owner_field="created_by",
)
ATTENDANCE: ScopePolicy[Attendance] = ScopePolicy(
    name="activities.attendance",
    model=Attendance,
    view=VIEW,
    manage=MANAGE,
    org_fields=("activity__org",),
    owner_field="activity__created_by",
)
CAMPAIGN: ScopePolicy[Campaign] = ScopePolicy(
    name="activities.campaign",
    model=Campaign,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
CAMPAIGN_TEAM: ScopePolicy[CampaignTeam] = ScopePolicy(
    name="activities.campaign_team",
    model=CampaignTeam,
    view=VIEW,
    manage=MANAGE,
    org_fields=("campaign__org",),
)
VOLUNTEER_SERVICE: ScopePolicy[VolunteerService] = ScopePolicy(
    name="activities.volunteer_service",
    model=VolunteerService,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
POLICIES = (ACTIVITY, ATTENDANCE, CAMPAIGN, CAMPAIGN_TEAM, VOLUNTEER_SERVICE)
POLICY = ACTIVITY


def can(viewer: Actor | None, action: str, obj: Any) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if action in {"edit", "attendance", "manage"}:
        if isinstance(obj, Campaign):
            return CAMPAIGN.covers(viewer, obj, MANAGE)
        if isinstance(obj, CampaignTeam):
            return CAMPAIGN_TEAM.covers(viewer, obj, MANAGE)
        if isinstance(obj, VolunteerService):
            return VOLUNTEER_SERVICE.covers(viewer, obj, MANAGE)
        return ACTIVITY.covers(viewer, obj, MANAGE)
    if action == "raise_problem":
        # The problem is put on the holding organization's list: problems.manage there
        # (an own-records grant on the visit is not enough).
        return bool(getattr(obj, "is_survey", False)) and ACTIVITY.scope(
            viewer, "problems.manage"
        ).covers(obj.org)
    if action == "configure":
        return bool(viewer.has_function(CONFIGURE))
    return False
