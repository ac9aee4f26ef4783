"""The activities module in Excel: the columns its exports write and its imports read.

Three ledgers: activities (with attendance), campaigns (专项行动) and 双报到 volunteer
service. In each, a row with a 编号 is a record already kept (an edited export): its
details are compared with the record and changed through the module's update service
when they differ. A row without one is new, recorded through the bulk service with the
others in one audited write; one already recorded under the same natural key (an
activity's organization, day and topic; a campaign's organizer, title and first day; a
service's community, volunteer, day and content) counts as unchanged, so the same rows
in another file are not recorded twice.

Persons are written as the viewer may see them: an attendee, speaker or volunteer
outside her scope is left out of the export, and a cell that still reads as exported is
not resolved again on import, so a re-import never trips over a hidden or homonymous
person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from taizhang.activities.models import (
    Activity,
    ActivityKind,
    ActivityMode,
    Attendance,
    AttendanceMode,
    Campaign,
    VenueCategory,
    VolunteerService,
)
from taizhang.activities.permissions import (
    ACTIVITY,
    CAMPAIGN,
    MANAGE,
    VOLUNTEER_SERVICE,
)
from taizhang.activities.services import (
    ActivityIn,
    CampaignIn,
    ServiceIn,
    activity_attendance_set,
    activity_import,
    activity_import_undo,
    activity_update,
    campaign_import,
    campaign_import_undo,
    campaign_update,
    check_speaker_and_sessions,
    co_host_names_normalized,
    volunteer_service_import,
    volunteer_service_import_undo,
    volunteer_service_update,
)
from taizhang.core.actors import Actor
from taizhang.core.exports import DATE, DECIMAL, INTEGER
from taizhang.core.imports import CHOICE, TIME, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.people.matching import PersonMatcher
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

SEPARATOR = "、"


def _kinds() -> list[tuple[Any, Any]]:
    return [(k.code, k.name) for k in ActivityKind.objects.filter(is_active=True)]


def _venues() -> list[tuple[Any, Any]]:
    return [(v.code, v.name) for v in VenueCategory.objects.filter(is_active=True)]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _names(values: Sequence[Any]) -> str:
    return SEPARATOR.join(_text(v) for v in values if _text(v))


def _hhmm(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _summary(fields: dict[str, Field], keys: Iterable[str]) -> str:
    return ", ".join(fields[k].title if k in fields else k for k in keys)


def _org_cells(row: Row, org: Any, ctx: Context) -> bool:
    """A recorded row keeps its organization: a code or name that now names another one
    is refused, since the services do not move records between units."""
    code, name = _text(row.get("org_code")), _text(row.get("org"))
    if code and code != org.code:
        ctx.error(row, "org_code", _("The organization of a recorded row cannot be changed."))
        return False
    if not code and name and name not in {org.name, org.short_name}:
        ctx.error(row, "org", _("The organization of a recorded row cannot be changed."))
        return False
    return True


def _validation(row: Row, error: ValidationError, ctx: Context, fallback: str) -> None:
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            ctx.error(row, key if key in ctx.fields else fallback, "；".join(messages))
    else:
        ctx.error(row, fallback, "；".join(error.messages))


# --- activities ------------------------------------------------------------------------

FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new activity")),
    Field(
        "org_code",
        gettext_lazy("organization code"),
        help=gettext_lazy("the unit's code; or leave empty and write its name"),
    ),
    Field(
        "org",
        gettext_lazy("holding organization"),
        width=18,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field("kind", gettext_lazy("activity kind"), CHOICE, required=True, choices=_kinds),
    Field("title", gettext_lazy("topic"), required=True, width=28),
    Field("held_on", gettext_lazy("date held"), DATE, required=True),
    Field("start_time", gettext_lazy("start time"), TIME),
    Field("end_time", gettext_lazy("end time"), TIME),
    Field("mode", gettext_lazy("online or offline"), CHOICE, choices=lambda: ActivityMode.choices),
    Field("venue", gettext_lazy("venue"), width=16),
    Field("venue_category", gettext_lazy("venue category"), CHOICE, choices=_venues),
    Field("speaker", gettext_lazy("speaker"), help=gettext_lazy("a person's name")),
    Field(
        "speaker_name",
        gettext_lazy("external speaker"),
        help=gettext_lazy("a speaker from outside the registry; leave the speaker empty"),
    ),
    Field("speaker_title", gettext_lazy("speaker's title or affiliation"), width=18),
    Field(
        "co_host_names",
        gettext_lazy("co-hosts outside the organization tree"),
        many=True,
        width=20,
    ),
    Field(
        "attendees",
        gettext_lazy("attendees"),
        many=True,
        width=24,
        help=gettext_lazy("names; leave empty and give a headcount instead"),
    ),
    Field(
        "participants",
        gettext_lazy("participants"),
        INTEGER,
        unit=pgettext_lazy("unit of measure", "people"),
        help=gettext_lazy("the headcount when no names are listed"),
    ),
    Field(
        "sessions",
        pgettext_lazy("activity", "number of sessions"),
        INTEGER,
        help=gettext_lazy("empty: one; an entry for repeated sessions gives their number"),
    ),
    Field("summary", gettext_lazy("summary"), width=30),
)

# The details an import may change on an activity already recorded (besides the
# speaker and the attendance, compared as the export writes them).
COMPARED = (
    "kind",
    "title",
    "held_on",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "venue_category",
    "speaker_name",
    "speaker_title",
    "co_host_names",
    "sessions",
    "summary",
)


def visible_attendance(viewer: Actor) -> Prefetch[Any]:
    """The attendance rows of persons ``viewer`` may see, in the order they were taken
    (``visible_attendance`` on each activity); the others are counted, never named."""
    return Prefetch(
        "attendance",
        queryset=Attendance.objects.filter(person__in=PERSON.queryset(viewer))
        .select_related("person")
        .order_by("pk"),
        to_attr="visible_attendance",
    )


def _visible_speakers(viewer: Actor, activities: Sequence[Activity]) -> set[int]:
    ids = {a.speaker_id for a in activities if a.speaker_id}
    if not ids:
        return set()
    return set(PERSON.queryset(viewer).filter(pk__in=ids).values_list("pk", flat=True))


def _attendee_names(activity: Activity) -> str:
    return _names([a.person.name for a in getattr(activity, "visible_attendance", [])])


def activity_row(activity: Activity, *, speaker_visible: bool) -> list[Any]:
    """One activity as the export writes it (the importer's columns, in order).

    ``activity`` comes with ``visible_attendance`` prefetched for the viewer.
    """
    return [
        activity.pk,
        activity.org.code,
        activity.org.name,
        activity.kind.name,
        activity.title,
        activity.held_on,
        _hhmm(activity.start_time),
        _hhmm(activity.end_time),
        activity.get_mode_display(),
        activity.venue,
        activity.venue_category.name if activity.venue_category else "",
        activity.speaker.name if activity.speaker and speaker_visible else "",
        activity.speaker_name,
        activity.speaker_title,
        _names(activity.outside_co_hosts),
        _attendee_names(activity),
        activity.participants,
        activity.sessions,
        activity.summary,
    ]


def activity_rows(viewer: Actor, activities: Sequence[Activity]) -> list[list[Any]]:
    """A chunk of activities as export rows: one query for the visible speakers."""
    speakers = _visible_speakers(viewer, activities)
    return [activity_row(a, speaker_visible=a.speaker_id in speakers) for a in activities]


@dataclass
class AttendanceChange:
    mode: str
    attendees: list[Person]
    headcount: int


@dataclass
class Change:
    row: Row
    activity: Activity
    fields: dict[str, Any]
    attendance: AttendanceChange | None = None


class ActivityImporter(Importer):
    kind = "activities.activity"
    label = gettext_lazy("Activities")
    permission = MANAGE
    fields = FIELDS
    order = 60

    def examples(self) -> list[dict[str, Any]]:
        kinds = _kinds()
        return [
            {
                "org_code": "3201",
                "kind": kinds[0][1] if kinds else "",
                "title": _("Study of the Party constitution"),
                "held_on": dt.date(2026, 3, 15),
                "start_time": "09:00",
                "mode": ActivityMode.OFFLINE.label,
                "venue": _("Community meeting room"),
                "participants": 35,
            },
            {
                "org_code": "3201",
                "kind": kinds[0][1] if kinds else "",
                "title": _("Themed Party day"),
                "held_on": dt.date(2026, 4, 1),
                "attendees": [_("Zhang Wei"), _("Li Na（1234）")],
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows if not r.get("id")})
        persons = PersonMatcher(ctx.actor)
        persons.preload(
            {n for r in rows for n in [*(r.get("attendees") or []), r.get("speaker") or ""]}
        )
        kinds = {k.code: k for k in ActivityKind.objects.all()}
        venues = {v.code: v for v in VenueCategory.objects.all()}
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {
            a.pk: a
            for a in ACTIVITY.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("org", "kind", "venue_category", "speaker", "campaign")
            .prefetch_related(visible_attendance(ctx.actor))
        }
        speakers = _visible_speakers(ctx.actor, list(existing.values()))
        create: list[tuple[Row, ActivityIn]] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, dt.date, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            if row.get("id"):
                activity = existing.get(row.get("id"))
                if activity is None:
                    ctx.error(row, "id", _("No activity with this number within your scope."))
                    continue
                change = self._compare(
                    row, activity, activity.speaker_id in speakers, ctx, persons, kinds, venues
                )
                if change is None:
                    continue
                if change.fields or change.attendance:
                    update.append(change)
                    keys = [*change.fields, *(["attendees"] if change.attendance else [])]
                    preview.append(
                        (row.number, "update", f"{activity.title} · {_summary(ctx.fields, keys)}")
                    )
                else:
                    unchanged += 1
                continue
            data = self._new(row, ctx, orgs, persons, kinds, venues)
            if data is None:
                continue
            key = (data.org.pk, data.held_on, data.title)
            if key in seen:
                ctx.error(row, "title", _("The same activity appears twice in this file."))
                continue
            seen.add(key)
            if not self._valid(row, data, ctx):
                continue
            create.append((row, data))
        # An activity already recorded under the same unit, day and topic is not new.
        duplicates = self._recorded(set(seen))
        kept = []
        for row, data in create:
            if (data.org.pk, data.held_on, data.title) in duplicates:
                unchanged += 1
            else:
                kept.append((row, data))
                preview.append(
                    (row.number, "create", f"{data.held_on} {data.org.name} {data.title}")
                )
        preview.sort(key=lambda p: p[0])
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _details(
        self,
        row: Row,
        kinds: dict[str, ActivityKind],
        venues: dict[str, VenueCategory],
    ) -> dict[str, Any]:
        return {
            "title": _text(row.get("title")),
            "held_on": row.get("held_on"),
            "start_time": row.get("start_time"),
            "end_time": row.get("end_time"),
            "mode": row.get("mode") or ActivityMode.OFFLINE,
            "venue": _text(row.get("venue")),
            "summary": _text(row.get("summary")),
            "speaker_name": _text(row.get("speaker_name")),
            "speaker_title": _text(row.get("speaker_title")),
            "co_host_names": co_host_names_normalized(
                "\n".join(_text(n) for n in row.get("co_host_names") or [])
            ),
            "sessions": 1 if row.get("sessions") is None else row.get("sessions"),
            "kind": kinds.get(row.get("kind")),
            "venue_category": venues.get(row.get("venue_category")),
        }

    def _compare(
        self,
        row: Row,
        activity: Activity,
        speaker_visible: bool,
        ctx: Context,
        persons: PersonMatcher,
        kinds: dict[str, ActivityKind],
        venues: dict[str, VenueCategory],
    ) -> Change | None:
        """What the row changes on a recorded activity (None: the row is refused)."""
        if not _org_cells(row, activity.org, ctx):
            return None
        values = self._details(row, kinds, venues)
        changed = {k: values[k] for k in COMPARED if getattr(activity, k) != values[k]}
        ok = True
        shown_speaker = activity.speaker.name if activity.speaker and speaker_visible else ""
        if _text(row.raw.get("speaker")) != shown_speaker:
            try:
                speaker = persons.match(row.get("speaker")) if row.get("speaker") else None
            except Unmatched as error:
                ctx.error(row, "speaker", error)
                ok = False
            else:
                if speaker != activity.speaker:
                    changed["speaker"] = speaker
        attendance = None
        names = _names(row.get("attendees") or [])
        headcount = row.get("participants")
        if names != _attendee_names(activity):
            attendees = []
            for name in row.get("attendees") or []:
                try:
                    attendees.append(persons.match(name))
                except Unmatched as error:
                    ctx.error(row, "attendees", error, value=name)
                    ok = False
            if attendees:
                attendance = AttendanceChange(AttendanceMode.LIST, attendees, 0)
            else:
                attendance = AttendanceChange(AttendanceMode.HEADCOUNT, [], headcount or 0)
        elif (
            activity.attendance_mode == AttendanceMode.HEADCOUNT
            and headcount is not None
            and headcount != activity.participants
        ):
            attendance = AttendanceChange(AttendanceMode.HEADCOUNT, [], headcount)
        if not ok:
            return None
        try:
            end, start = values["end_time"], values["start_time"]
            if start and end and end < start:
                raise ValidationError({"end_time": _("The activity cannot end before it starts.")})
            campaign = activity.campaign
            held_on = values["held_on"]
            if campaign is not None and not (campaign.start_date <= held_on <= campaign.end_date):
                raise ValidationError(
                    {"held_on": _("The activity falls outside the campaign's period.")}
                )
            if held_on > ctx.today:
                raise ValidationError(
                    {"held_on": _("An activity is recorded once it has been held.")}
                )
            if values["kind"] is None:
                raise ValidationError({"kind": _("Pick a value from the list.")})
            check_speaker_and_sessions(
                changed.get("speaker", activity.speaker), values["speaker_name"], values["sessions"]
            )
        except ValidationError as error:
            _validation(row, error, ctx, "title")
            return None
        return Change(row, activity, changed, attendance)

    def _new(
        self,
        row: Row,
        ctx: Context,
        orgs: OrganizationMatcher,
        persons: PersonMatcher,
        kinds: dict[str, ActivityKind],
        venues: dict[str, VenueCategory],
    ) -> ActivityIn | None:
        values = self._details(row, kinds, venues)
        org = orgs.match_row(row, ctx)
        ok = org is not None
        try:
            speaker = persons.match(row.get("speaker")) if row.get("speaker") else None
        except Unmatched as error:
            ctx.error(row, "speaker", error)
            ok = False
        attendees = []
        for name in row.get("attendees") or []:
            try:
                attendees.append(persons.match(name))
            except Unmatched as error:
                ctx.error(row, "attendees", error, value=name)
                ok = False
        if not ok or org is None:
            return None
        # With names listed, the list is counted and a headcount beside it is ignored.
        return ActivityIn(
            org=org,
            kind=values["kind"],
            title=values["title"],
            held_on=values["held_on"],
            attendance_mode=AttendanceMode.LIST if attendees else AttendanceMode.HEADCOUNT,
            attendees=attendees,
            headcount=0 if attendees else (row.get("participants") or 0),
            start_time=values["start_time"],
            end_time=values["end_time"],
            mode=values["mode"],
            venue=values["venue"],
            venue_category=values["venue_category"],
            speaker=speaker,
            speaker_name=values["speaker_name"],
            speaker_title=values["speaker_title"],
            co_host_names=values["co_host_names"],
            sessions=values["sessions"],
            summary=values["summary"],
        )

    def _valid(self, row: Row, data: ActivityIn, ctx: Context) -> bool:
        """The checks ``activity_import`` makes, answered per row before anything is written."""
        try:
            if data.start_time and data.end_time and data.end_time < data.start_time:
                raise ValidationError({"end_time": _("The activity cannot end before it starts.")})
            if data.held_on > ctx.today:
                raise ValidationError(
                    {"held_on": _("An activity is recorded once it has been held.")}
                )
            if data.headcount < 0:
                raise ValidationError({"participants": _("The headcount cannot be negative.")})
            check_speaker_and_sessions(data.speaker, data.speaker_name, data.sessions)
            Activity(
                org=data.org,
                kind=data.kind,
                title=data.title,
                held_on=data.held_on,
                venue=data.venue,
                summary=data.summary,
                mode=data.mode,
            ).clean_fields(
                exclude=[
                    "org",
                    "kind",
                    "created_by",
                    "speaker",
                    "venue_category",
                    "campaign",
                    "team",
                    "grouping",
                    "participants",
                ]
            )
        except ValidationError as error:
            _validation(row, error, ctx, "title")
            return False
        return True

    def _recorded(self, keys: set[tuple[int, dt.date, str]]) -> set[tuple[int, dt.date, str]]:
        if not keys:
            return set()
        days = {k[1] for k in keys}
        qs = Activity.objects.filter(
            org_id__in={k[0] for k in keys},
            held_on__gte=min(days),
            held_on__lte=max(days),
            title__in={k[2] for k in keys},
        ).values_list("org_id", "held_on", "title")
        return {tuple(v) for v in qs if tuple(v) in keys}  # type: ignore[misc]

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = activity_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for done, change in enumerate(plan.update, start=1):
            if change.fields:
                activity_update(activity=change.activity, acting_user=ctx.actor, **change.fields)
            if change.attendance is not None:
                activity_attendance_set(
                    activity=change.activity,
                    attendance_mode=change.attendance.mode,
                    attendees=change.attendance.attendees,
                    headcount=change.attendance.headcount,
                    acting_user=ctx.actor,
                )
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={"activities.activity": [a.pk for a in created]},
            updated={"activities.activity": [c.activity.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        activity_import_undo(
            ids=written.created.get("activities.activity", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


IMPORTER = ActivityImporter()


# --- campaigns (专项行动) -----------------------------------------------------------------

CAMPAIGN_FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new campaign")),
    Field(
        "org_code",
        gettext_lazy("organization code"),
        help=gettext_lazy("the unit's code; or leave empty and write its name"),
    ),
    Field(
        "org",
        gettext_lazy("organizing organization"),
        width=18,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field("title", gettext_lazy("campaign title"), required=True, width=28),
    Field("kind", gettext_lazy("activity kind"), CHOICE, choices=_kinds),
    Field(
        "target_count",
        gettext_lazy("target number of activities"),
        INTEGER,
        required=True,
        unit=gettext_lazy("activities"),
    ),
    Field("start_date", gettext_lazy("start date"), DATE, required=True),
    Field("end_date", gettext_lazy("end date"), DATE, required=True),
    Field(
        "venue_categories",
        gettext_lazy("venue categories to reach"),
        CHOICE,
        choices=_venues,
        many=True,
        width=24,
    ),
    Field("description", gettext_lazy("campaign description"), width=30),
    Field("teams", gettext_lazy("teams and their quotas"), readonly=True, width=24),
    Field(
        "done",
        gettext_lazy("activities counted"),
        INTEGER,
        readonly=True,
        unit=gettext_lazy("activities"),
    ),
)
CAMPAIGN_COMPARED = ("title", "kind", "target_count", "start_date", "end_date", "description")


def campaign_row(campaign: Campaign) -> list[Any]:
    """One campaign as the export writes it; ``campaign`` comes from ``campaign_list``
    (``done`` annotated) with its venue categories and teams prefetched."""
    teams = _names([f"{t.name}（{t.quota}）" for t in campaign.teams.all()])
    return [
        campaign.pk,
        campaign.org.code,
        campaign.org.name,
        campaign.title,
        campaign.kind.name if campaign.kind else "",
        campaign.target_count,
        campaign.start_date,
        campaign.end_date,
        _names([v.name for v in campaign.venue_categories.all()]),
        campaign.description,
        teams,
        getattr(campaign, "done", 0),
    ]


@dataclass
class CampaignChange:
    row: Row
    campaign: Campaign
    fields: dict[str, Any] = field(default_factory=dict)


class CampaignImporter(Importer):
    kind = "activities.campaign"
    label = gettext_lazy("Campaigns")
    permission = MANAGE
    fields = CAMPAIGN_FIELDS
    order = 61

    def examples(self) -> list[dict[str, Any]]:
        venues = _venues()
        return [
            {
                "org_code": "3201",
                "title": _("A hundred outreach talks"),
                "target_count": 100,
                "start_date": dt.date(2026, 3, 1),
                "end_date": dt.date(2026, 12, 31),
                "venue_categories": [label for _code, label in venues[:3]],
            }
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows if not r.get("id")})
        kinds = {k.code: k for k in ActivityKind.objects.all()}
        venues = {v.code: v for v in VenueCategory.objects.all()}
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {
            c.pk: c
            for c in CAMPAIGN.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("org", "kind")
            .prefetch_related("venue_categories")
        }
        create: list[tuple[Row, CampaignIn]] = []
        update: list[CampaignChange] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, str, dt.date]] = set()
        unchanged = 0
        for row in rows:
            values = {
                "title": _text(row.get("title")),
                "kind": kinds.get(row.get("kind")) if row.get("kind") else None,
                "target_count": row.get("target_count"),
                "start_date": row.get("start_date"),
                "end_date": row.get("end_date"),
                "description": _text(row.get("description")),
            }
            categories = [venues[c] for c in dict.fromkeys(row.get("venue_categories") or [])]
            if not self._valid(row, values, ctx):
                continue
            if row.get("id"):
                campaign = existing.get(row.get("id"))
                if campaign is None:
                    ctx.error(row, "id", _("No campaign with this number within your scope."))
                    continue
                if not _org_cells(row, campaign.org, ctx):
                    continue
                changed = {
                    k: values[k] for k in CAMPAIGN_COMPARED if getattr(campaign, k) != values[k]
                }
                before = sorted(v.pk for v in campaign.venue_categories.all())
                if sorted(v.pk for v in categories) != before:
                    changed["venue_categories"] = categories
                if changed:
                    update.append(CampaignChange(row, campaign, changed))
                    preview.append(
                        (
                            row.number,
                            "update",
                            f"{campaign.title} · {_summary(ctx.fields, changed)}",
                        )
                    )
                else:
                    unchanged += 1
                continue
            org = orgs.match_row(row, ctx)
            if org is None:
                continue
            key = (org.pk, values["title"], values["start_date"])
            if key in seen:
                ctx.error(row, "title", _("The same campaign appears twice in this file."))
                continue
            seen.add(key)
            create.append((row, CampaignIn(org=org, venue_categories=categories, **values)))
        recorded = self._recorded(seen)
        kept = []
        for row, data in create:
            if (data.org.pk, data.title, data.start_date) in recorded:
                unchanged += 1
                continue
            kept.append((row, data))
            preview.append((row.number, "create", f"{data.org.name} {data.title}"))
        preview.sort(key=lambda p: p[0])
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _valid(self, row: Row, values: dict[str, Any], ctx: Context) -> bool:
        """The checks ``campaign_create`` and ``campaign_update`` make."""
        try:
            if values["end_date"] < values["start_date"]:
                raise ValidationError({"end_date": _("The campaign cannot end before it starts.")})
            if values["target_count"] < 1:
                raise ValidationError(
                    {"target_count": _("The target must be at least one activity.")}
                )
            Campaign(
                title=values["title"],
                target_count=values["target_count"],
                start_date=values["start_date"],
                end_date=values["end_date"],
                description=values["description"],
            ).clean_fields(exclude=["org", "kind"])
        except ValidationError as error:
            _validation(row, error, ctx, "title")
            return False
        return True

    def _recorded(self, keys: set[tuple[int, str, dt.date]]) -> set[tuple[int, str, dt.date]]:
        if not keys:
            return set()
        qs = Campaign.objects.filter(
            org_id__in={k[0] for k in keys}, title__in={k[1] for k in keys}
        ).values_list("org_id", "title", "start_date")
        return {tuple(v) for v in qs if tuple(v) in keys}  # type: ignore[misc]

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = campaign_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for change in plan.update:
            campaign_update(campaign=change.campaign, acting_user=ctx.actor, **change.fields)
        return Written(
            created={"activities.campaign": [c.pk for c in created]},
            updated={"activities.campaign": [c.campaign.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        campaign_import_undo(
            ids=written.created.get("activities.campaign", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


CAMPAIGN_IMPORTER = CampaignImporter()


# --- 双报到 volunteer service ---------------------------------------------------------------

SERVICE_FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new record")),
    Field(
        "org_code",
        gettext_lazy("organization code"),
        help=gettext_lazy("the community's code; or leave empty and write its name"),
    ),
    Field(
        "org",
        gettext_lazy("community served"),
        width=18,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field(
        "person",
        gettext_lazy("volunteer"),
        help=gettext_lazy("required for a new record; a person's name"),
    ),
    Field("person_org", gettext_lazy("volunteer's organization"), readonly=True, width=18),
    Field("served_on", gettext_lazy("date served"), DATE, required=True),
    Field(
        "hours",
        gettext_lazy("hours served"),
        DECIMAL,
        required=True,
        unit=pgettext_lazy("unit of measure", "hours"),
    ),
    Field("content", gettext_lazy("service content"), required=True, width=30),
)
SERVICE_COMPARED = ("served_on", "hours", "content")


def service_row(record: VolunteerService, *, person_visible: bool) -> list[Any]:
    """One 双报到 record as the export writes it; a volunteer outside the viewer's scope
    is not named."""
    return [
        record.pk,
        record.org.code,
        record.org.name,
        record.person.name if person_visible else "",
        record.person.organization.name if person_visible else "",
        record.served_on,
        record.hours,
        record.content,
    ]


@dataclass
class ServiceChange:
    row: Row
    record: VolunteerService
    fields: dict[str, Any]


class VolunteerServiceImporter(Importer):
    kind = "activities.volunteer_service"
    label = gettext_lazy("Volunteer service (双报到)")
    permission = MANAGE
    fields = SERVICE_FIELDS
    order = 62

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "person": _("Zhang Wei"),
                "served_on": dt.date(2026, 3, 15),
                "hours": Decimal(2),
                "content": _("Tidying up the neighbourhood"),
            }
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows if not r.get("id")})
        persons = PersonMatcher(ctx.actor)
        persons.preload({r.get("person") or "" for r in rows if not r.get("id")})
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {
            s.pk: s
            for s in VOLUNTEER_SERVICE.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("org", "person")
        }
        visible = set(
            PERSON.queryset(ctx.actor)
            .filter(pk__in={s.person_id for s in existing.values()})
            .values_list("pk", flat=True)
        )
        create: list[tuple[Row, ServiceIn]] = []
        update: list[ServiceChange] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, int, dt.date, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            values = {
                "served_on": row.get("served_on"),
                "hours": Decimal(row.get("hours")).quantize(Decimal("0.1")),
                "content": _text(row.get("content")),
            }
            if not self._valid(row, values, ctx):
                continue
            if row.get("id"):
                record = existing.get(row.get("id"))
                if record is None:
                    ctx.error(row, "id", _("No service record with this number within your scope."))
                    continue
                if not _org_cells(row, record.org, ctx):
                    continue
                shown_name = record.person.name if record.person_id in visible else ""
                if _text(row.raw.get("person")) != shown_name:
                    ctx.error(
                        row,
                        "person",
                        _("The volunteer of a recorded service cannot be changed."),
                    )
                    continue
                changed = {
                    k: values[k] for k in SERVICE_COMPARED if getattr(record, k) != values[k]
                }
                if changed:
                    update.append(ServiceChange(row, record, changed))
                    preview.append(
                        (
                            row.number,
                            "update",
                            f"{shown_name} {record.served_on} · {_summary(ctx.fields, changed)}",
                        )
                    )
                else:
                    unchanged += 1
                continue
            org = orgs.match_row(row, ctx)
            ok = org is not None
            if not row.get("person"):
                ctx.error(row, "person", _("Name the volunteer."))
                ok = False
            else:
                try:
                    person = persons.match(row.get("person"))
                except Unmatched as error:
                    ctx.error(row, "person", error)
                    ok = False
            if not ok or org is None:
                continue
            key = (org.pk, person.pk, values["served_on"], values["content"])
            if key in seen:
                ctx.error(row, "content", _("The same service appears twice in this file."))
                continue
            seen.add(key)
            create.append((row, ServiceIn(org=org, person=person, **values)))
        recorded = self._recorded(seen)
        kept = []
        for row, data in create:
            if (data.org.pk, data.person.pk, data.served_on, data.content) in recorded:
                unchanged += 1
                continue
            kept.append((row, data))
            preview.append(
                (row.number, "create", f"{data.served_on} {data.org.name} {data.person.name}")
            )
        preview.sort(key=lambda p: p[0])
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _valid(self, row: Row, values: dict[str, Any], ctx: Context) -> bool:
        """The checks ``volunteer_service_import`` makes (``_build_service``)."""
        try:
            if values["served_on"] > ctx.today:
                raise ValidationError({"served_on": _("A service is recorded once it is done.")})
            if not Decimal(0) < values["hours"] <= Decimal(24):
                raise ValidationError(
                    {"hours": _("Hours of one service are more than 0 and at most 24.")}
                )
            VolunteerService(**values).clean_fields(exclude=["org", "person", "activity"])
        except ValidationError as error:
            _validation(row, error, ctx, "content")
            return False
        return True

    def _recorded(
        self, keys: set[tuple[int, int, dt.date, str]]
    ) -> set[tuple[int, int, dt.date, str]]:
        if not keys:
            return set()
        days = {k[2] for k in keys}
        qs: QuerySet[VolunteerService] = VolunteerService.objects.filter(
            Q(org_id__in={k[0] for k in keys}),
            person_id__in={k[1] for k in keys},
            served_on__gte=min(days),
            served_on__lte=max(days),
        )
        found = qs.values_list("org_id", "person_id", "served_on", "content")
        return {tuple(v) for v in found if tuple(v) in keys}  # type: ignore[misc]

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = volunteer_service_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for change in plan.update:
            volunteer_service_update(service=change.record, acting_user=ctx.actor, **change.fields)
        return Written(
            created={"activities.volunteerservice": [s.pk for s in created]},
            updated={"activities.volunteerservice": [c.record.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        volunteer_service_import_undo(
            ids=written.created.get("activities.volunteerservice", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


SERVICE_IMPORTER = VolunteerServiceImporter()
