"""Writes for activities, campaigns and 双报到 records: one audit event per call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from taizhang.activities.models import (
    Activity,
    ActivityAttachment,
    ActivityKind,
    AttachmentKind,
    Attendance,
    AttendanceMode,
    Campaign,
    CampaignTeam,
    VenueCategory,
    VolunteerService,
)
from taizhang.activities.permissions import (
    ACTIVITY,
    CAMPAIGN,
    CAMPAIGN_TEAM,
    CONFIGURE,
    VIEW,
    VOLUNTEER_SERVICE,
)
from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.services import update_with_audit
from taizhang.core.uploads import check_uploads
from taizhang.core.versions import lock_at_version, require_version
from taizhang.organizations.models import Grouping, Organization
from taizhang.organizations.permissions import GROUPING
from taizhang.organizations.policy import unknown_message
from taizhang.organizations.selectors import grouping_member_ids
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

ACTIVITY_FIELDS = [
    "org",
    "kind",
    "title",
    "held_on",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "venue_category",
    "speaker",
    "speaker_name",
    "speaker_title",
    "co_host_names",
    "sessions",
    "materials",
    "summary",
    "campaign",
    "team",
    "grouping",
    "attendance_mode",
    "participants",
]
CAMPAIGN_FIELDS = ["org", "title", "kind", "target_count", "start_date", "end_date", "description"]
TEAM_FIELDS = ["campaign", "name", "org", "quota", "leader"]


def _require_function(acting_user: Actor, permission: str) -> None:
    require_actor(acting_user)
    if not is_system(acting_user):
        require(acting_user.has_function(permission))


def _within(org: Organization, outer: Organization) -> bool:
    return bool(org.path.startswith(outer.path))


@transaction.atomic
def activity_kind_create(
    *, code: str, name: str, sort_order: int = 100, acting_user: Actor
) -> ActivityKind:
    """Extend the kind dictionary (系统管理员)."""
    _require_function(acting_user, CONFIGURE)
    kind = ActivityKind(code=code, name=name, sort_order=sort_order)
    kind.full_clean()
    kind.save()
    audit_record(
        actor=acting_user,
        action="activity_kind.create",
        obj=kind,
        changes=diff({}, snapshot(kind, ["code", "name", "sort_order"])),
    )
    return kind


@transaction.atomic
def venue_category_create(
    *, code: str, name: str, sort_order: int = 100, acting_user: Actor
) -> VenueCategory:
    """Extend the venue categories (系统管理员)."""
    _require_function(acting_user, CONFIGURE)
    category = VenueCategory(code=code, name=name, sort_order=sort_order)
    category.full_clean()
    category.save()
    audit_record(
        actor=acting_user,
        action="venue_category.create",
        obj=category,
        changes=diff({}, snapshot(category, ["code", "name", "sort_order"])),
    )
    return category


DICTIONARY_FIELDS = ["code", "name", "sort_order"]


def _dictionary_update(
    row: ActivityKind | VenueCategory,
    changes: dict[str, Any],
    action: str,
    acting_user: Actor,
    version: int | None = None,
) -> None:
    _require_function(acting_user, CONFIGURE)
    lock_at_version(row, version)
    update_with_audit(
        row,
        changes=changes,
        editable=["name", "sort_order"],
        audited=DICTIONARY_FIELDS,
        action=action,
        acting_user=acting_user,
    )


def _dictionary_set_active(
    row: ActivityKind | VenueCategory, active: bool, prefix: str, acting_user: Actor
) -> None:
    _require_function(acting_user, CONFIGURE)
    update_with_audit(
        row,
        changes={"is_active": active},
        editable=["is_active"],
        audited=["is_active"],
        action=f"{prefix}.reactivate" if active else f"{prefix}.deactivate",
        acting_user=acting_user,
    )


@transaction.atomic
def activity_kind_update(
    *, kind: ActivityKind, changes: dict[str, Any], acting_user: Actor, version: int | None = None
) -> ActivityKind:
    """Rename or reorder a kind; its code stays (the API and the figures name it).
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    _dictionary_update(kind, changes, "activity_kind.update", acting_user, version)
    return kind


@transaction.atomic
def activity_kind_set_active(
    *, kind: ActivityKind, active: bool, acting_user: Actor
) -> ActivityKind:
    """Deactivate (no longer offered for new activities; recorded ones keep it) or
    reactivate a kind. Kinds are never deleted: activities point to them."""
    _dictionary_set_active(kind, active, "activity_kind", acting_user)
    return kind


@transaction.atomic
def venue_category_update(
    *,
    category: VenueCategory,
    changes: dict[str, Any],
    acting_user: Actor,
    version: int | None = None,
) -> VenueCategory:
    _dictionary_update(category, changes, "venue_category.update", acting_user, version)
    return category


@transaction.atomic
def venue_category_set_active(
    *, category: VenueCategory, active: bool, acting_user: Actor
) -> VenueCategory:
    """Deactivate or reactivate a venue category; activities and campaigns keep theirs."""
    _dictionary_set_active(category, active, "venue_category", acting_user)
    return category


@dataclass
class ActivityIn:
    """One activity to record; attendance is either ``attendees`` or ``headcount``."""

    org: Organization
    kind: ActivityKind
    title: str
    held_on: dt.date
    attendance_mode: str = AttendanceMode.HEADCOUNT
    attendees: Sequence[Person] = ()
    headcount: int = 0
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    mode: str = "offline"
    venue: str = ""
    venue_category: VenueCategory | None = None
    speaker: Person | None = None
    speaker_name: str = ""
    speaker_title: str = ""
    materials: str = ""
    summary: str = ""
    campaign: Campaign | None = None
    team: CampaignTeam | None = None
    co_orgs: Sequence[Organization] = field(default_factory=tuple)
    co_host_names: str = ""
    sessions: int = 1
    grouping: Grouping | None = None


def _check_attendance(mode: str, attendees: set[int], headcount: int) -> int:
    """The participants figure for the record (``attendees``: person ids), or refuse an
    inconsistent attendance."""
    if mode == AttendanceMode.LIST:
        if headcount and headcount != len(attendees):
            raise ValidationError(
                {"headcount": _("A list of attendees is counted, not typed in as a headcount.")}
            )
        return len(attendees)
    if mode == AttendanceMode.HEADCOUNT:
        if attendees:
            raise ValidationError(
                {"attendees": _("A headcount-only activity has no list of attendees.")}
            )
        if headcount < 0:
            raise ValidationError({"headcount": _("The headcount cannot be negative.")})
        return headcount
    raise ValidationError({"attendance_mode": _("Unknown attendance mode.")})


RELATED = ["org", "kind", "venue_category", "speaker", "campaign", "team", "grouping"]


def _build(row: ActivityIn, acting_user: Actor) -> Activity:
    if row.team is not None and row.campaign is None:
        row.campaign = row.team.campaign
    if row.team is not None and row.team.campaign_id != getattr(row.campaign, "pk", None):
        raise ValidationError({"team": _("The team belongs to another campaign.")})
    campaign = row.campaign
    if campaign is not None and not (campaign.start_date <= row.held_on <= campaign.end_date):
        raise ValidationError({"held_on": _("The activity falls outside the campaign's period.")})
    if row.start_time and row.end_time and row.end_time < row.start_time:
        raise ValidationError({"end_time": _("The activity cannot end before it starts.")})
    participants = _check_attendance(
        row.attendance_mode, {p.pk for p in row.attendees}, row.headcount
    )
    check_speaker_and_sessions(row.speaker, row.speaker_name, row.sessions)
    activity = Activity(
        org=row.org,
        kind=row.kind,
        title=row.title.strip(),
        held_on=row.held_on,
        start_time=row.start_time,
        end_time=row.end_time,
        mode=row.mode,
        venue=row.venue.strip(),
        venue_category=row.venue_category,
        speaker=row.speaker,
        speaker_name=row.speaker_name.strip(),
        speaker_title=row.speaker_title.strip(),
        co_host_names=co_host_names_normalized(row.co_host_names),
        sessions=row.sessions,
        materials=row.materials.strip(),
        summary=row.summary.strip(),
        campaign=campaign,
        team=row.team,
        grouping=row.grouping,
        attendance_mode=row.attendance_mode,
        participants=participants,
        created_by=user_of(acting_user),
    )
    # Related rows come in as instances, so their existence needs no query per row.
    activity.full_clean(exclude=["created_by", *RELATED])
    return activity


def _ensure_persons_visible(
    acting_user: Actor, persons: Sequence[Person], field: str = "attendees"
) -> None:
    """Attendees, speakers, team members and volunteers must be persons the recorder
    may see: the one person rule (``PERSON``), its cross-tree rules (双报到) included."""
    wanted = {p.pk for p in persons}
    if is_system(acting_user) or not wanted:
        return
    if PERSON.queryset(acting_user).filter(pk__in=wanted).count() != len(wanted):
        raise ValidationError({field: _("Some persons are outside your scope.")})


def _ensure_campaign_visible(acting_user: Actor, row: ActivityIn) -> None:
    """An activity counts only for a campaign (and team) its recorder may see."""
    if row.team is not None and not CAMPAIGN_TEAM.covers(acting_user, row.team):
        raise ValidationError({"team": unknown_message()})
    if row.campaign is not None and not CAMPAIGN.covers(acting_user, row.campaign):
        raise ValidationError({"campaign": unknown_message()})


def _check_grouping(
    acting_user: Actor, grouping: Grouping | None, org: Organization, held_on: dt.date
) -> None:
    """An activity is attributed only to a grouping its recorder may see, and only when
    the holding organization was a member on the day held."""
    if grouping is None:
        return
    GROUPING.resolve(acting_user, grouping.pk, field="grouping")
    if org.pk not in grouping_member_ids(grouping, on=held_on):
        raise ValidationError(
            {
                "grouping": _(
                    "The holding organization was not a member of this grouping on the day held."
                )
            }
        )


def _require_hosts(acting_user: Actor, orgs: Sequence[Organization]) -> None:
    """``activities.manage`` on every holding organization."""
    for org in {org.pk: org for org in orgs}.values():
        ACTIVITY.require_org(acting_user, org)


def _check_co_hosts(acting_user: Actor, co_orgs: Sequence[Organization]) -> None:
    """Co-hosts inside the tree are among ``co_host_choices``: where the recorder records
    activities, or a unit of the district (an organ, a working committee). A missing and
    an unoffered unit read the same. Co-hosts never widen who sees the activity."""
    if is_system(acting_user) or not co_orgs:
        return
    wanted = {o.pk for o in co_orgs}
    if co_host_choices(acting_user).filter(pk__in=wanted).count() != len(wanted):
        raise ValidationError({"co_orgs": unknown_message()})


def co_host_choices(viewer: Actor) -> Any:
    """The organizations of the tree an activity of ``viewer``'s may name as co-hosts."""
    from taizhang.problems.selectors import DISTRICT_UNIT_KINDS

    return Organization.objects.filter(
        Q(pk__in=ACTIVITY.org_choices(viewer).values("pk")) | Q(kind__in=DISTRICT_UNIT_KINDS),
        is_active=True,
    ).order_by("path")


def co_host_names_normalized(text: str) -> str:
    """Co-hosts outside the tree, one per line, without blanks or repeats."""
    names: list[str] = []
    for line in text.replace("、", "\n").splitlines():
        name = line.strip()
        if name and name not in names:
            names.append(name[:80])
    return "\n".join(names)


def check_speaker_and_sessions(
    speaker: Person | None, speaker_name: str, sessions: int | None
) -> None:
    if speaker is not None and speaker_name.strip():
        raise ValidationError(
            {
                "speaker_name": _(
                    "Name either a speaker of the registry or an external speaker, not both."
                )
            }
        )
    if sessions is None or sessions < 1:
        raise ValidationError({"sessions": _("An activity stands for at least one session.")})


@transaction.atomic
def activity_create(*, data: ActivityIn, acting_user: Actor) -> Activity:
    """Record one activity with its attendance (list or headcount)."""
    _require_hosts(acting_user, [data.org])
    _check_co_hosts(acting_user, data.co_orgs)
    _ensure_persons_visible(acting_user, data.attendees)
    if data.speaker is not None:
        _ensure_persons_visible(acting_user, [data.speaker], "speaker")
    _ensure_campaign_visible(acting_user, data)
    _check_grouping(acting_user, data.grouping, data.org, data.held_on)
    activity = _build(data, acting_user)
    activity.save()
    if data.co_orgs:
        activity.co_orgs.set(data.co_orgs)
    present = Attendance.objects.bulk_create(
        [
            Attendance(activity=activity, person=p)
            for p in {p.pk: p for p in data.attendees}.values()
        ]
    )
    rows_written(Activity, [activity.pk])
    rows_written(Attendance, present)
    changes = diff({}, snapshot(activity, ACTIVITY_FIELDS))
    changes["co_orgs"] = [[], sorted(o.pk for o in data.co_orgs)]
    audit_record(actor=acting_user, action="activity.create", obj=activity, changes=changes)
    return activity


@transaction.atomic
def activity_import(
    *, rows: Sequence[ActivityIn], source: str, acting_user: Actor
) -> list[Activity]:
    """Record many activities at once (a yearly ledger, the demo): one audit event.

    Every row is validated before anything is written, so one bad row writes nothing.
    """
    _require_hosts(acting_user, [row.org for row in rows])
    _check_co_hosts(acting_user, list({o.pk: o for row in rows for o in row.co_orgs}.values()))
    for row in rows:
        _ensure_campaign_visible(acting_user, row)
        _check_grouping(acting_user, row.grouping, row.org, row.held_on)
    _ensure_persons_visible(
        acting_user, [p for row in rows for p in (*row.attendees, *filter(None, [row.speaker]))]
    )
    built = [_build(row, acting_user) for row in rows]
    Activity.objects.bulk_create(built, batch_size=500)
    if not all(a.pk for a in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    # Attendance is written a slice of activities at a time and only its ids are kept: a
    # yearly ledger has hundreds of thousands of attendance rows.
    present: list[int] = []
    for start in range(0, len(built), 2000):
        part = zip(built[start : start + 2000], rows[start : start + 2000], strict=True)
        written = Attendance.objects.bulk_create(
            [
                Attendance(activity_id=activity.pk, person_id=pk)
                for activity, row in part
                for pk in sorted({p.pk for p in row.attendees})
            ],
            batch_size=2000,
        )
        present.extend(a.pk for a in written)
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(Activity, built)
    rows_written(Attendance, present)
    through: Any = Activity.co_orgs.through
    through.objects.bulk_create(
        [
            through(activity_id=activity.pk, organization_id=org.pk)
            for activity, row in zip(built, rows, strict=True)
            for org in row.co_orgs
        ]
    )
    audit_record(
        actor=acting_user,
        action="activity.import",
        object_type=Activity._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "ids": [built[0].pk, built[-1].pk]}
        if built
        else {"count": 0, "source": source},
    )
    return built


@transaction.atomic
def activity_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the activities an import created (its batch is being undone): one audit event.

    The ingest module calls this only while no later event touched those activities.
    """
    activities = list(Activity.objects.select_for_update().filter(pk__in=ids))
    _require_hosts(acting_user, [a.org for a in activities])
    attendance = list(
        Attendance.objects.filter(activity__in=activities).values_list("pk", flat=True)
    )
    with rows_changing(Attendance, attendance), rows_changing(Activity, activities):
        Attendance.objects.filter(pk__in=attendance).delete()
        through: Any = Activity.co_orgs.through
        through.objects.filter(activity_id__in=[a.pk for a in activities]).delete()
        Activity.objects.filter(pk__in=[a.pk for a in activities]).delete()
    audit_record(
        actor=acting_user,
        action="activity.import_undo",
        object_type=Activity._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(activities), "source": source},
    )
    return len(activities)


EDITABLE = {
    "kind",
    "title",
    "held_on",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "venue_category",
    "speaker",
    "speaker_name",
    "speaker_title",
    "co_host_names",
    "co_orgs",
    "sessions",
    "materials",
    "summary",
    "grouping",
}


@transaction.atomic
def activity_update(
    *, activity: Activity, acting_user: Actor, version: int | None = None, **fields: Any
) -> Activity:
    """Correct the details of an activity (not its organization or attendance).
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"Unknown activity fields: {sorted(unknown)}")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    ACTIVITY.require(acting_user, activity)
    require_version(activity, version)
    if fields.get("speaker") is not None:
        _ensure_persons_visible(acting_user, [fields["speaker"]], "speaker")
    co_orgs = fields.pop("co_orgs", None)
    old_co_orgs = sorted(activity.co_orgs.values_list("pk", flat=True))
    if co_orgs is not None:
        # Co-hosts already named stay even if the recorder could not name them now.
        _check_co_hosts(acting_user, [o for o in co_orgs if o.pk not in old_co_orgs])
    if "co_host_names" in fields:
        fields["co_host_names"] = co_host_names_normalized(fields["co_host_names"] or "")
    before = snapshot(activity, ACTIVITY_FIELDS)
    old_grouping, old_held_on = activity.grouping_id, activity.held_on
    for key, value in fields.items():
        setattr(activity, key, value.strip() if isinstance(value, str) else value)
    check_speaker_and_sessions(activity.speaker, activity.speaker_name, activity.sessions)
    if activity.start_time and activity.end_time and activity.end_time < activity.start_time:
        raise ValidationError({"end_time": _("The activity cannot end before it starts.")})
    campaign = activity.campaign
    if campaign is not None and not (campaign.start_date <= activity.held_on <= campaign.end_date):
        raise ValidationError({"held_on": _("The activity falls outside the campaign's period.")})
    # A new grouping, or a new day held, must meet the membership rule again; a grouping
    # kept on an unchanged day stays even if the recorder no longer sees it.
    if activity.grouping_id is not None and (
        activity.grouping_id != old_grouping or activity.held_on != old_held_on
    ):
        _check_grouping(acting_user, activity.grouping, activity.org, activity.held_on)
    activity.full_clean(exclude=["created_by"])
    # The day held (month), the kind and the sessions decide where and how much the
    # activity counts.
    with rows_changing(Activity, [activity.pk]):
        activity.save()
    changes = diff(before, snapshot(activity, ACTIVITY_FIELDS))
    if co_orgs is not None:
        new_co_orgs = sorted({o.pk for o in co_orgs})
        if new_co_orgs != old_co_orgs:
            activity.co_orgs.set(new_co_orgs)
            changes["co_orgs"] = [old_co_orgs, new_co_orgs]
    audit_record(actor=acting_user, action="activity.update", obj=activity, changes=changes)
    return activity


MAX_ATTACHMENTS = 30


@transaction.atomic
def activity_attachments_add(
    *, activity: Activity, kind: str, files: Sequence[Any], acting_user: Actor
) -> list[ActivityAttachment]:
    """Attach evidence (活动照片、签到表、会议记录) to an activity: every file passes
    core's upload policy (type by content, size, number); one audit event."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    ACTIVITY.require(acting_user, activity)
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Unknown kind of attachment.")})
    uploads = check_uploads(files, field="files")
    if not uploads:
        raise ValidationError({"files": _("Choose at least one file.")})
    if activity.attachments.count() + len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"files": _("An activity keeps at most %(n)s files.") % {"n": MAX_ATTACHMENTS}}
        )
    rows = [
        ActivityAttachment.objects.create(
            activity=activity,
            kind=kind,
            file=upload,
            original_name=(upload.name or "")[:200],
            size=upload.size or 0,
            uploaded_by=user_of(acting_user),
        )
        for upload in uploads
    ]
    audit_record(
        actor=acting_user,
        action="activity.attachments_add",
        obj=activity,
        changes={
            "attachments": {
                "added": [
                    {"id": a.pk, "kind": a.kind, "name": a.original_name, "size": a.size}
                    for a in rows
                ]
            }
        },
    )
    return rows


@transaction.atomic
def activity_attachment_remove(*, attachment: ActivityAttachment, acting_user: Actor) -> None:
    """Remove one attachment (a wrong photo); the file goes with it; audited."""
    activity = Activity.objects.select_for_update().get(pk=attachment.activity_id)
    ACTIVITY.require(acting_user, activity)
    row = ActivityAttachment.objects.get(pk=attachment.pk, activity=activity)
    gone = {"id": row.pk, "kind": row.kind, "name": row.original_name, "size": row.size}
    stored = row.file.name
    row.delete()
    storage = ActivityAttachment._meta.get_field("file").storage
    transaction.on_commit(lambda: storage.delete(stored))
    audit_record(
        actor=acting_user,
        action="activity.attachment_remove",
        obj=activity,
        changes={"attachments": {"removed": [gone]}},
    )


@transaction.atomic
def activity_attendance_set(
    *,
    activity: Activity,
    attendance_mode: str,
    attendees: Sequence[Person] = (),
    headcount: int = 0,
    acting_user: Actor,
) -> Activity:
    """Replace the attendance: the list of persons who came, or only a headcount.

    The recorder replaces the part of the list she may see: attendees outside her
    person scope were never shown to her, so a list keeps them (switching to a
    headcount drops the whole list).
    """
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    ACTIVITY.require(acting_user, activity)
    _ensure_persons_visible(acting_user, attendees)
    old_rows = dict(activity.attendance.values_list("person_id", "pk"))
    kept: set[int] = set()
    if attendance_mode == AttendanceMode.LIST and old_rows and not is_system(acting_user):
        seen = set(
            PERSON.queryset(acting_user).filter(pk__in=old_rows).values_list("pk", flat=True)
        )
        kept = set(old_rows) - seen
    after = {p.pk for p in attendees} | kept
    participants = _check_attendance(attendance_mode, after, headcount)
    after_ids = sorted(after)
    before_ids = sorted(old_rows)
    before = snapshot(activity, ["attendance_mode", "participants"])
    with rows_changing(Attendance, list(old_rows.values())):
        activity.attendance.all().delete()
    present = Attendance.objects.bulk_create(
        [Attendance(activity=activity, person_id=pk) for pk in after_ids]
    )
    activity.attendance_mode = attendance_mode
    activity.participants = participants
    activity.save(update_fields=["attendance_mode", "participants"])
    rows_written(Activity, [activity.pk])
    rows_written(Attendance, present)
    changes: dict[str, Any] = diff(before, snapshot(activity, ["attendance_mode", "participants"]))
    if before_ids != after_ids:
        changes["attendees"] = {
            "added": sorted(set(after_ids) - set(before_ids)),
            "removed": sorted(set(before_ids) - set(after_ids)),
        }
    audit_record(actor=acting_user, action="activity.attendance", obj=activity, changes=changes)
    return activity


@transaction.atomic
def campaign_create(
    *,
    org: Organization,
    title: str,
    target_count: int,
    start_date: dt.date,
    end_date: dt.date,
    kind: ActivityKind | None = None,
    venue_categories: Sequence[VenueCategory] = (),
    description: str = "",
    acting_user: Actor,
) -> Campaign:
    """Launch a 专项行动 with its target and the venue categories it must reach."""
    CAMPAIGN.require_org(acting_user, org)
    if end_date < start_date:
        raise ValidationError({"end_date": _("The campaign cannot end before it starts.")})
    if target_count < 1:
        raise ValidationError({"target_count": _("The target must be at least one activity.")})
    campaign = Campaign(
        org=org,
        title=title.strip(),
        kind=kind,
        target_count=target_count,
        start_date=start_date,
        end_date=end_date,
        description=description.strip(),
    )
    campaign.full_clean()
    campaign.save()
    campaign.venue_categories.set(venue_categories)
    changes = diff({}, snapshot(campaign, CAMPAIGN_FIELDS))
    changes["venue_categories"] = [[], sorted(c.pk for c in venue_categories)]
    audit_record(actor=acting_user, action="campaign.create", obj=campaign, changes=changes)
    return campaign


@dataclass
class CampaignIn:
    """One campaign to launch (a row of an imported campaign ledger)."""

    org: Organization
    title: str
    target_count: int
    start_date: dt.date
    end_date: dt.date
    kind: ActivityKind | None = None
    venue_categories: Sequence[VenueCategory] = ()
    description: str = ""


def _build_campaign(row: CampaignIn) -> Campaign:
    if row.end_date < row.start_date:
        raise ValidationError({"end_date": _("The campaign cannot end before it starts.")})
    if row.target_count < 1:
        raise ValidationError({"target_count": _("The target must be at least one activity.")})
    campaign = Campaign(
        org=row.org,
        title=row.title.strip(),
        kind=row.kind,
        target_count=row.target_count,
        start_date=row.start_date,
        end_date=row.end_date,
        description=row.description.strip(),
    )
    campaign.full_clean(exclude=["org", "kind"])
    return campaign


@transaction.atomic
def campaign_import(
    *, rows: Sequence[CampaignIn], source: str, acting_user: Actor
) -> list[Campaign]:
    """Launch many campaigns at once (last year's 专项行动 ledger): one audit event.

    Every row is validated before anything is written, so one bad row writes nothing.
    """
    for org in {row.org.pk: row.org for row in rows}.values():
        CAMPAIGN.require_org(acting_user, org)
    built = [_build_campaign(row) for row in rows]
    Campaign.objects.bulk_create(built, batch_size=500)
    if not all(c.pk for c in built):
        raise RuntimeError("The database did not return the new ids")
    through: Any = Campaign.venue_categories.through
    through.objects.bulk_create(
        [
            through(campaign_id=campaign.pk, venuecategory_id=category.pk)
            for campaign, row in zip(built, rows, strict=True)
            for category in {c.pk: c for c in row.venue_categories}.values()
        ]
    )
    audit_record(
        actor=acting_user,
        action="campaign.import",
        object_type=Campaign._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "ids": [c.pk for c in built]},
    )
    return built


@transaction.atomic
def campaign_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the campaigns an import launched (its batch is being undone): one audit event.

    A campaign that has teams or activities counting for it since is kept: the undo is
    refused as a whole.
    """
    campaigns = list(Campaign.objects.select_for_update().filter(pk__in=ids))
    for campaign in campaigns:
        CAMPAIGN.require(acting_user, campaign)
    used = (
        Campaign.objects.filter(pk__in=[c.pk for c in campaigns])
        .filter(Q(teams__isnull=False) | Q(activities__isnull=False))
        .distinct()
        .count()
    )
    if used:
        raise ValidationError(
            _("%(count)d of the campaigns have teams or activities now; they are kept.")
            % {"count": used}
        )
    through: Any = Campaign.venue_categories.through
    through.objects.filter(campaign_id__in=[c.pk for c in campaigns]).delete()
    Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).delete()
    audit_record(
        actor=acting_user,
        action="campaign.import_undo",
        object_type=Campaign._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(campaigns), "source": source},
    )
    return len(campaigns)


CAMPAIGN_EDITABLE = {
    "title",
    "kind",
    "target_count",
    "start_date",
    "end_date",
    "description",
    "venue_categories",
}


@transaction.atomic
def campaign_update(*, campaign: Campaign, acting_user: Actor, **fields: Any) -> Campaign:
    """Correct a campaign: its title, kind, target, period, description, venue categories.

    The target stays at least the teams' quotas together, and the period keeps every
    activity that counts for the campaign.
    """
    unknown = set(fields) - CAMPAIGN_EDITABLE
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    CAMPAIGN.require(acting_user, campaign)
    start = fields.get("start_date", campaign.start_date)
    end = fields.get("end_date", campaign.end_date)
    if end < start:
        raise ValidationError({"end_date": _("The campaign cannot end before it starts.")})
    target = fields.get("target_count", campaign.target_count)
    if target < 1:
        raise ValidationError({"target_count": _("The target must be at least one activity.")})
    allotted = sum(t.quota for t in campaign.teams.all())
    if allotted > target:
        raise ValidationError(
            {
                "target_count": _(
                    "The teams' quotas (%(total)s) would exceed the campaign target (%(target)s)."
                )
                % {"total": allotted, "target": target}
            }
        )
    outside = campaign.activities.filter(Q(held_on__lt=start) | Q(held_on__gt=end)).count()
    if outside:
        raise ValidationError(
            {
                "start_date": _(
                    "%(count)d activities counted for the campaign fall outside the new period."
                )
                % {"count": outside}
            }
        )
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    update_with_audit(
        campaign,
        changes=changes,
        editable=CAMPAIGN_EDITABLE,
        audited=[*CAMPAIGN_FIELDS, "venue_categories"],
        action="campaign.update",
        acting_user=acting_user,
    )
    return campaign


@transaction.atomic
def campaign_team_create(
    *,
    campaign: Campaign,
    name: str,
    org: Organization,
    quota: int = 0,
    leader: Person | None = None,
    members: Sequence[Person] = (),
    acting_user: Actor,
) -> CampaignTeam:
    """Form a team of a campaign, with its members and its quota of activities."""
    CAMPAIGN.require(acting_user, campaign)
    _ensure_persons_visible(acting_user, members, "members")
    if leader is not None:
        _ensure_persons_visible(acting_user, [leader], "leader")
    if not _within(org, campaign.org):
        raise ValidationError(
            {"org": _("The team's organization must be within the campaign's organization.")}
        )
    allotted = sum(t.quota for t in campaign.teams.all())
    if allotted + quota > campaign.target_count:
        raise ValidationError(
            {
                "quota": _(
                    "The teams' quotas (%(total)s) would exceed the campaign target (%(target)s)."
                )
                % {"total": allotted + quota, "target": campaign.target_count}
            }
        )
    team = CampaignTeam(campaign=campaign, name=name.strip(), org=org, quota=quota, leader=leader)
    team.full_clean()
    team.save()
    everyone = {p.pk for p in members} | ({leader.pk} if leader else set())
    team.members.set(sorted(everyone))
    changes = diff({}, snapshot(team, TEAM_FIELDS))
    changes["members"] = [[], sorted(everyone)]
    audit_record(actor=acting_user, action="campaign_team.create", obj=team, changes=changes)
    return team


@transaction.atomic
def campaign_team_members_set(
    *, team: CampaignTeam, members: Sequence[Person], acting_user: Actor
) -> CampaignTeam:
    """Replace a team's members (the leader stays a member)."""
    CAMPAIGN_TEAM.require(acting_user, team)
    _ensure_persons_visible(acting_user, members, "members")
    before = sorted(team.members.values_list("pk", flat=True))
    after = sorted({p.pk for p in members} | ({team.leader_id} if team.leader_id else set()))
    team.members.set(after)
    audit_record(
        actor=acting_user,
        action="campaign_team.members",
        obj=team,
        changes={"members": [before, after]} if before != after else {},
    )
    return team


@dataclass
class ServiceIn:
    org: Organization
    person: Person
    served_on: dt.date
    hours: Decimal
    content: str
    activity: Activity | None = None


def _ensure_services_allowed(acting_user: Actor, rows: Sequence[ServiceIn]) -> None:
    """``activities.manage`` on each community served; volunteers and linked
    activities the recorder may see."""
    for org in {row.org.pk: row.org for row in rows}.values():
        VOLUNTEER_SERVICE.require_org(acting_user, org)
    _ensure_persons_visible(acting_user, [row.person for row in rows], "person")
    for activity in {row.activity.pk: row.activity for row in rows if row.activity}.values():
        if not ACTIVITY.covers(acting_user, activity, VIEW):
            raise ValidationError({"activity": unknown_message()})


def _build_service(row: ServiceIn) -> VolunteerService:
    record = VolunteerService(
        org=row.org,
        person=row.person,
        served_on=row.served_on,
        hours=row.hours,
        content=row.content.strip(),
        activity=row.activity,
    )
    if not Decimal(0) < Decimal(row.hours) <= Decimal(24):
        raise ValidationError({"hours": _("Hours of one service are more than 0 and at most 24.")})
    record.full_clean(exclude=["org", "person", "activity"])
    return record


@transaction.atomic
def volunteer_service_record(
    *,
    org: Organization,
    person: Person,
    served_on: dt.date,
    hours: Decimal,
    content: str,
    activity: Activity | None = None,
    acting_user: Actor,
) -> VolunteerService:
    """双报到: record one member's service in a community (one person-time).

    The volunteer is any person the recorder may see (``PERSON``): with the 双报到
    rule, the members of organs who reported to the community, without any view of
    the organ itself.
    """
    row = ServiceIn(org, person, served_on, Decimal(hours), content, activity)
    _ensure_services_allowed(acting_user, [row])
    record = _build_service(row)
    record.save()
    rows_written(VolunteerService, [record.pk])
    audit_record(
        actor=acting_user,
        action="volunteer_service.record",
        obj=record,
        object_repr=f"{person.name} {served_on}",
        changes=diff(
            {}, snapshot(record, ["org", "person", "served_on", "hours", "content", "activity"])
        ),
    )
    return record


@transaction.atomic
def volunteer_service_import(
    *, rows: Sequence[ServiceIn], source: str, acting_user: Actor
) -> list[VolunteerService]:
    """Record many services at once (a community's sign-in sheet): one audit event."""
    _ensure_services_allowed(acting_user, rows)
    built = [_build_service(row) for row in rows]
    VolunteerService.objects.bulk_create(built, batch_size=1000)
    if not all(record.pk for record in built):
        raise RuntimeError("The database did not return the new ids")
    rows_written(VolunteerService, built)
    audit_record(
        actor=acting_user,
        action="volunteer_service.import",
        object_type=VolunteerService._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(built), "source": source, "ids": [r.pk for r in built]},
    )
    return built


SERVICE_FIELDS = ["org", "person", "served_on", "hours", "content", "activity"]


@transaction.atomic
def volunteer_service_update(
    *, service: VolunteerService, acting_user: Actor, **fields: Any
) -> VolunteerService:
    """Correct a 双报到 record: the day served, the hours or the content (the community
    and the volunteer stay; record the service again for another)."""
    unknown = set(fields) - {"served_on", "hours", "content"}
    if unknown:
        raise TypeError(f"Unknown service fields: {sorted(unknown)}")
    record = VolunteerService.objects.select_for_update().select_related("org").get(pk=service.pk)
    # The volunteer stays, so only the community's scope is checked again.
    VOLUNTEER_SERVICE.require(acting_user, record)
    hours = Decimal(fields.get("hours", record.hours))
    if not Decimal(0) < hours <= Decimal(24):
        raise ValidationError({"hours": _("Hours of one service are more than 0 and at most 24.")})
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    # The day served (month) decides where the person-time and the hours count.
    with rows_changing(VolunteerService, [record.pk]):
        update_with_audit(
            record,
            changes=changes,
            editable={"served_on", "hours", "content"},
            audited=SERVICE_FIELDS,
            action="volunteer_service.update",
            acting_user=acting_user,
        )
    return record


@transaction.atomic
def volunteer_service_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the 双报到 records an import created (its batch is being undone)."""
    records = list(
        VolunteerService.objects.select_for_update().select_related("org").filter(pk__in=ids)
    )
    for org in {r.org_id: r.org for r in records}.values():
        VOLUNTEER_SERVICE.require_org(acting_user, org)
    with rows_changing(VolunteerService, records):
        VolunteerService.objects.filter(pk__in=[r.pk for r in records]).delete()
    audit_record(
        actor=acting_user,
        action="volunteer_service.import_undo",
        object_type=VolunteerService._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(records), "source": source},
    )
    return len(records)


@transaction.atomic
def activity_raise_problem(
    *,
    activity: Activity,
    title: str,
    deadline: dt.date,
    description: str = "",
    acting_user: Actor,
) -> Any:
    """Put a problem found on a 调研 visit on the problem list, linked back to the visit.

    The problem service records the audit event (with this activity as its origin).
    """
    from taizhang.problems.services import problem_create

    ACTIVITY.require(acting_user, activity, VIEW)
    if not activity.is_survey:
        raise ValidationError(_("Only a survey visit raises problems from here."))
    return problem_create(
        org=activity.org,
        title=title,
        description=description or activity.summary,
        deadline=deadline,
        source="survey",
        origin=activity,
        raised_on=activity.held_on,
        acting_user=acting_user,
    )
