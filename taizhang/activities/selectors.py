"""Reads of activities, campaigns and 双报到 records through the viewer's data scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from taizhang.activities.models import (
    Activity,
    ActivityKind,
    Attendance,
    AttendanceMode,
    Campaign,
    CampaignTeam,
    VenueCategory,
    VolunteerService,
)
from taizhang.activities.permissions import (
    ACTIVITY,
    ATTENDANCE,
    CAMPAIGN,
    CAMPAIGN_TEAM,
    VIEW,
    VOLUNTEER_SERVICE,
)
from taizhang.core.actors import Actor
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Grouping, Organization
from taizhang.people.models import CommunityReport, Person
from taizhang.people.permissions import PERSON, current_reports_q

SORTS = {
    "": ("-held_on", "-pk"),
    "oldest": ("held_on", "pk"),
    "participants": ("-participants", "-held_on"),
    "org": ("org__path", "-held_on"),
}
ACTIVITY_RELATED = ("org", "kind", "venue_category", "speaker", "campaign", "team", "grouping")


def _subtree_q(org: Organization, prefix: str = "org__") -> Q:
    lower, upper = org.subtree_bounds
    return Q(**{f"{prefix}path__gte": lower, f"{prefix}path__lt": upper})


def mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means for activities: the viewer recorded it, or the
    viewer's person is its speaker."""
    pk = getattr(viewer, "pk", None)
    q = Q(created_by_id=pk) if pk is not None else Q(pk__in=[])
    person_id = getattr(viewer, "person_id", None)
    if person_id:
        q |= Q(speaker_id=person_id)
    return q


def activity_list(
    *,
    viewer: Actor,
    kind: ActivityKind | None = None,
    venue_category: VenueCategory | None = None,
    campaign: Campaign | None = None,
    subtree_of: Organization | None = None,
    grouping: Grouping | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    q: str = "",
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Activity]:
    """Activities held by organizations in scope; every filter only narrows.

    ``ledger`` (the shared list filters): organization on the holding organization,
    dates on the day held, "mine" as ``mine_q``."""
    qs = ledger.narrow(
        ACTIVITY.queryset(viewer),
        org_fields=ACTIVITY.org_fields,
        date_field="held_on",
        mine_q=mine_q(viewer),
    )
    if kind is not None:
        qs = qs.filter(kind=kind)
    if venue_category is not None:
        qs = qs.filter(venue_category=venue_category)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if subtree_of is not None:
        qs = qs.filter(_subtree_q(subtree_of))
    if grouping is not None:
        qs = qs.filter(grouping=grouping)
    if start is not None:
        qs = qs.filter(held_on__gte=start)
    if end is not None:
        qs = qs.filter(held_on__lte=end)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.select_related(*ACTIVITY_RELATED).order_by(*SORTS.get(sort, SORTS[""]))


def get_activity_for_viewer(viewer: Actor, pk: Any) -> Activity:
    """The activity, or the same 404 whether it is missing or out of scope."""
    return ACTIVITY.get(viewer, pk, base=Activity.objects.select_related(*ACTIVITY_RELATED))


def visible_persons(viewer: Actor, base: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """The one person rule (``people.permissions.PERSON``): every person this module
    lists or offers goes through it, cross-tree rules (双报到) included."""
    return PERSON.queryset(viewer, base=base)


def activity_attendees(activity: Activity, *, viewer: Actor) -> QuerySet[Person]:
    """The persons on an activity's attendance list the viewer may see, members marked
    by their membership (the others count in ``participants`` but are not named)."""
    return (
        visible_persons(
            viewer,
            Person.objects.filter(
                pk__in=Attendance.objects.filter(activity=activity).values("person")
            ),
        )
        .select_related("organization", "membership")
        .order_by("organization__path", "name", "pk")
    )


def attendance_hidden_ids(activity: Activity, *, viewer: Actor) -> list[int]:
    """Persons on the attendance list the viewer may not see: kept, never named."""
    visible = visible_persons(viewer).filter(pk=OuterRef("person_id"))
    return sorted(
        Attendance.objects.filter(activity=activity)
        .exclude(Exists(visible))
        .values_list("person_id", flat=True)
    )


def members_present(activity: Activity) -> int:
    """Party members on the attendance list (a figure of the activity, not names)."""
    return Attendance.objects.filter(activity=activity, person__membership__isnull=False).count()


def sign_in_base(activity: Activity) -> QuerySet[Person]:
    """Who may be on an activity's sign-in sheet, before the viewer's scope: persons of
    the holding organization's subtree and members of organs currently reported there
    (双报到)."""
    reported = CommunityReport.objects.filter(
        current_reports_q(), _subtree_q(activity.org, "community__")
    ).values("person_id")
    return Person.objects.filter(_subtree_q(activity.org, "organization__") | Q(pk__in=reported))


def attendee_candidates(activity: Activity, *, viewer: Actor, limit: int = 400) -> list[Person]:
    """Persons of the sign-in sheet (``sign_in_base``) the viewer may see, members
    first."""
    return list(
        visible_persons(viewer, sign_in_base(activity))
        .select_related("organization", "membership")
        .annotate(non_member=Case(When(membership__isnull=True, then=1), default=0))
        .order_by("non_member", "organization__path", "name", "pk")[:limit]
    )


def member_coverage(*, viewer: Actor, org: Organization, start: dt.date, end: dt.date) -> int:
    """Distinct Party members who attended an activity held in ``org``'s subtree.

    Counted from attendance lists, in one query; headcount-only activities add nothing.
    The subtree is further limited to the viewer's scope, so nobody learns figures of
    organizations they may not see. ``start`` and ``end`` are inclusive.
    """
    return (
        ATTENDANCE.queryset(viewer)
        .filter(
            _subtree_q(org, "activity__org__"),
            activity__attendance_mode=AttendanceMode.LIST,
            activity__held_on__gte=start,
            activity__held_on__lte=end,
            person__membership__isnull=False,
        )
        .values("person_id")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class Figures:
    """The briefing figures of a subtree and period (count per kind, reach)."""

    total: int
    by_kind: list[dict[str, Any]]
    participants: int
    headcount_only: int
    members_reached: int


def activity_figures(
    *, viewer: Actor, org: Organization | None, start: dt.date, end: dt.date
) -> Figures:
    """累计开展集中学习N场、主题党课M场，覆盖党员K人: three queries, and two for the
    totals.

    The two totals (activities held, reported headcount) come from the statistics
    module's stored monthly figures when they can serve (``stored_totals``: whole
    months, the viewer's scope holds the subtree whole), as the dashboard reads them;
    otherwise from the records, as the figures per kind always are."""
    qs = activity_list(viewer=viewer, subtree_of=org, start=start, end=end).order_by()
    kinds = {k.pk: k for k in ActivityKind.objects.all()}
    rows = list(
        qs.values("kind_id").annotate(
            n=Count("pk"),
            people=Sum("participants"),
            headcount_only=Count("pk", filter=Q(attendance_mode=AttendanceMode.HEADCOUNT)),
        )
    )
    by_kind = [
        {"kind": kinds[r["kind_id"]], "count": r["n"], "participants": r["people"] or 0}
        for r in sorted(rows, key=lambda r: (kinds[r["kind_id"]].sort_order, r["kind_id"]))
    ]
    total = sum(r["count"] for r in by_kind)
    participants = sum(r["participants"] for r in by_kind)
    stored = _stored_totals(viewer, org, start, end)
    if stored is not None:
        total, participants = stored
    if org is not None:
        reached = member_coverage(viewer=viewer, org=org, start=start, end=end)
    else:
        reached = _coverage_in_scope(viewer=viewer, start=start, end=end)
    return Figures(
        total=total,
        by_kind=by_kind,
        participants=participants,
        headcount_only=sum(r["headcount_only"] for r in rows),
        members_reached=reached,
    )


STORED_TOTALS = ("activities.count", "activities.headcount")


def _stored_totals(
    viewer: Actor, org: Organization | None, start: dt.date, end: dt.date
) -> tuple[int, int] | None:
    """(activities held, reported headcount) of ``org``'s subtree (or of the viewer's
    subtrees) from the stored monthly figures, or None when they cannot serve."""
    from taizhang.statistics.periods import Period, PeriodError
    from taizhang.statistics.selectors import stored_totals

    if org is not None:
        orgs = [org]
    else:
        scope = ACTIVITY.scope(viewer)
        if scope.unrestricted or scope.org_ids or scope.own_records or ACTIVITY.extra:
            return None
        orgs = list(Organization.objects.filter(path__in=scope.subtree_paths))
    try:
        period = Period("custom", start, end)
    except PeriodError:
        return None
    totals = stored_totals(viewer, list(STORED_TOTALS), orgs, period)
    if totals is None:
        return None
    return int(totals[STORED_TOTALS[0]]), int(totals[STORED_TOTALS[1]])


def _coverage_in_scope(*, viewer: Actor, start: dt.date, end: dt.date) -> int:
    return (
        ATTENDANCE.queryset(viewer)
        .filter(
            activity__attendance_mode=AttendanceMode.LIST,
            activity__held_on__gte=start,
            activity__held_on__lte=end,
            person__membership__isnull=False,
        )
        .values("person_id")
        .distinct()
        .count()
    )


# Campaigns ------------------------------------------------------------------------------


def _campaigns() -> QuerySet[Campaign]:
    return (
        Campaign.objects.select_related("org", "kind")
        .annotate(done=Count("activities", distinct=True), team_count=Count("teams", distinct=True))
        .order_by("-start_date", "pk")
    )


def campaign_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the campaign list: the viewer's person leads, or
    is a member of, one of the campaign's teams (a campaign keeps no recorder)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    teams = CampaignTeam.objects.filter(Q(leader_id=person_id) | Q(members__id=person_id))
    return Q(pk__in=teams.values("campaign_id"))


def campaign_list(
    *,
    viewer: Actor,
    q: str = "",
    active_on: dt.date | None = None,
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Campaign]:
    """Campaigns organized in scope; every filter only narrows.

    ``ledger`` (the shared list filters): organization on the organizing organization,
    dates on the day the campaign starts, "mine" as ``campaign_mine_q``."""
    qs = ledger.narrow(
        CAMPAIGN.queryset(viewer, base=_campaigns()),
        org_fields=CAMPAIGN.org_fields,
        date_field="start_date",
        mine_q=campaign_mine_q(viewer),
    )
    if q:
        qs = qs.filter(title__icontains=q)
    if active_on is not None:
        qs = qs.filter(start_date__lte=active_on, end_date__gte=active_on)
    return qs


def get_campaign_for_viewer(viewer: Actor, pk: Any) -> Campaign:
    return CAMPAIGN.get(viewer, pk, base=_campaigns())


def get_team_for_viewer(viewer: Actor, campaign: Campaign, pk: Any) -> CampaignTeam:
    """A team of ``campaign``, or the same 404 whether it is missing or hidden."""
    base = CampaignTeam.objects.filter(campaign=campaign).select_related("campaign", "leader")
    return CAMPAIGN_TEAM.get(viewer, pk, base=base)


def team_choices(viewer: Actor, permission: str = VIEW) -> QuerySet[CampaignTeam]:
    """Teams an activity may count for: those of campaigns the viewer sees (or, with
    ``activities.manage``, runs)."""
    return (
        CAMPAIGN_TEAM.queryset(viewer, permission)
        .select_related("campaign")
        .order_by("campaign_id", "pk")
    )


@dataclass(frozen=True)
class Progress:
    label: str
    done: int
    target: int | None
    obj: Any = None

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return min(100, self.done * 100 // self.target)


@dataclass(frozen=True)
class CampaignProgress:
    total: Progress
    teams: list[Progress]
    venue_categories: list[Progress]
    unassigned: int
    outside_categories: int


def campaign_progress(campaign: Campaign, *, viewer: Actor | None = None) -> CampaignProgress:
    """Sessions held against the target, per team and per venue category: an entry
    that stands for repeated sessions (先后7次宣讲, ``sessions``) counts each of them.

    The campaign is read as a whole by whoever may see the campaign (its organizer's
    scope), including activities that its teams from other subtrees recorded. With a
    ``viewer``, each team says whether its leader may be named to them
    (``leader_visible``, the one person rule).
    """
    activities = Activity.objects.filter(campaign=campaign).order_by()
    sessions_of_team = (
        Activity.objects.filter(team=OuterRef("pk"))
        .order_by()
        .values("team")
        .annotate(n=Sum("sessions"))
        .values("n")
    )
    teams = list(
        CampaignTeam.objects.filter(campaign=campaign)
        .select_related("org", "leader")
        .annotate(
            done=Coalesce(Subquery(sessions_of_team), 0),
            member_count=Count("members", distinct=True),
            leader_visible=Exists(visible_persons(viewer).filter(pk=OuterRef("leader_id")))
            if viewer is not None
            else Value(True),
        )
        .order_by("pk")
    )
    per_category = dict(
        activities.values("venue_category_id")
        .annotate(n=Sum("sessions"))
        .values_list("venue_category_id", "n")
    )
    targets = list(campaign.venue_categories.all())
    total = sum(per_category.values())
    return CampaignProgress(
        total=Progress(str(campaign.title), total, campaign.target_count, campaign),
        teams=[Progress(t.name, t.done, t.quota or None, t) for t in teams],
        venue_categories=[Progress(c.name, per_category.get(c.pk, 0), None, c) for c in targets],
        unassigned=activities.filter(team__isnull=True).aggregate(n=Sum("sessions"))["n"] or 0,
        outside_categories=total - sum(per_category.get(c.pk, 0) for c in targets),
    )


# 双报到 ---------------------------------------------------------------------------------


def volunteer_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the 双报到 list: the viewer's person is the
    volunteer (a service record keeps no recorder of its own)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return Q(pk__in=[])
    return Q(person_id=person_id)


def volunteer_service_list(
    *,
    viewer: Actor,
    subtree_of: Organization | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    q: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[VolunteerService]:
    """双报到 records of communities in scope; every filter only narrows.

    ``ledger`` (the shared list filters): organization on the community served, dates
    on the day served, "mine" as ``volunteer_mine_q``."""
    qs = ledger.narrow(
        VOLUNTEER_SERVICE.queryset(viewer),
        org_fields=VOLUNTEER_SERVICE.org_fields,
        date_field="served_on",
        mine_q=volunteer_mine_q(viewer),
    )
    if subtree_of is not None:
        qs = qs.filter(_subtree_q(subtree_of))
    if start is not None:
        qs = qs.filter(served_on__gte=start)
    if end is not None:
        qs = qs.filter(served_on__lte=end)
    if q:
        # A name matches only persons the viewer may see: no probing for hidden names.
        named_like = visible_persons(viewer, Person.objects.filter(name__icontains=q))
        qs = qs.filter(Q(content__icontains=q) | Q(person__in=named_like))
    named = visible_persons(viewer).filter(pk=OuterRef("person_id"))
    return (
        qs.select_related("org", "person", "person__organization")
        .annotate(person_visible=Exists(named))
        .order_by("-served_on", "-pk")
    )


def volunteer_figures(qs: QuerySet[VolunteerService]) -> dict[str, Any]:
    """到社区服务N人次、M小时 and how many distinct volunteers: one query."""
    agg = qs.order_by().aggregate(
        person_times=Count("pk"),
        hours=Sum("hours"),
        volunteers=Count("person", distinct=True),
    )
    return {
        "person_times": agg["person_times"] or 0,
        "hours": agg["hours"] or Decimal(0),
        "volunteers": agg["volunteers"] or 0,
    }
