"""The activities ledger in Excel: the columns its export writes and its import reads.

A row with a 编号 is an activity already recorded (an edited export): its details are
compared with the record and changed through ``activity_update`` when they differ. A row
without one is a new activity, recorded through ``activity_import`` with the others in
one audited write; one already recorded under the same organization, day and topic is
counted as unchanged, so the same rows in another file are not recorded twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.activities.models import (
    Activity,
    ActivityKind,
    ActivityMode,
    AttendanceMode,
    VenueCategory,
)
from taizhang.activities.permissions import ACTIVITY, MANAGE
from taizhang.activities.services import (
    ActivityIn,
    activity_import,
    activity_import_undo,
    activity_update,
)
from taizhang.core.exports import DATE, INTEGER
from taizhang.core.imports import CHOICE, TIME, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.people.matching import PersonMatcher


def _kinds() -> list[tuple[Any, Any]]:
    return [(k.code, k.name) for k in ActivityKind.objects.filter(is_active=True)]


def _venues() -> list[tuple[Any, Any]]:
    return [(v.code, v.name) for v in VenueCategory.objects.filter(is_active=True)]


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
        unit=gettext_lazy("persons"),
        help=gettext_lazy("the headcount when no names are listed"),
    ),
    Field("summary", gettext_lazy("summary"), width=30),
)

# The details an import may change on an activity already recorded.
COMPARED = (
    "kind",
    "title",
    "held_on",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "venue_category",
    "speaker",
    "summary",
)


@dataclass
class Change:
    row: Row
    activity: Activity
    fields: dict[str, Any]


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
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows})
        persons = PersonMatcher(ctx.actor)
        persons.preload(
            {n for r in rows for n in [*(r.get("attendees") or []), r.get("speaker") or ""]}
        )
        kinds = {k.code: k for k in ActivityKind.objects.all()}
        venues = {v.code: v for v in VenueCategory.objects.all()}
        ids = {r.get("id") for r in rows if r.get("id")}
        existing = {a.pk: a for a in ACTIVITY.queryset(ctx.actor, MANAGE).filter(pk__in=ids)}
        create: list[tuple[Row, ActivityIn]] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, dt.date, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            values = self._resolve(row, ctx, orgs, persons, kinds, venues)
            if values is None:
                continue
            if row.get("id"):
                activity = existing.get(row.get("id"))
                if activity is None:
                    ctx.error(row, "id", _("No activity with this number within your scope."))
                    continue
                changed = {k: values[k] for k in COMPARED if getattr(activity, k) != values[k]}
                if changed:
                    update.append(Change(row, activity, changed))
                    preview.append(
                        (row.number, "update", f"{activity.title} · {', '.join(changed)}")
                    )
                else:
                    unchanged += 1
                continue
            data = ActivityIn(
                org=values["org"],
                kind=values["kind"],
                title=values["title"],
                held_on=values["held_on"],
                attendance_mode=AttendanceMode.LIST
                if values["attendees"]
                else AttendanceMode.HEADCOUNT,
                attendees=values["attendees"],
                headcount=0 if values["attendees"] else (row.get("participants") or 0),
                start_time=values["start_time"],
                end_time=values["end_time"],
                mode=values["mode"],
                venue=values["venue"],
                venue_category=values["venue_category"],
                speaker=values["speaker"],
                summary=values["summary"],
            )
            key = (data.org.pk, data.held_on, data.title)
            if key in seen:
                ctx.error(row, "title", _("The same activity appears twice in this file."))
                continue
            seen.add(key)
            if not self._valid(row, data, ctx):
                continue
            create.append((row, data))
            preview.append((row.number, "create", f"{data.held_on} {data.org.name} {data.title}"))
        # An activity already recorded under the same unit, day and topic is not new.
        duplicates = self._recorded(set(seen))
        kept = []
        for row, data in create:
            if (data.org.pk, data.held_on, data.title) in duplicates:
                unchanged += 1
            else:
                kept.append((row, data))
        preview = [
            p for p in preview if p[1] == "update" or any(r.number == p[0] for r, _d in kept)
        ]
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _resolve(
        self,
        row: Row,
        ctx: Context,
        orgs: OrganizationMatcher,
        persons: PersonMatcher,
        kinds: dict[str, ActivityKind],
        venues: dict[str, VenueCategory],
    ) -> dict[str, Any] | None:
        values: dict[str, Any] = {
            "title": (row.get("title") or "").strip(),
            "held_on": row.get("held_on"),
            "start_time": row.get("start_time"),
            "end_time": row.get("end_time"),
            "mode": row.get("mode") or ActivityMode.OFFLINE,
            "venue": row.get("venue") or "",
            "summary": row.get("summary") or "",
            "kind": kinds.get(row.get("kind")),
            "venue_category": venues.get(row.get("venue_category")),
        }
        ok = True
        try:
            values["org"] = orgs.match(row.get("org_code") or row.get("org") or "")
        except Unmatched as error:
            ctx.error(row, "org_code" if row.get("org_code") else "org", error)
            ok = False
        try:
            values["speaker"] = persons.match(row.get("speaker")) if row.get("speaker") else None
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
        values["attendees"] = attendees
        return values if ok else None

    def _valid(self, row: Row, data: ActivityIn, ctx: Context) -> bool:
        """The checks ``activity_import`` makes, answered per row before anything is written."""
        try:
            if data.start_time and data.end_time and data.end_time < data.start_time:
                raise ValidationError({"end_time": _("The activity cannot end before it starts.")})
            if data.held_on > ctx.today:
                raise ValidationError(
                    {"held_on": _("An activity is recorded once it has been held.")}
                )
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
            for key, messages in error.message_dict.items():
                ctx.error(row, key if key in ctx.fields else "title", "；".join(messages))
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
            activity_update(activity=change.activity, acting_user=ctx.actor, **change.fields)
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


def activity_row(activity: Activity) -> list[Any]:
    """One activity as the export writes it (the importer's columns, in order)."""
    names = [a.person.name for a in activity.attendance.all()]
    return [
        activity.pk,
        activity.org.code,
        activity.org.name,
        activity.kind.name,
        activity.title,
        activity.held_on,
        activity.start_time.strftime("%H:%M") if activity.start_time else "",
        activity.end_time.strftime("%H:%M") if activity.end_time else "",
        activity.get_mode_display(),
        activity.venue,
        activity.venue_category.name if activity.venue_category else "",
        activity.speaker.name if activity.speaker else "",
        "、".join(names),
        activity.participants,
        activity.summary,
    ]
