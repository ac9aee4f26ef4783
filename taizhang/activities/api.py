"""REST endpoints for activities under ``/api/v1/activities``.

Organizations, persons and teams named in a body are resolved through the scope
policies (``ACTIVITY.org_choices``, ``PERSON``, ``CAMPAIGN_TEAM``): missing and out of
scope get the same 422 with the same message. Reads answer 404 alike for missing and
out of scope. Persons are named (``attendee_ids``) only as ``PERSON`` allows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from taizhang.activities import services
from taizhang.activities.models import (
    Activity,
    ActivityKind,
    AttendanceMode,
    CampaignTeam,
    VenueCategory,
)
from taizhang.activities.permissions import (
    ACTIVITY,
    CAMPAIGN_TEAM,
    CONFIGURE,
    MANAGE,
    VIEW,
    can,
)
from taizhang.activities.selectors import (
    SORTS,
    activity_list,
    campaign_list,
    campaign_progress,
    get_activity_for_viewer,
    get_campaign_for_viewer,
    get_team_for_viewer,
    member_coverage,
    visible_persons,
    volunteer_service_list,
)
from taizhang.api.sorting import checked_sort, sort_param
from taizhang.api.units import CAMPAIGN_DONE, CAMPAIGN_TARGET
from taizhang.api.updated import Stamped, stamped
from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.schemas import ErrorOut
from taizhang.core.versions import etag, if_match
from taizhang.organizations.filters import LedgerQuery, ledger_filter_for_api
from taizhang.organizations.models import Grouping, Organization
from taizhang.organizations.permissions import GROUPING
from taizhang.organizations.policy import unknown_message
from taizhang.organizations.selectors import get_grouping_for_viewer, get_organization_for_viewer
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

router = Router(tags=["activities"])


class KindOut(Schema):
    id: int
    code: str
    name: str


class ActivityOut(Stamped):
    id: int
    org_id: int
    kind: str
    title: str
    held_on: dt.date
    start_time: dt.time | None
    end_time: dt.time | None
    mode: str
    venue: str
    venue_category: str | None
    speaker_id: int | None
    materials: str
    summary: str
    campaign_id: int | None
    team_id: int | None
    grouping_id: int | None
    attendance_mode: str
    participants: int
    sessions: int
    speaker_name: str
    speaker_title: str
    co_host_names: list[str]

    @staticmethod
    def resolve_co_host_names(obj: Activity) -> list[str]:
        return obj.outside_co_hosts

    @staticmethod
    def resolve_kind(obj: Activity) -> str:
        return obj.kind.code

    @staticmethod
    def resolve_venue_category(obj: Activity) -> str | None:
        return obj.venue_category.code if obj.venue_category else None


class AttachmentOut(Schema):
    id: int
    kind: str
    name: str
    size: int
    uploaded_at: dt.datetime
    url: str


class ActivityDetailOut(ActivityOut):
    attendee_ids: list[int]
    co_org_ids: list[int]
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Activity) -> list[dict[str, Any]]:
        """The evidence files; ``url`` is the page's download (the same scope)."""
        return [
            {
                "id": a.pk,
                "kind": a.kind,
                "name": a.original_name,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
                "url": reverse("activities:attachment", args=[obj.pk, a.pk]),
            }
            for a in obj.attachments.all()
        ]

    @staticmethod
    def resolve_attendee_ids(obj: Activity, context: Any) -> list[int]:
        """Only persons the caller may see (``participants`` counts everyone)."""
        viewer = context["request"].user
        return sorted(
            obj.attendance.filter(person__in=visible_persons(viewer)).values_list(
                "person_id", flat=True
            )
        )

    @staticmethod
    def resolve_co_org_ids(obj: Activity) -> list[int]:
        return sorted(obj.co_orgs.values_list("pk", flat=True))


class ActivityIn(Schema):
    org_id: int
    kind_code: str
    title: str
    held_on: dt.date
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    mode: str = "offline"
    venue: str = ""
    venue_category_code: str | None = None
    speaker_id: int | None = None
    materials: str = ""
    summary: str = ""
    team_id: int | None = None
    grouping_id: int | None = None
    co_org_ids: list[int] = []
    co_host_names: list[str] = []
    speaker_name: str = ""
    speaker_title: str = ""
    sessions: int = 1
    attendance_mode: str = AttendanceMode.HEADCOUNT
    attendee_ids: list[int] = []
    headcount: int = 0


class ActivityPatch(Schema):
    kind_code: str | None = None
    title: str | None = None
    held_on: dt.date | None = None
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    mode: str | None = None
    venue: str | None = None
    venue_category_code: str | None = None
    speaker_id: int | None = None
    materials: str | None = None
    summary: str | None = None
    grouping_id: int | None = None
    co_org_ids: list[int] | None = None
    co_host_names: list[str] | None = None
    speaker_name: str | None = None
    speaker_title: str | None = None
    sessions: int | None = None


class AttendanceIn(Schema):
    attendance_mode: str
    attendee_ids: list[int] = []
    headcount: int = 0


class CampaignOut(Stamped):
    id: int
    org_id: int
    title: str
    target_count: int
    start_date: dt.date
    end_date: dt.date
    done: int


class CampaignIn(Schema):
    org_id: int
    title: str
    target_count: int
    start_date: dt.date
    end_date: dt.date
    kind_code: str | None = None
    venue_category_codes: list[str] = []
    description: str = ""


class TeamIn(Schema):
    name: str
    org_id: int
    quota: int = 0
    leader_id: int | None = None
    member_ids: list[int] = []


class TeamOut(Schema):
    id: int
    campaign_id: int
    name: str
    org_id: int
    quota: int
    leader_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj: Any) -> list[int]:
        return sorted(obj.members.values_list("pk", flat=True))


class ProgressOut(Schema):
    label: str
    done: int = Field(..., description=CAMPAIGN_DONE)
    target: int | None = Field(..., description=CAMPAIGN_TARGET)


class CampaignProgressOut(Schema):
    campaign: CampaignOut
    total: ProgressOut
    teams: list[ProgressOut]
    venue_categories: list[ProgressOut]
    unassigned: int


class CoverageOut(Schema):
    org_id: int
    start: dt.date
    end: dt.date
    members_reached: int


class ServiceOut(Stamped):
    id: int
    org_id: int
    person_id: int
    served_on: dt.date
    hours: Decimal
    content: str


class ServiceIn(Schema):
    org_id: int
    person_id: int
    served_on: dt.date
    hours: Decimal
    content: str


def _org(user: Actor, pk: int, field: str, permission: str = MANAGE) -> Organization:
    """An organization where the caller holds ``permission`` (the policy's choices)."""
    org = ACTIVITY.org_choices(user, permission).filter(pk=pk).first()
    if org is None:
        raise ValidationError({field: unknown_message()})
    return org


def _co_orgs(user: Actor, pks: list[int]) -> list[Organization]:
    """Co-hosts among ``services.co_host_choices``: a missing and an unoffered id get the
    same 422."""
    if not pks:
        return []
    wanted = list(dict.fromkeys(pks))
    found = {o.pk: o for o in services.co_host_choices(user).filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise ValidationError({"co_org_ids": unknown_message()})
    return [found[pk] for pk in wanted]


def _persons(user: Actor, pks: list[int], field: str) -> list[Person]:
    return PERSON.resolve_many(user, dict.fromkeys(pks), field=field) if pks else []


def _person(user: Actor, pk: int | None, field: str) -> Person | None:
    return PERSON.resolve(user, pk, field=field) if pk is not None else None


def _grouping(user: Actor, pk: int | None, field: str = "grouping_id") -> Grouping | None:
    """A grouping named in a body: the same 422 for a missing and a hidden one."""
    return GROUPING.resolve(user, pk, field=field) if pk is not None else None


def _by_code(model: Any, code: str | None, field: str) -> Any:
    if code is None:
        return None
    obj = model.objects.filter(code=code, is_active=True).first()
    if obj is None:
        raise ValidationError({field: "Unknown code."})
    return obj


@router.get("/kinds", response=list[KindOut])
@requires(VIEW)
def list_kinds(request: HttpRequest) -> Any:
    """The activity kinds (an extendable dictionary)."""
    return ActivityKind.objects.filter(is_active=True)


@router.get("/venue-categories", response=list[KindOut])
@requires(VIEW)
def list_venue_categories(request: HttpRequest) -> Any:
    return VenueCategory.objects.filter(is_active=True)


@router.get("/coverage", response=CoverageOut)
@requires(VIEW)
def coverage(request: HttpRequest, org_id: int, start: dt.date, end: dt.date) -> Any:
    """Distinct Party members reached in an organization's subtree and period."""
    org = get_organization_for_viewer(viewer_of(request), org_id)
    reached = member_coverage(viewer=viewer_of(request), org=org, start=start, end=end)
    return {"org_id": org.pk, "start": start, "end": end, "members_reached": reached}


@router.get("/campaigns", response=list[CampaignOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_campaigns(request: HttpRequest, filters: Query[LedgerQuery], q: str = "") -> Any:
    """Campaigns organized in your scope. ``org``: that organization and its subtree,
    organizing (one outside your scope: 422, as for an unknown id);
    ``date_from``/``date_to``: the campaign starts, inclusive; ``mine``: you lead or are
    a member of one of its teams."""
    user = viewer_of(request)
    return stamped(
        campaign_list(
            viewer=user, q=q[:60], ledger=ledger_filter_for_api(user, filters, permission=VIEW)
        )
    )


@router.post("/campaigns", response={201: CampaignOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    """Launch a 专项行动 in an organization of your scope."""
    user = viewer_of(request)
    campaign = services.campaign_create(
        org=_org(user, payload.org_id, "org_id"),
        title=payload.title,
        target_count=payload.target_count,
        start_date=payload.start_date,
        end_date=payload.end_date,
        kind=_by_code(ActivityKind, payload.kind_code, "kind_code"),
        venue_categories=[
            _by_code(VenueCategory, code, "venue_category_codes")
            for code in payload.venue_category_codes
        ],
        description=payload.description,
        acting_user=user,
    )
    return Status(201, get_campaign_for_viewer(user, campaign.pk))


@router.post(
    "/campaigns/{campaign_id}/teams", response={201: TeamOut, 403: ErrorOut, 422: ErrorOut}
)
@requires(MANAGE)
def create_team(request: HttpRequest, campaign_id: int, payload: TeamIn) -> Any:
    """Form a team of a campaign; its org must lie inside the campaign's org."""
    user = viewer_of(request)
    campaign = get_campaign_for_viewer(user, campaign_id)
    if not can(user, "manage", campaign):
        raise PermissionDenied
    team = services.campaign_team_create(
        campaign=campaign,
        name=payload.name,
        org=_org(user, payload.org_id, "org_id", VIEW),
        quota=payload.quota,
        leader=_person(user, payload.leader_id, "leader_id"),
        members=_persons(user, payload.member_ids, "member_ids"),
        acting_user=user,
    )
    return Status(201, team)


class MembersIn(Schema):
    member_ids: list[int]


@router.put(
    "/campaigns/{campaign_id}/teams/{team_id}/members",
    response={200: TeamOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(MANAGE)
def set_team_members(
    request: HttpRequest, campaign_id: int, team_id: int, payload: MembersIn
) -> Any:
    """Replace a team's members (the leader stays a member)."""
    user = viewer_of(request)
    campaign = get_campaign_for_viewer(user, campaign_id)
    if not can(user, "manage", campaign):
        raise PermissionDenied
    team = get_team_for_viewer(user, campaign, team_id)
    return services.campaign_team_members_set(
        team=team, members=_persons(user, payload.member_ids, "member_ids"), acting_user=user
    )


@router.get("/campaigns/{campaign_id}", response=CampaignProgressOut)
@requires(VIEW)
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    """A campaign with its progress per team and venue category."""
    campaign = get_campaign_for_viewer(viewer_of(request), campaign_id)
    progress = campaign_progress(campaign)
    return {
        "campaign": campaign,
        "total": progress.total,
        "teams": progress.teams,
        "venue_categories": progress.venue_categories,
        "unassigned": progress.unassigned,
    }


@router.get("/volunteer-services", response=list[ServiceOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_services(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Any:
    """双报到 service records in your scope. ``org``: that organization and its subtree,
    as the community served (one outside your scope: 422, as for an unknown id);
    ``date_from``/``date_to``: the day served, inclusive; ``mine``: your person is the
    volunteer."""
    user = viewer_of(request)
    return stamped(
        volunteer_service_list(
            viewer=user,
            start=start,
            end=end,
            ledger=ledger_filter_for_api(user, filters, permission=VIEW),
        )
    )


@router.post("/volunteer-services", response={201: ServiceOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def record_service(request: HttpRequest, payload: ServiceIn) -> Any:
    user = viewer_of(request)
    record = services.volunteer_service_record(
        org=_org(user, payload.org_id, "org_id"),
        person=PERSON.resolve(user, payload.person_id, field="person_id"),
        served_on=payload.served_on,
        hours=payload.hours,
        content=payload.content,
        acting_user=user,
    )
    return Status(201, record)


@router.get("", response=list[ActivityOut])
@paginate(LimitOffsetPagination)
@requires(VIEW)
def list_activities(
    request: HttpRequest,
    filters: Query[LedgerQuery],
    kind: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    org_id: int | None = None,
    grouping_id: int | None = None,
    q: str = "",
    sort: str = sort_param(SORTS, "newest first"),
) -> Any:
    """Activities in your scope; filters only narrow (a hidden grouping: 404). ``org``:
    that organization and its subtree, holding (one outside your scope: 422, as for an
    unknown id); ``date_from``/``date_to``: held, inclusive; ``mine``: you recorded it
    or you are its speaker."""
    user = viewer_of(request)
    return stamped(
        activity_list(
            viewer=user,
            kind=ActivityKind.objects.filter(code=kind).first() if kind else None,
            subtree_of=get_organization_for_viewer(user, org_id) if org_id else None,
            grouping=get_grouping_for_viewer(user, grouping_id) if grouping_id else None,
            start=start,
            end=end,
            q=q[:60],
            sort=checked_sort(sort, SORTS),
            ledger=ledger_filter_for_api(user, filters, permission=VIEW),
        )
    )


@router.get("/{activity_id}", response=ActivityDetailOut)
@requires(VIEW)
def get_activity(request: HttpRequest, activity_id: int, response: HttpResponse) -> Any:
    """One activity with its attendance; 404 when missing or outside your scope. The
    ``ETag`` header is its version: send it back as ``If-Match`` with a PATCH."""
    activity = get_activity_for_viewer(viewer_of(request), activity_id)
    response["ETag"] = etag(activity)
    return activity


@router.post("", response={201: ActivityDetailOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def create_activity(request: HttpRequest, payload: ActivityIn) -> Any:
    """Record an activity in an organization of your scope."""
    user = viewer_of(request)
    team = None
    if payload.team_id is not None:
        team = CAMPAIGN_TEAM.resolve(
            user,
            payload.team_id,
            field="team_id",
            base=CampaignTeam.objects.select_related("campaign"),
        )
    speaker = _person(user, payload.speaker_id, "speaker_id")
    activity = services.activity_create(
        data=services.ActivityIn(
            org=_org(user, payload.org_id, "org_id"),
            kind=_by_code(ActivityKind, payload.kind_code, "kind_code"),
            title=payload.title,
            held_on=payload.held_on,
            start_time=payload.start_time,
            end_time=payload.end_time,
            mode=payload.mode,
            venue=payload.venue,
            venue_category=_by_code(
                VenueCategory, payload.venue_category_code, "venue_category_code"
            ),
            speaker=speaker,
            materials=payload.materials,
            summary=payload.summary,
            team=team,
            campaign=team.campaign if team else None,
            grouping=_grouping(user, payload.grouping_id),
            co_orgs=_co_orgs(user, payload.co_org_ids),
            co_host_names="\n".join(payload.co_host_names),
            speaker_name=payload.speaker_name,
            speaker_title=payload.speaker_title,
            sessions=payload.sessions,
            attendance_mode=payload.attendance_mode,
            attendees=_persons(user, payload.attendee_ids, "attendee_ids"),
            headcount=payload.headcount,
        ),
        acting_user=user,
    )
    return Status(201, get_activity_for_viewer(user, activity.pk))


@router.post(
    "/{activity_id}/attendance", response={200: ActivityDetailOut, 403: ErrorOut, 422: ErrorOut}
)
@requires(MANAGE)
def set_attendance(request: HttpRequest, activity_id: int, payload: AttendanceIn) -> Any:
    """Replace the attendance: a list of persons, or a headcount only."""
    user = viewer_of(request)
    activity = get_activity_for_viewer(user, activity_id)
    if not can(user, "attendance", activity):
        raise PermissionDenied
    services.activity_attendance_set(
        activity=activity,
        attendance_mode=payload.attendance_mode,
        attendees=_persons(user, payload.attendee_ids, "attendee_ids"),
        headcount=payload.headcount,
        acting_user=user,
    )
    return get_activity_for_viewer(user, activity_id)


@router.patch("/{activity_id}", response={200: ActivityDetailOut, 403: ErrorOut, 422: ErrorOut})
@requires(MANAGE)
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Any:
    """Correct an activity's details; fields left out stay as they are. With
    ``If-Match: "<ETag>"`` a change someone else made since is a 409, not overwritten."""
    user = viewer_of(request)
    activity = get_activity_for_viewer(user, activity_id)
    if not can(user, "edit", activity):
        raise PermissionDenied
    fields: dict[str, Any] = payload.dict(
        exclude_unset=True,
        exclude={
            "kind_code",
            "venue_category_code",
            "speaker_id",
            "grouping_id",
            "co_org_ids",
            "co_host_names",
        },
    )
    given = payload.dict(exclude_unset=True)
    if given.get("co_org_ids") is not None:
        # Co-hosts already named stay acceptable (the service checks only new ones).
        kept = set(activity.co_orgs.values_list("pk", flat=True))
        ids = list(dict.fromkeys(given["co_org_ids"]))
        old = {o.pk: o for o in activity.co_orgs.filter(pk__in=ids)}
        fields["co_orgs"] = [
            *old.values(),
            *_co_orgs(user, [pk for pk in ids if pk not in kept]),
        ]
    if given.get("co_host_names") is not None:
        fields["co_host_names"] = "\n".join(given["co_host_names"])
    for name in ("speaker_name", "speaker_title"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    if "sessions" in fields and fields["sessions"] is None:
        raise ValidationError({"sessions": _("An activity stands for at least one session.")})
    if "kind_code" in given:
        fields["kind"] = _by_code(ActivityKind, payload.kind_code, "kind_code")
    if "venue_category_code" in given:
        fields["venue_category"] = _by_code(
            VenueCategory, payload.venue_category_code, "venue_category_code"
        )
    if "speaker_id" in given:
        fields["speaker"] = _person(user, payload.speaker_id, "speaker_id")
    if "grouping_id" in given:
        fields["grouping"] = _grouping(user, payload.grouping_id)
    seen = if_match(request)
    services.activity_update(activity=activity, acting_user=user, version=seen, **fields)
    return get_activity_for_viewer(user, activity_id)


# --- Dictionaries (system administrator, ``activities.configure``) ----------------------


class DictionaryEntryOut(Schema):
    id: int
    code: str
    name: str
    sort_order: int
    is_active: bool


class DictionaryEntryIn(Schema):
    code: str
    name: str
    sort_order: int = 100


class DictionaryEntryPatch(Schema):
    name: str | None = None
    sort_order: int | None = None


_DICTIONARIES: dict[str, Any] = {"kinds": ActivityKind, "venue-categories": VenueCategory}


def _dictionary(which: str) -> Any:
    if which not in _DICTIONARIES:
        raise Http404
    return _DICTIONARIES[which]


@router.get("/dictionaries/{which}", response=list[DictionaryEntryOut])
@requires(CONFIGURE)
def list_dictionary(request: HttpRequest, which: str) -> Any:
    """``kinds`` or ``venue-categories``, deactivated entries too."""
    return _dictionary(which).objects.all()


@router.post(
    "/dictionaries/{which}", response={201: DictionaryEntryOut, 403: ErrorOut, 422: ErrorOut}
)
@requires(CONFIGURE)
def create_dictionary_entry(request: HttpRequest, which: str, payload: DictionaryEntryIn) -> Any:
    data = payload.dict()
    if _dictionary(which) is ActivityKind:
        return Status(201, services.activity_kind_create(**data, acting_user=viewer_of(request)))
    return Status(201, services.venue_category_create(**data, acting_user=viewer_of(request)))


@router.patch(
    "/dictionaries/{which}/{entry_id}",
    response={200: DictionaryEntryOut, 403: ErrorOut, 422: ErrorOut},
)
@requires(CONFIGURE)
def update_dictionary_entry(
    request: HttpRequest, which: str, entry_id: int, payload: DictionaryEntryPatch
) -> Any:
    """Rename or reorder an entry. With ``If-Match: "<ETag>"`` a change someone else
    made since is a 409."""
    entry = get_object_or_404(_dictionary(which), pk=entry_id)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    seen = if_match(request)
    if isinstance(entry, ActivityKind):
        return services.activity_kind_update(
            kind=entry, changes=changes, acting_user=viewer_of(request), version=seen
        )
    return services.venue_category_update(
        category=entry, changes=changes, acting_user=viewer_of(request), version=seen
    )


@router.post(
    "/dictionaries/{which}/{entry_id}/{state}", response={200: DictionaryEntryOut, 403: ErrorOut}
)
@requires(CONFIGURE)
def set_dictionary_entry_active(request: HttpRequest, which: str, entry_id: int, state: str) -> Any:
    """``state`` is ``deactivate`` (kept on old records, no longer offered) or ``reactivate``."""
    if state not in {"deactivate", "reactivate"}:
        raise Http404
    entry = get_object_or_404(_dictionary(which), pk=entry_id)
    active = state == "reactivate"
    if isinstance(entry, ActivityKind):
        return services.activity_kind_set_active(
            kind=entry, active=active, acting_user=viewer_of(request)
        )
    return services.venue_category_set_active(
        category=entry, active=active, acting_user=viewer_of(request)
    )
