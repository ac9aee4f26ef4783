"""The demand ledger in Excel: the columns its export writes and its import reads.

A row without a 诉求编号 is a demand received in the past (补录): it is recorded with its
real day of receipt, and with the reply and the follow-up call (回访) it had, at their
real days, through ``demand_import`` in one audited write. Its time limit counts from
the real day, so one whose limit passed unanswered is overdue at once. A row already
recorded under the same receiving unit, day and summary counts as unchanged.

A row with a 编号 is a demand already recorded (an edited export): its summary, content
and channel are corrected through ``demand_update`` when they differ, and a reply or
follow-up it did not have yet is entered through the lifecycle services as a late
entry. The other columns stay as recorded; a row that changes them is refused.

Requesters' mobiles and addresses are personal data: the export writes them masked,
messages and previews show them masked, and a masked value is never stored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.exports import DATE
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.core.masking import mask_mobile
from taizhang.demands import permissions
from taizhang.demands.models import (
    Channel,
    Demand,
    DemandCategory,
    DemandRequester,
    DemandState,
    RequesterKind,
    Satisfaction,
)
from taizhang.demands.permissions import DEMAND, MANAGE, VIEW
from taizhang.demands.services import (
    DemandImportIn,
    DemandImportRules,
    RequesterIn,
    demand_assign,
    demand_follow_up,
    demand_import,
    demand_import_undo,
    demand_reply,
    demand_start,
    demand_update,
    route,
)
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.models import Organization, OrgKind

LABEL = "demands.demand"
# The hours a step dated by day only is placed at (local time), in lifecycle order.
RECEIVED_AT = dt.time(9, 0)
REPLIED_AT = dt.time(16, 0)
FOLLOWED_UP_AT = dt.time(10, 0)
NUMBER = re.compile(r"^SQ(\d{4})-(\d+)$", re.IGNORECASE)
MOBILE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def _categories() -> list[tuple[Any, Any]]:
    # Deactivated categories too: last year's demands were filed under them.
    return [(c.code, c.name) for c in DemandCategory.objects.order_by("sort_order", "pk")]


FIELDS = (
    Field(
        "number",
        gettext_lazy("Demand no."),
        width=16,
        help=gettext_lazy("empty for a new demand"),
    ),
    Field("received_on", gettext_lazy("Received on"), DATE, required=True),
    Field(
        "channel",
        gettext_lazy("Intake channel"),
        CHOICE,
        required=True,
        width=12,
        choices=lambda: Channel.choices,
    ),
    Field(
        "category",
        gettext_lazy("Demand category"),
        CHOICE,
        required=True,
        width=12,
        choices=_categories,
    ),
    Field("title", gettext_lazy("Demand summary"), required=True, width=36),
    Field(
        "content",
        gettext_lazy("Demand content"),
        width=40,
        help=gettext_lazy("empty: the summary"),
    ),
    Field(
        "requester_kind",
        gettext_lazy("Requester type"),
        CHOICE,
        width=10,
        choices=lambda: RequesterKind.choices,
        help=gettext_lazy("empty: a resident"),
    ),
    Field("requester", gettext_lazy("Requester"), required=True, many=True, width=14),
    Field(
        "mobile",
        gettext_lazy("Contact mobile"),
        many=True,
        width=14,
        help=gettext_lazy("one per requester, in the same order; the export shows them masked"),
    ),
    Field(
        "address",
        gettext_lazy("Contact address"),
        width=18,
        help=gettext_lazy("of the first requester"),
    ),
    Field(
        "enterprise",
        gettext_lazy("Enterprise"),
        width=16,
        help=gettext_lazy("for an enterprise requester: the enterprise's code or name"),
    ),
    Field(
        "org_code",
        gettext_lazy("Receiving organization code"),
        help=gettext_lazy("the unit's code; or leave empty and write its name"),
    ),
    Field("org", gettext_lazy("Receiving organization"), width=16),
    Field(
        "location",
        gettext_lazy("Where it arose"),
        width=14,
        help=gettext_lazy("community or grid, code or name; empty: the receiving organization"),
    ),
    Field(
        "handling_org",
        gettext_lazy("Handling organization"),
        width=16,
        help=gettext_lazy("code or name; empty: the organization the routing rules pick"),
    ),
    Field("due_on", gettext_lazy("Due on"), DATE, readonly=True),
    Field("state", gettext_lazy("Demand state"), width=10, readonly=True),
    Field("replied_on", gettext_lazy("Replied on"), DATE),
    Field("reply_text", gettext_lazy("Reply given"), width=30),
    Field("followed_up_on", gettext_lazy("Followed up on"), DATE),
    Field(
        "satisfaction",
        gettext_lazy("Satisfaction"),
        CHOICE,
        width=10,
        choices=lambda: Satisfaction.choices,
    ),
    Field("closed_on", gettext_lazy("Concluded on"), DATE, readonly=True),
)
# Sent to ``DemandImportIn``'s fields from the columns, for the services' messages.
COLUMN_OF = {
    "org": "org",
    "location": "location",
    "channel": "channel",
    "category": "category",
    "title": "title",
    "content": "content",
    "requesters": "requester",
    "mobile": "mobile",
    "received_at": "received_on",
    "received_on": "received_on",
    "due_on": "received_on",
    "handling_org": "handling_org",
    "replied_at": "replied_on",
    "reply_text": "reply_text",
    "followed_up_at": "followed_up_on",
    "satisfaction": "satisfaction",
}


def masked_address(address: str) -> str:
    """The first six characters (district and street), as ``DemandRequester`` masks it."""
    return address[:6] + "****" if address else ""


def _at(day: dt.date, hour: dt.time, after: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """A step known by its day: at ``hour`` that day, never before the step it follows
    nor later than now."""
    moment = timezone.make_aware(dt.datetime.combine(day, hour))
    if after is not None and moment < after:
        moment = after
    return min(moment, now)


def _names(org: Organization | None) -> set[str]:
    return {org.code, org.name, org.short_name} if org is not None else {""}


def demand_cells(demand: Demand) -> dict[str, Any]:
    """One demand as the export writes it, by column key; contact data masked."""
    requesters = list(demand.requesters.all())
    primary = requesters[0] if requesters else None
    return {
        "number": demand.number,
        "received_on": demand.received_on,
        "channel": demand.get_channel_display(),
        "category": demand.category.name,
        "title": demand.title,
        "content": demand.content,
        "requester_kind": primary.get_kind_display() if primary else "",
        "requester": "、".join(r.name for r in requesters),
        "mobile": "、".join(r.masked_mobile for r in requesters if r.mobile),
        "address": primary.masked_address if primary else "",
        "enterprise": demand.enterprise.short_name if demand.enterprise else "",
        "org_code": demand.org.code,
        "org": demand.org.short_name,
        "location": demand.location.short_name,
        "handling_org": demand.handling_org.short_name if demand.handling_org else "",
        "due_on": demand.due_on,
        "state": demand.get_state_display(),
        "replied_on": timezone.localtime(demand.replied_at).date() if demand.replied_at else None,
        "reply_text": demand.reply_text,
        "followed_up_on": demand.followed_up_on,
        "satisfaction": demand.get_satisfaction_display() if demand.satisfaction else "",
        "closed_on": demand.closed_on,
    }


def demand_row(demand: Demand) -> list[Any]:
    """One demand as the export writes it (the importer's columns, in order)."""
    cells = demand_cells(demand)
    return [cells[f.key] for f in FIELDS]


@dataclass
class Change:
    """What an import does to a demand already recorded."""

    row: Row
    demand: Demand
    fields: dict[str, Any] = field(default_factory=dict)
    assign_to: Organization | None = None
    assign: bool = False
    reply: tuple[dt.datetime, str] | None = None
    follow_up: tuple[dt.datetime, str] | None = None

    @property
    def summary(self) -> list[str]:
        parts = list(self.fields)
        if self.assign:
            parts.append("handling_org")
        if self.reply:
            parts.append("reply")
        if self.follow_up:
            parts.append("follow_up")
        return parts


class DemandImporter(Importer):
    kind = LABEL
    label = gettext_lazy("Demands")
    permission = MANAGE
    fields = FIELDS
    order = 45

    def examples(self) -> list[dict[str, Any]]:
        categories = _categories()
        category = categories[0][1] if categories else ""
        return [
            {
                "received_on": dt.date(2025, 11, 3),
                "channel": Channel.HOTLINE.label,
                "category": category,
                "title": _("Lift out of order in building 3"),
                "requester": _("Zhang Wei"),
                "mobile": "13800001111",
                "org_code": "3201",
                "replied_on": dt.date(2025, 11, 6),
                "reply_text": _("The maintenance company replaced the control board."),
                "followed_up_on": dt.date(2025, 11, 10),
                "satisfaction": Satisfaction.SATISFIED.label,
            },
            {
                "received_on": dt.date(2025, 12, 1),
                "channel": Channel.GRID_REPORT.label,
                "category": category,
                "title": _("Rubbish piled in the stairwell"),
                "requester": [_("Li Na"), _("Wang Fang")],
                "org_code": "3201",
            },
        ]

    # --- prepare -------------------------------------------------------------------------

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        now = timezone.now()
        rules = DemandImportRules(ctx.actor)
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows})
        places = OrganizationMatcher(ctx.actor, VIEW)
        places.preload(
            {
                v
                for r in rows
                for v in (r.get("location"), r.get("handling_org"), r.get("enterprise"))
                if v
            }
        )
        categories = {c.code: c for c in DemandCategory.objects.select_related("default_org")}
        existing = self._existing(rows, ctx)
        create: list[tuple[Row, DemandImportIn]] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, dt.date, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            if row.get("number"):
                change = self._change(row, ctx, existing, places, now)
                if change is None:
                    continue
                if change.summary:
                    update.append(change)
                    titles = "、".join(_summary_label(k, ctx) for k in change.summary)
                    preview.append((row.number, "update", f"{change.demand.number} · {titles}"))
                else:
                    unchanged += 1
                continue
            data = self._new(row, ctx, orgs, places, categories, now)
            if data is None:
                continue
            key = (data.org.pk, timezone.localtime(data.received_at).date(), data.title)
            if key in seen:
                ctx.error(row, "title", _("The same demand appears twice in this file."))
                continue
            seen.add(key)
            if not self._valid(row, data, rules, ctx, now):
                continue
            create.append((row, data))
            preview.append((row.number, "create", f"{key[1]} {data.org.short_name} {data.title}"))
        # A demand already recorded under the same unit, day and summary is not new.
        recorded = self._recorded(seen)
        kept = []
        for row, data in create:
            if (data.org.pk, timezone.localtime(data.received_at).date(), data.title) in recorded:
                unchanged += 1
            else:
                kept.append((row, data))
        numbers = {r.number for r, _d in kept}
        preview = [p for p in preview if p[1] == "update" or p[0] in numbers]
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _existing(self, rows: Sequence[Row], ctx: Context) -> dict[int, Demand]:
        wanted = [pk for r in rows if (pk := _number_pk(r.get("number"))) is not None]
        found: dict[int, Demand] = {}
        base = (
            DEMAND.queryset(ctx.actor, MANAGE)
            .select_related("org", "handling_org", "category", "location", "enterprise")
            .prefetch_related("requesters")
            .annotate(last_step=Max("steps__occurred_at"))
        )
        for start in range(0, len(wanted), 900):
            for demand in base.filter(pk__in=wanted[start : start + 900]):
                found[demand.pk] = demand
        return found

    def _requesters(
        self, row: Row, ctx: Context, places: OrganizationMatcher
    ) -> list[RequesterIn] | None:
        names = [n.strip() for n in row.get("requester") or [] if n.strip()]
        mobiles = [m.strip() for m in row.get("mobile") or [] if m.strip()]
        kind = row.get("requester_kind") or RequesterKind.PERSON
        ok = True
        if len(mobiles) > len(names):
            ctx.error(
                row,
                "mobile",
                _("There are more numbers than requesters; write one number per requester."),
                value="、".join(mask_mobile(m) for m in mobiles),
            )
            ok = False
        for mobile in mobiles:
            if "*" in mobile:
                ctx.error(
                    row,
                    "mobile",
                    _("This number is masked; write the full number or leave it empty."),
                    value=mobile,
                )
                ok = False
            elif not MOBILE.match(mobile):
                ctx.error(
                    row,
                    "mobile",
                    _("Write an 11-digit mobile or a telephone number such as 0571-88886666."),
                    value=mask_mobile(mobile),
                )
                ok = False
        address = (row.get("address") or "").strip()
        if "****" in address:
            ctx.error(
                row,
                "address",
                _("This address is masked; write the full address or leave it empty."),
                value=masked_address(address),
            )
            ok = False
        enterprise = None
        if kind == RequesterKind.ENTERPRISE:
            if not row.get("enterprise"):
                ctx.error(row, "enterprise", _("Name the enterprise this demand comes from."))
                ok = False
            else:
                try:
                    enterprise = places.match(row.get("enterprise"))
                except Unmatched as error:
                    ctx.error(row, "enterprise", error)
                    ok = False
                else:
                    if enterprise.kind != OrgKind.ENTERPRISE:
                        ctx.error(row, "enterprise", _("This organization is not an enterprise."))
                        ok = False
        elif row.get("enterprise"):
            ctx.error(row, "enterprise", _("Only an enterprise requester names an enterprise."))
            ok = False
        if not ok:
            return None
        return [
            RequesterIn(
                kind=kind,
                name=name,
                mobile=mobiles[index] if index < len(mobiles) else "",
                address=address if index == 0 else "",
                enterprise=enterprise if index == 0 else None,
            )
            for index, name in enumerate(names)
        ]

    def _new(
        self,
        row: Row,
        ctx: Context,
        orgs: OrganizationMatcher,
        places: OrganizationMatcher,
        categories: dict[str, DemandCategory],
        now: dt.datetime,
    ) -> DemandImportIn | None:
        ok = True
        org = location = handling = None
        org_key = "org_code" if row.get("org_code") else "org"
        if not row.get("org_code") and not row.get("org"):
            ctx.error(row, "org", _("Name the receiving organization (its code or name)."))
            ok = False
        else:
            try:
                org = orgs.match(row.get(org_key))
            except Unmatched as error:
                ctx.error(row, org_key, error)
                ok = False
        for key in ("location", "handling_org"):
            if row.get(key):
                try:
                    found = places.match(row.get(key))
                except Unmatched as error:
                    ctx.error(row, key, error)
                    ok = False
                else:
                    if key == "location":
                        location = found
                    else:
                        handling = found
        requesters = self._requesters(row, ctx, places)
        category = categories.get(row.get("category"))
        if not ok or requesters is None or org is None or category is None:
            return None
        received = _at(row.get("received_on"), RECEIVED_AT, None, now)
        replied = followed = None
        if row.get("replied_on"):
            replied = _at(row.get("replied_on"), REPLIED_AT, received, now)
        if row.get("followed_up_on"):
            followed = _at(row.get("followed_up_on"), FOLLOWED_UP_AT, replied or received, now)
        return DemandImportIn(
            org=org,
            location=location,
            channel=row.get("channel"),
            category=category,
            title=(row.get("title") or "").strip(),
            content=(row.get("content") or "").strip(),
            requesters=requesters,
            received_at=received,
            handling_org=handling,
            replied_at=replied,
            reply_text=(row.get("reply_text") or "").strip(),
            followed_up_at=followed,
            satisfaction=row.get("satisfaction") or "",
        )

    def _valid(
        self,
        row: Row,
        data: DemandImportIn,
        rules: DemandImportRules,
        ctx: Context,
        now: dt.datetime,
    ) -> bool:
        """The checks ``demand_import`` makes, answered per row before anything is written."""
        day_errors = self._dates(row, ctx)
        if day_errors:
            return False
        try:
            rules.check(data, now)
        except ValidationError as error:
            self._report(row, ctx, error)
            return False
        return True

    def _dates(self, row: Row, ctx: Context) -> bool:
        """Days in the future or out of order, said in days (the services speak in moments)."""
        bad = False
        received, replied, followed = (
            row.get("received_on"),
            row.get("replied_on"),
            row.get("followed_up_on"),
        )
        for key, day in (
            ("received_on", received),
            ("replied_on", replied),
            ("followed_up_on", followed),
        ):
            if day is not None and day > ctx.today:
                ctx.error(row, key, _("This day has not come yet."))
                bad = True
        if replied is not None and received is not None and replied < received:
            ctx.error(row, "replied_on", _("The reply cannot be earlier than the day of receipt."))
            bad = True
        if followed is not None and replied is not None and followed < replied:
            ctx.error(row, "followed_up_on", _("The follow-up cannot be earlier than the reply."))
            bad = True
        return bad

    def _report(self, row: Row, ctx: Context, error: ValidationError) -> None:
        for key, messages in error.message_dict.items():
            column = COLUMN_OF.get(key, "title")
            if column == "org" and row.get("org_code"):
                column = "org_code"
            value = None
            if column == "mobile":
                value = "、".join(mask_mobile(m) for m in row.get("mobile") or [])
            ctx.error(row, column, "；".join(messages), value=value)

    def _recorded(self, keys: set[tuple[int, dt.date, str]]) -> set[tuple[int, dt.date, str]]:
        if not keys:
            return set()
        days = {k[1] for k in keys}
        qs = Demand.objects.filter(
            org_id__in={k[0] for k in keys},
            received_on__gte=min(days),
            received_on__lte=max(days),
            title__in={k[2] for k in keys},
        ).values_list("org_id", "received_on", "title")
        return {tuple(v) for v in qs if tuple(v) in keys}  # type: ignore[misc]

    # --- a demand already recorded ---------------------------------------------------

    def _change(
        self,
        row: Row,
        ctx: Context,
        existing: dict[int, Demand],
        places: OrganizationMatcher,
        now: dt.datetime,
    ) -> Change | None:
        pk = _number_pk(row.get("number"))
        if pk is None:
            ctx.error(
                row,
                "number",
                _(
                    "Write the number as the export shows it (SQ2026-00042), or leave it "
                    "empty for a new demand."
                ),
            )
            return None
        demand = existing.get(pk)
        if demand is None or demand.number.upper() != str(row.get("number")).strip().upper():
            ctx.error(row, "number", _("No demand with this number within your scope."))
            return None
        change = Change(row=row, demand=demand)
        ok = self._kept(row, ctx, demand)
        title = (row.get("title") or "").strip()
        content = (row.get("content") or "").strip()
        if title and title != demand.title:
            change.fields["title"] = title
        if content and content != demand.content:
            change.fields["content"] = content
        if row.get("channel") and row.get("channel") != demand.channel:
            change.fields["channel"] = row.get("channel")
        if change.fields:
            try:
                Demand(
                    title=change.fields.get("title", demand.title),
                    content=change.fields.get("content", demand.content),
                    channel=change.fields.get("channel", demand.channel),
                ).clean_fields(
                    exclude=[
                        f.name
                        for f in Demand._meta.concrete_fields
                        if f.name not in {"title", "content", "channel"}
                    ]
                )
            except ValidationError as error:
                self._report(row, ctx, error)
                ok = False
        ok = self._progress(row, ctx, change, places, now) and ok
        return change if ok else None

    def _kept(self, row: Row, ctx: Context, demand: Demand) -> bool:
        """The columns an import does not change on a recorded demand must read as
        recorded (a value the export wrote, or the unit's code or full name)."""
        cells = demand_cells(demand)
        requesters: list[DemandRequester] = list(demand.requesters.all())
        primary = requesters[0] if requesters else None
        org_value = (row.get("org_code") or "").strip()
        checks: dict[str, bool] = {
            "received_on": row.get("received_on") == demand.received_on,
            "category": row.get("category") == demand.category.code,
            "requester_kind": (row.get("requester_kind") or RequesterKind.PERSON)
            == (primary.kind if primary else RequesterKind.PERSON),
            "requester": [n.strip() for n in row.get("requester") or []]
            == [r.name for r in requesters],
            "mobile": [mask_mobile(m) for m in row.get("mobile") or []]
            == [r.masked_mobile for r in requesters if r.mobile],
            "address": masked_address((row.get("address") or "").strip())
            == (primary.masked_address if primary else ""),
            "enterprise": (row.get("enterprise") or "").strip() in _names(demand.enterprise),
            "org_code": not org_value or org_value in _names(demand.org),
            "org": not row.get("org") or row.get("org").strip() in _names(demand.org),
            "location": (not row.get("location") and demand.location_id == demand.org_id)
            or (row.get("location") or "").strip() in _names(demand.location),
        }
        if demand.handling_org is not None:
            checks["handling_org"] = (row.get("handling_org") or "").strip() in _names(
                demand.handling_org
            )
        ok = True
        for key, same in checks.items():
            if not same:
                ctx.error(
                    row,
                    key,
                    _(
                        "A recorded demand keeps this as recorded (%(value)s); change it on "
                        "the demand's page, not by import."
                    )
                    % {"value": _shown(cells[key]) or "—"},
                    value=_masked_cell(row, key),
                )
                ok = False
        return ok

    def _progress(
        self,
        row: Row,
        ctx: Context,
        change: Change,
        places: OrganizationMatcher,
        now: dt.datetime,
    ) -> bool:
        """A reply or a follow-up the demand did not have yet: entered late, through the
        lifecycle services and their rules (who may answer, who may conclude)."""
        demand = change.demand
        actor = ctx.actor
        state = demand.state
        last: dt.datetime | None = getattr(demand, "last_step", None)
        handler = demand.handling_org
        replied_on, reply_text = row.get("replied_on"), (row.get("reply_text") or "").strip()
        recorded_reply = timezone.localtime(demand.replied_at).date() if demand.replied_at else None
        if handler is None and row.get("handling_org"):
            if state != DemandState.RECEIVED:
                ctx.error(
                    row, "handling_org", _("Only a demand not yet replied to can be assigned.")
                )
                return False
            try:
                change.assign_to = handler = places.match(row.get("handling_org"))
            except Unmatched as error:
                ctx.error(row, "handling_org", error)
                return False
            change.assign = True
        new_reply = (
            replied_on is not None
            and demand.replied_at is None
            and state in (DemandState.RECEIVED, DemandState.ASSIGNED, DemandState.HANDLING)
        )
        if new_reply:
            if self._dates(row, ctx):
                return False
            moment = _at(replied_on, REPLIED_AT, last, now)
            if last is not None and moment < last:
                ctx.error(
                    row,
                    "replied_on",
                    _("The reply cannot be earlier than the demand's previous step."),
                )
                return False
            if len(reply_text) < 5:
                ctx.error(row, "reply_text", _("Write the reply given to the requester."))
                return False
            if state == DemandState.RECEIVED:
                change.assign = True
            probe = Demand(org=demand.org, handling_org=handler or demand.org)
            if handler is None:
                probe.handling_org = route(demand.category, demand.location)
            if not permissions.can(actor, "reply", probe):
                ctx.error(
                    row,
                    "replied_on",
                    _(
                        "You may not record the reply of a demand handled by %(org)s: it is "
                        "outside your scope."
                    )
                    % {"org": probe.handling_org.short_name if probe.handling_org else ""},
                )
                return False
            change.reply = (moment, reply_text)
            state, last = DemandState.REPLIED, moment
        elif (replied_on, reply_text) != (recorded_reply, demand.reply_text):
            key = "replied_on" if replied_on != recorded_reply else "reply_text"
            ctx.error(
                row,
                key,
                _(
                    "A recorded reply is not changed by import; a new reply is entered once "
                    "the demand is being handled again."
                ),
            )
            return False
        followed_on, satisfaction = row.get("followed_up_on"), row.get("satisfaction") or ""
        recorded_follow = (demand.followed_up_on, demand.satisfaction)
        if (followed_on, satisfaction) == recorded_follow:
            return True
        if state != DemandState.REPLIED:
            ctx.error(
                row,
                "followed_up_on",
                _("Only a replied demand can be followed up."),
            )
            return False
        if followed_on is None or not satisfaction:
            key = "satisfaction" if followed_on is not None else "followed_up_on"
            message = (
                _("Record the requester's satisfaction.")
                if followed_on is not None
                else _("Give the day of the follow-up call.")
            )
            ctx.error(row, key, message)
            return False
        if self._dates(row, ctx):
            return False
        moment = _at(followed_on, FOLLOWED_UP_AT, last, now)
        if not permissions.can(actor, "follow_up", demand):
            ctx.error(
                row,
                "satisfaction",
                _(
                    "Recording the follow-up (回访) needs the right to follow up demands at "
                    "the receiving organization."
                ),
            )
            return False
        change.follow_up = (moment, satisfaction)
        return True

    # --- commit and undo -----------------------------------------------------------------

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = demand_import(
            rows=[data for _row, data in plan.create],
            source=ctx.source,
            late_reason=ctx.reason,
            acting_user=ctx.actor,
        )
        total = len(plan.create) + len(plan.update)
        for done, change in enumerate(plan.update, start=1):
            self._apply(change, ctx)
            ctx.progress(len(created) + done, total)
        return Written(
            created={LABEL: [d.pk for d in created]},
            updated={LABEL: [c.demand.pk for c in plan.update]},
        )

    def _apply(self, change: Change, ctx: Context) -> None:
        actor, reason = ctx.actor, ctx.reason
        demand = change.demand
        if change.fields:
            demand = demand_update(demand=demand, acting_user=actor, **change.fields)
        reply_at = change.reply[0] if change.reply else None
        if change.assign:
            # Assigned when it was answered, if the file says when; else now.
            demand = demand_assign(
                demand=demand,
                handling_org=change.assign_to,
                when=reply_at,
                late_reason=reason if reply_at else "",
                acting_user=actor,
            )
        if change.reply:
            if demand.state == DemandState.ASSIGNED:
                demand = demand_start(
                    demand=demand, when=reply_at, late_reason=reason, acting_user=actor
                )
            demand = demand_reply(
                demand=demand,
                reply_text=change.reply[1],
                when=reply_at,
                late_reason=reason,
                acting_user=actor,
            )
        if change.follow_up:
            demand_follow_up(
                demand=demand,
                satisfaction=change.follow_up[1],
                when=change.follow_up[0],
                late_reason=reason,
                acting_user=actor,
            )

    def undo(self, written: Written, ctx: Context) -> None:
        demand_import_undo(
            ids=written.created.get(LABEL, []), source=ctx.source, acting_user=ctx.actor
        )


def _summary_label(key: str, ctx: Context) -> str:
    if key == "reply":
        return _("reply entered late")
    if key == "follow_up":
        return _("follow-up entered late")
    return ctx.fields[key].title if key in ctx.fields else key


def _number_pk(value: Any) -> int | None:
    match = NUMBER.match(str(value or "").strip())
    return int(match.group(2)) if match else None


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _masked_cell(row: Row, key: str) -> str | None:
    """The cell as typed, masked when it holds contact data."""
    if key == "mobile":
        return "、".join(mask_mobile(m) for m in row.get("mobile") or [])
    if key == "address":
        return masked_address((row.get("address") or "").strip())
    return None


IMPORTER = DemandImporter()
