"""Investment ledgers in Excel: the columns their exports write and their imports read.

Three ledgers: leads (with the dates of their stages, so last year's ledger comes in with
its real signing and landing dates, each marked 补录 with the file it came from), the
promotion events and fairs, and the subsidy payments. A row with a 序号 is a record
already kept (an edited export): its details are compared with the record and changed
through the module's update service; a lead may move forward (new stage dates) or be
marked lost, but history already recorded is not rewritten by a file. A row without one
is new and is written with the others through one bulk service; one matching a record
already kept (the same unit and enterprise and project, the same unit, name and day...)
counts as unchanged, so the same rows in another file are not recorded twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from taizhang.core.exports import DATE, INTEGER, MONEY
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.investment.models import (
    Event,
    EventKind,
    Lead,
    LeadStage,
    Source,
    Subsidy,
    SubsidyPolicy,
    Team,
)
from taizhang.investment.permissions import EVENT, LEAD, MANAGE, SUBSIDY
from taizhang.investment.selectors import event_choices, team_choices
from taizhang.investment.services import (
    STEP_KEYS,
    EventIn,
    LeadIn,
    SubsidyIn,
    event_import,
    event_import_undo,
    event_in_problems,
    event_update,
    lead_advance,
    lead_import,
    lead_import_undo,
    lead_in_problems,
    lead_mark_lost,
    lead_update,
    subsidy_import,
    subsidy_import_undo,
    subsidy_in_problems,
    subsidy_update,
)
from taizhang.organizations.matching import OrganizationMatcher, Unmatched

WAN = Decimal(10_000)
T = TypeVar("T")
# Headers and help texts carry their own context ("investment ledger column"): other
# modules' wording for the same English does not decide ours.


def wan(value: int | None) -> Decimal | None:
    """Yuan as the Decimal 万元 a MONEY column writes (exact: re-imported, it is equal)."""
    return None if value is None else Decimal(value) / WAN


def _money_text(value: int) -> str:
    text = f"{Decimal(value) / WAN:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}万元"


def _chunks(ids: Iterable[Any], size: int = 900) -> Iterable[list[Any]]:
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(qs: QuerySet[Any], ids: set[Any]) -> dict[Any, Any]:
    """The records a file names by number among ``qs`` (the importer's scope)."""
    found: dict[Any, Any] = {}
    for part in _chunks(ids):
        found.update({obj.pk: obj for obj in qs.filter(pk__in=part)})
    return found


class Named(Generic[T]):
    """Records a file names by their name, or by ``name（qualifier）`` when two share it
    (two teams of one name in different competitions, two events of one name)."""

    def __init__(
        self,
        items: Iterable[T],
        *,
        name: Callable[[T], str],
        qualifier: Callable[[T], str],
        missing: str,
        ambiguous: str,
    ) -> None:
        self.name = name
        self.qualifier = qualifier
        self.missing = missing
        self.ambiguous = ambiguous
        self.by_name: dict[str, list[T]] = {}
        for item in items:
            self.by_name.setdefault(name(item).strip(), []).append(item)

    def label(self, item: T | None) -> str:
        """How the export names ``item``: its name, qualified only when it is not unique."""
        if item is None:
            return ""
        name = self.name(item).strip()
        if len(self.by_name.get(name, [])) > 1:
            return f"{name}（{self.qualifier(item)}）"
        return name

    def match(self, value: str) -> T:
        value = value.strip()
        found = self.by_name.get(value, [])
        if not found and value.endswith(("）", ")")):
            for separator in ("（", "("):
                if separator in value:
                    name, hint = value[:-1].rsplit(separator, 1)
                    found = [
                        item
                        for item in self.by_name.get(name.strip(), [])
                        if self.qualifier(item) == hint.strip()
                    ]
                    break
        if len(found) == 1:
            return found[0]
        if not found:
            raise Unmatched(self.missing % {"name": value})
        example = f"{value}（{self.qualifier(found[0])}）"
        raise Unmatched(self.ambiguous % {"count": len(found), "name": value, "example": example})


def team_names(viewer: Any) -> Named[Team]:
    return Named(
        team_choices(viewer=viewer),
        name=lambda t: t.name,
        qualifier=lambda t: t.competition.name,
        missing=_("No team named “%(name)s” in the competitions you see."),
        ambiguous=_(
            "%(count)d teams are named “%(name)s”; write the competition after the name, "
            "such as %(example)s."
        ),
    )


def event_names(viewer: Any) -> Named[Event]:
    return Named(
        event_choices(viewer=viewer),
        name=lambda e: e.name,
        qualifier=lambda e: e.held_on.isoformat(),
        missing=_("No event named “%(name)s” within your scope."),
        ambiguous=_(
            "%(count)d events are named “%(name)s”; write the date after the name, "
            "such as %(example)s."
        ),
    )


def _org_fields(new_help: Any) -> tuple[Field, ...]:
    return (
        Field(
            "id", pgettext_lazy("investment ledger column", "No."), INTEGER, help=new_help, width=8
        ),
        Field(
            "org_code",
            pgettext_lazy("investment ledger column", "organization code"),
            help=pgettext_lazy(
                "investment ledger column", "the unit's code; or leave empty and write its name"
            ),
        ),
        Field(
            "org",
            pgettext_lazy("investment ledger column", "organization"),
            width=16,
            help=pgettext_lazy("investment ledger column", "the unit's name, when it is unique"),
        ),
    )


def _match_org(row: Row, ctx: Context, orgs: OrganizationMatcher) -> Any:
    return orgs.match_row(row, ctx)


def _orgs(rows: Sequence[Row], ctx: Context) -> OrganizationMatcher:
    matcher = OrganizationMatcher(ctx.actor, MANAGE)
    matcher.preload({r.get("org_code") or r.get("org") or "" for r in rows})
    return matcher


def _text(row: Row, key: str) -> str:
    return str(row.get(key) or "").strip()


# --- leads ---------------------------------------------------------------------------

LEAD_FIELDS = (
    *_org_fields(pgettext_lazy("investment ledger column", "empty for a new lead")),
    Field(
        "enterprise",
        pgettext_lazy("investment ledger column", "enterprise"),
        required=True,
        width=22,
    ),
    Field(
        "project_name",
        pgettext_lazy("investment ledger column", "project"),
        required=True,
        width=24,
    ),
    Field("sector", pgettext_lazy("investment ledger column", "sector"), required=True, width=10),
    Field(
        "source",
        pgettext_lazy("investment ledger column", "source"),
        CHOICE,
        required=True,
        choices=lambda: Source.choices,
    ),
    Field(
        "amount",
        pgettext_lazy("investment ledger column", "intended investment"),
        MONEY,
        unit="万元",
    ),
    Field(
        "team",
        pgettext_lazy("investment ledger column", "resident team"),
        width=14,
        help=pgettext_lazy(
            "investment ledger column",
            "the team's name; add （competition） when two teams share it",
        ),
    ),
    Field(
        "event",
        pgettext_lazy("investment ledger column", "signed at event"),
        width=18,
        help=pgettext_lazy(
            "investment ledger column", "the event's name; add （date） when two events share it"
        ),
    ),
    Field(
        "stage",
        pgettext_lazy("investment ledger column", "current stage"),
        CHOICE,
        choices=lambda: LeadStage.choices,
        help=pgettext_lazy("investment ledger column", "empty: the last stage with a date"),
    ),
    Field(
        "contacted_on",
        pgettext_lazy("investment ledger column", "first contact date"),
        DATE,
        help=pgettext_lazy("investment ledger column", "empty: the first date given, or today"),
    ),
    Field("negotiating_on", pgettext_lazy("investment ledger column", "negotiation date"), DATE),
    Field("signed_on", pgettext_lazy("investment ledger column", "signing date"), DATE),
    Field(
        "signed_amount",
        pgettext_lazy("investment ledger column", "signed investment"),
        MONEY,
        unit="万元",
    ),
    Field("landed_on", pgettext_lazy("investment ledger column", "landing date"), DATE),
    Field("started_on", pgettext_lazy("investment ledger column", "construction start date"), DATE),
    Field(
        "lost_on",
        pgettext_lazy("investment ledger column", "lost on"),
        DATE,
        help=pgettext_lazy("investment ledger column", "with the reason, for a lead that is lost"),
    ),
    Field("lost_reason", pgettext_lazy("investment ledger column", "why it was lost"), width=18),
    Field("note", pgettext_lazy("investment ledger column", "note"), width=24),
    Field(
        "project", pgettext_lazy("investment ledger column", "key project"), readonly=True, width=18
    ),
)

LEAD_COMPARED = (
    "org",
    "enterprise",
    "project_name",
    "sector",
    "source",
    "amount",
    "team",
    "event",
    "note",
)


def lead_dates(lead: Lead) -> dict[int, dt.date]:
    """The date a lead reached each stage it stands at or below: the first contact, the
    signing date it keeps, and the latest move into every other stage."""
    moves = sorted(lead.changes.all(), key=lambda c: (c.changed_on, c.pk))
    dates: dict[int, dt.date] = {}
    if moves:
        dates[LeadStage.CONTACT] = moves[0].changed_on
    for move in moves:
        if move.from_stage is not None and move.to_stage <= lead.stage:
            dates[move.to_stage] = move.changed_on
    dates.pop(LeadStage.SIGNED, None)
    if lead.signed_on is not None and lead.stage >= LeadStage.SIGNED:
        dates[LeadStage.SIGNED] = lead.signed_on
    return dates


@dataclass
class LeadChange:
    row: Row
    lead: Lead
    fields: dict[str, Any]
    steps: list[tuple[int, dt.date]] = field(default_factory=list)
    signed_amount: int | None = None
    lost: tuple[dt.date, str] | None = None


class LeadImporter(Importer):
    kind = "investment.lead"
    label = pgettext_lazy("investment ledger column", "Investment leads")
    permission = MANAGE
    fields = LEAD_FIELDS
    order = 40

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "enterprise": _("Linxi New Energy Co., Ltd."),
                "project_name": _("Battery pack plant"),
                "sector": _("New energy"),
                "source": Source.RESIDENT.label,
                "amount": 50000,
                "stage": LeadStage.LANDED.label,
                "contacted_on": dt.date(2025, 3, 2),
                "negotiating_on": dt.date(2025, 4, 10),
                "signed_on": dt.date(2025, 6, 18),
                "signed_amount": 48000,
                "landed_on": dt.date(2025, 9, 1),
            },
            {
                "org_code": "3201",
                "enterprise": _("Hexin Logistics"),
                "project_name": _("Cold-chain warehouse"),
                "sector": _("Logistics"),
                "source": Source.VISIT.label,
                "amount": 8000,
                "contacted_on": dt.date(2025, 5, 6),
                "lost_on": dt.date(2025, 8, 30),
                "lost_reason": _("Chose another county"),
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = _orgs(rows, ctx)
        teams = team_names(ctx.actor)
        events = event_names(ctx.actor)
        base = Lead.objects.select_related("org", "team", "event").prefetch_related("changes")
        existing = _existing(
            LEAD.queryset(ctx.actor, MANAGE, base=base), {r.get("id") for r in rows if r.get("id")}
        )
        create: list[tuple[Row, LeadIn]] = []
        update: list[LeadChange] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, str, str]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            values = self._resolve(row, ctx, orgs, teams, events)
            if values is None:
                continue
            if row.get("id"):
                lead = existing.get(row.get("id"))
                if lead is None:
                    ctx.error(row, "id", _("No lead with this number within your scope."))
                    continue
                change = self._change(row, lead, values, ctx)
                if change is None:
                    continue
                if change.fields or change.steps or change.lost:
                    update.append(change)
                    what = [*change.fields, *(STEP_KEYS[s] for s, _d in change.steps)]
                    if change.lost:
                        what.append("lost_on")
                    titles = "、".join(ctx.fields[k].title for k in what if k in ctx.fields)
                    preview.append((row.number, "update", f"{lead.project_name} · {titles}"))
                else:
                    unchanged += 1
                continue
            data = self._new(row, values, ctx)
            if data is None:
                continue
            key = (data.org.pk, data.enterprise, data.project_name)
            if key in seen:
                ctx.error(row, "project_name", _("The same lead appears twice in this file."))
                continue
            seen.add(key)
            create.append((row, data))
        recorded = self._recorded(seen)
        kept = []
        for row, data in create:
            if (data.org.pk, data.enterprise, data.project_name) in recorded:
                unchanged += 1
                continue
            kept.append((row, data))
            stage = LeadStage(data.stage).label
            preview.append(
                (row.number, "create", f"{data.org.name} {data.project_name}（{stage}）")
            )
        preview.sort()
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def _resolve(
        self,
        row: Row,
        ctx: Context,
        orgs: OrganizationMatcher,
        teams: Named[Team],
        events: Named[Event],
    ) -> dict[str, Any] | None:
        values: dict[str, Any] = {
            "enterprise": _text(row, "enterprise"),
            "project_name": _text(row, "project_name"),
            "sector": _text(row, "sector"),
            "source": row.get("source"),
            "amount": row.get("amount"),
            "note": row.get("note") or "",
            "team": None,
            "event": None,
        }
        ok = True
        values["org"] = _match_org(row, ctx, orgs)
        ok = values["org"] is not None
        for key, names in (("team", teams), ("event", events)):
            if not _text(row, key):
                continue
            try:
                values[key] = names.match(_text(row, key))
            except Unmatched as error:
                ctx.error(row, key, error)
                ok = False
        dates = {stage: row.get(key) for stage, key in STEP_KEYS.items() if row.get(key)}
        stage = row.get("stage")
        if stage is not None:
            for later in sorted(s for s in dates if s > stage):
                ctx.error(
                    row,
                    STEP_KEYS[later],
                    _("This date is past the lead's current stage (%(stage)s); clear it.")
                    % {"stage": LeadStage(stage).label},
                )
                ok = False
            if stage > LeadStage.CONTACT and stage not in dates:
                ctx.error(
                    row,
                    STEP_KEYS[stage],
                    _("Give the date the lead reached %(stage)s.")
                    % {"stage": LeadStage(stage).label},
                )
                ok = False
        values["dates"] = dates
        values["stage"] = stage
        return values if ok else None

    def _new(self, row: Row, values: dict[str, Any], ctx: Context) -> LeadIn | None:
        dates: dict[int, dt.date] = values["dates"]
        contacted = row.get("contacted_on") or min(dates.values(), default=ctx.today)
        data = LeadIn(
            org=values["org"],
            enterprise=values["enterprise"],
            project_name=values["project_name"],
            sector=values["sector"],
            source=values["source"],
            contacted_on=contacted,
            amount=values["amount"],
            team=values["team"],
            event=values["event"],
            note=values["note"],
            stage_dates=dates,
            signed_amount=row.get("signed_amount"),
            lost_on=row.get("lost_on"),
            lost_reason=_text(row, "lost_reason"),
            late_reason=ctx.reason,
        )
        problems = lead_in_problems(data, today=ctx.today)
        for key, message in problems.items():
            ctx.error(row, key if key in ctx.fields else "project_name", message)
        return None if problems else data

    def _change(
        self, row: Row, lead: Lead, values: dict[str, Any], ctx: Context
    ) -> LeadChange | None:
        """The edits a row makes to a lead already kept, or None when it rewrites history."""
        ok = True

        def recorded(key: str, shown: str) -> None:
            nonlocal ok
            ctx.error(
                row,
                key,
                _("Already recorded as “%(value)s”; an import does not change recorded history.")
                % {"value": shown},
            )
            ok = False

        fields = {k: values[k] for k in LEAD_COMPARED if getattr(lead, k) != values[k]}
        dates = lead_dates(lead)
        contacted = row.get("contacted_on")
        if contacted and contacted != dates.get(LeadStage.CONTACT):
            recorded("contacted_on", str(dates.get(LeadStage.CONTACT) or "—"))
        for stage, day in values["dates"].items():
            if stage <= lead.stage and day != dates.get(stage):
                recorded(STEP_KEYS[stage], str(dates.get(stage) or "—"))
        signed = row.get("signed_amount")
        if signed is not None and lead.signed_amount is not None and signed != lead.signed_amount:
            recorded("signed_amount", _money_text(lead.signed_amount))
        stage = values["stage"] if values["stage"] is not None else lead.stage
        steps = sorted((s, d) for s, d in values["dates"].items() if s > lead.stage)
        if stage < lead.stage:
            ctx.error(
                row,
                "stage",
                _("The lead already stands at %(stage)s; move it back on its page, with a reason.")
                % {"stage": lead.get_stage_display()},
            )
            ok = False
        if steps and lead.is_lost:
            ctx.error(row, "stage", _("A lost lead cannot change stage."))
            ok = False
        previous = lead.stage_since
        for step, day in steps:
            if day > ctx.today:
                ctx.error(row, STEP_KEYS[step], _("The date cannot be in the future."))
                ok = False
            elif day < previous:
                ctx.error(
                    row,
                    STEP_KEYS[step],
                    _("This stage cannot be dated before the one before it (%(date)s).")
                    % {"date": previous.isoformat()},
                )
                ok = False
            previous = max(previous, day)
        lost_on, lost_reason = row.get("lost_on"), _text(row, "lost_reason")
        lost: tuple[dt.date, str] | None = None
        if lead.is_lost:
            if not lost_on and not lost_reason:
                ctx.error(
                    row, "lost_on", _("The lead is recorded as lost; an import cannot reopen it.")
                )
                ok = False
            elif lost_on and lost_on != lead.lost_on:
                recorded("lost_on", str(lead.lost_on))
            elif lost_reason and lost_reason != lead.lost_reason:
                recorded("lost_reason", lead.lost_reason)
        elif lost_on or lost_reason:
            if not lost_reason:
                ctx.error(row, "lost_reason", _("Say why the lead was lost."))
                ok = False
            elif not lost_on:
                ctx.error(row, "lost_on", _("Give the date the lead was lost."))
                ok = False
            elif lost_on > ctx.today:
                ctx.error(row, "lost_on", _("The date cannot be in the future."))
                ok = False
            elif lead.project_id:
                ctx.error(row, "lost_on", _("A lead that became a key project cannot be lost."))
                ok = False
            else:
                lost = (lost_on, lost_reason)
        if not ok:
            return None
        return LeadChange(
            row,
            lead,
            fields,
            steps=steps,
            signed_amount=signed if lead.signed_amount is None else None,
            lost=lost,
        )

    def _recorded(self, keys: set[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
        found: set[tuple[int, str, str]] = set()
        ordered = sorted(keys)
        for part in _chunks(ordered, 300):
            qs = Lead.objects.filter(
                org_id__in={k[0] for k in part}, project_name__in={k[2] for k in part}
            ).values_list("org_id", "enterprise", "project_name")
            found |= {(o, e, p) for o, e, p in qs if (o, e, p) in keys}
        return found

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = lead_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for done, change in enumerate(plan.update, start=1):
            lead = change.lead
            if change.fields:
                lead = lead_update(lead=lead, acting_user=ctx.actor, **change.fields)
            for stage, day in change.steps:
                lead = lead_advance(
                    lead=lead,
                    to_stage=stage,
                    on=day,
                    signed_amount=change.signed_amount if stage >= LeadStage.SIGNED else None,
                    late_reason=ctx.reason,
                    acting_user=ctx.actor,
                )
            if change.lost is not None:
                lead_mark_lost(
                    lead=lead,
                    on=change.lost[0],
                    reason=change.lost[1],
                    late_reason=ctx.reason,
                    acting_user=ctx.actor,
                )
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={"investment.lead": [lead.pk for lead in created]},
            updated={"investment.lead": [c.lead.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        lead_import_undo(
            ids=written.created.get("investment.lead", []), source=ctx.source, acting_user=ctx.actor
        )


def lead_row(lead: Lead, teams: Named[Team], events: Named[Event]) -> list[Any]:
    """One lead as the export writes it (the importer's columns, in order)."""
    dates = lead_dates(lead)
    return [
        lead.pk,
        lead.org.code,
        lead.org.name,
        lead.enterprise,
        lead.project_name,
        lead.sector,
        lead.get_source_display(),
        wan(lead.amount),
        teams.label(lead.team),
        events.label(lead.event),
        lead.get_stage_display(),
        dates.get(LeadStage.CONTACT),
        dates.get(LeadStage.NEGOTIATING),
        dates.get(LeadStage.SIGNED),
        wan(lead.signed_amount),
        dates.get(LeadStage.LANDED),
        dates.get(LeadStage.STARTED),
        lead.lost_on,
        lead.lost_reason,
        lead.note,
        lead.project.name if lead.project else "",
    ]


# --- events --------------------------------------------------------------------------

EVENT_FIELDS = (
    *_org_fields(pgettext_lazy("investment ledger column", "empty for a new event")),
    Field(
        "kind",
        pgettext_lazy("investment ledger column", "event kind"),
        CHOICE,
        required=True,
        choices=lambda: EventKind.choices,
    ),
    Field("name", pgettext_lazy("investment ledger column", "event name"), required=True, width=28),
    Field("held_on", pgettext_lazy("investment ledger column", "date held"), DATE, required=True),
    Field("place", pgettext_lazy("investment ledger column", "place"), width=16),
    Field("organizer", pgettext_lazy("investment ledger column", "organizer"), width=16),
    Field(
        "signings",
        pgettext_lazy("investment ledger column", "projects signed"),
        INTEGER,
        readonly=True,
    ),
    Field(
        "signed_amount",
        pgettext_lazy("investment ledger column", "signed investment"),
        MONEY,
        unit="万元",
        readonly=True,
    ),
)
EVENT_COMPARED = ("org", "kind", "name", "held_on", "place", "organizer")


@dataclass
class Change:
    row: Row
    record: Any
    fields: dict[str, Any]


class EventImporter(Importer):
    kind = "investment.event"
    label = pgettext_lazy("investment ledger column", "Promotion events and fairs")
    permission = MANAGE
    fields = EVENT_FIELDS
    order = 41

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "org_code": "3201",
                "kind": EventKind.PROMOTION.label,
                "name": _("Linxi investment promotion in Shenzhen"),
                "held_on": dt.date(2025, 11, 8),
                "place": _("Shenzhen"),
                "organizer": _("District investment bureau"),
            }
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = _orgs(rows, ctx)
        existing = _existing(
            EVENT.queryset(ctx.actor, MANAGE, base=Event.objects.select_related("org")),
            {r.get("id") for r in rows if r.get("id")},
        )
        create: list[tuple[Row, EventIn]] = []
        update: list[Change] = []
        seen: set[tuple[int, str, dt.date]] = set()
        unchanged = 0
        for row in rows:
            org = _match_org(row, ctx, orgs)
            if org is None:
                continue
            data = EventIn(
                org=org,
                kind=row.get("kind"),
                name=_text(row, "name"),
                held_on=row.get("held_on"),
                place=_text(row, "place"),
                organizer=_text(row, "organizer"),
            )
            problems = event_in_problems(data)
            for key, message in problems.items():
                ctx.error(row, key if key in ctx.fields else "name", message)
            if problems:
                continue
            if row.get("id"):
                event = existing.get(row.get("id"))
                if event is None:
                    ctx.error(row, "id", _("No event with this number within your scope."))
                    continue
                changed = {
                    k: getattr(data, k)
                    for k in EVENT_COMPARED
                    if getattr(event, k) != getattr(data, k)
                }
                if changed:
                    update.append(Change(row, event, changed))
                else:
                    unchanged += 1
                continue
            natural = (org.pk, data.name, data.held_on)
            if natural in seen:
                ctx.error(row, "name", _("The same event appears twice in this file."))
                continue
            seen.add(natural)
            create.append((row, data))
        recorded: set[tuple[int, str, dt.date]] = set()
        if seen:
            days = {k[2] for k in seen}
            qs = Event.objects.filter(
                org_id__in={k[0] for k in seen},
                held_on__gte=min(days),
                held_on__lte=max(days),
            ).values_list("org_id", "name", "held_on")
            recorded = {(o, n, d) for o, n, d in qs if (o, n, d) in seen}
        kept = [(r, d) for r, d in create if (d.org.pk, d.name, d.held_on) not in recorded]
        unchanged += len(create) - len(kept)
        preview = [(r.number, "create", f"{d.held_on} {d.org.name} {d.name}") for r, d in kept]
        preview += [
            (
                c.row.number,
                "update",
                f"{c.record.name} · {'、'.join(ctx.fields[k].title for k in c.fields)}",
            )
            for c in update
        ]
        preview.sort()
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = event_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for change in plan.update:
            event_update(event=change.record, acting_user=ctx.actor, **change.fields)
        return Written(
            created={"investment.event": [e.pk for e in created]},
            updated={"investment.event": [c.record.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        event_import_undo(
            ids=written.created.get("investment.event", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


def event_row(event: Event) -> list[Any]:
    return [
        event.pk,
        event.org.code,
        event.org.name,
        event.get_kind_display(),
        event.name,
        event.held_on,
        event.place,
        event.organizer,
        getattr(event, "signings", 0) or 0,
        wan(getattr(event, "signed_amount", 0) or 0),
    ]


# --- subsidies -----------------------------------------------------------------------


def _policies() -> list[tuple[Any, Any]]:
    # Deactivated policies stay readable so an export comes back in; new payments under
    # them are refused row by row.
    return [(p.pk, p.name) for p in SubsidyPolicy.objects.order_by("-is_active", "sort_order")]


SUBSIDY_FIELDS = (
    *_org_fields(pgettext_lazy("investment ledger column", "empty for a new payment")),
    Field(
        "policy",
        pgettext_lazy("investment ledger column", "policy"),
        CHOICE,
        required=True,
        choices=_policies,
        width=22,
    ),
    Field(
        "enterprise",
        pgettext_lazy("investment ledger column", "enterprise"),
        required=True,
        width=22,
    ),
    Field(
        "amount",
        pgettext_lazy("investment ledger column", "amount paid"),
        MONEY,
        required=True,
        unit="万元",
    ),
    Field("paid_on", pgettext_lazy("investment ledger column", "paid on"), DATE, required=True),
)
SUBSIDY_COMPARED = ("org", "policy", "enterprise", "amount", "paid_on")
SubsidyKey = tuple[int, int, str, dt.date, int]


def _subsidy_key(data: SubsidyIn) -> SubsidyKey:
    return (data.org.pk, data.policy.pk, data.enterprise, data.paid_on, data.amount)


class SubsidyImporter(Importer):
    kind = "investment.subsidy"
    label = pgettext_lazy("investment ledger column", "Subsidy payments")
    permission = MANAGE
    fields = SUBSIDY_FIELDS
    order = 42

    def examples(self) -> list[dict[str, Any]]:
        policies = [name for _pk, name in _policies()]
        return [
            {
                "org_code": "3201",
                "policy": policies[0] if policies else "",
                "enterprise": _("Linxi New Energy Co., Ltd."),
                "amount": 12.5,
                "paid_on": dt.date(2025, 12, 20),
            }
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = _orgs(rows, ctx)
        policies = {p.pk: p for p in SubsidyPolicy.objects.all()}
        existing = _existing(
            SUBSIDY.queryset(
                ctx.actor, MANAGE, base=Subsidy.objects.select_related("org", "policy")
            ),
            {r.get("id") for r in rows if r.get("id")},
        )
        create: list[tuple[Row, SubsidyIn]] = []
        update: list[Change] = []
        seen: set[SubsidyKey] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            org = _match_org(row, ctx, orgs)
            if org is None:
                continue
            data = SubsidyIn(
                org=org,
                policy=policies[row.get("policy")],
                enterprise=_text(row, "enterprise"),
                amount=row.get("amount"),
                paid_on=row.get("paid_on"),
            )
            problems = subsidy_in_problems(data, today=ctx.today)
            if row.get("id"):
                subsidy = existing.get(row.get("id"))
                if subsidy is None:
                    ctx.error(row, "id", _("No payment with this number within your scope."))
                    continue
                if data.policy == subsidy.policy:
                    problems.pop("policy", None)  # paid before it was deactivated
                changed = {
                    k: getattr(data, k)
                    for k in SUBSIDY_COMPARED
                    if getattr(subsidy, k) != getattr(data, k)
                }
                if not problems and changed:
                    update.append(Change(row, subsidy, changed))
                elif not problems:
                    unchanged += 1
            else:
                key = _subsidy_key(data)
                if not problems and key in seen:
                    problems["enterprise"] = _("The same payment appears twice in this file.")
                if not problems:
                    seen.add(key)
                    create.append((row, data))
            for key_, message in problems.items():
                ctx.error(row, key_ if key_ in ctx.fields else "enterprise", message)
        recorded: set[SubsidyKey] = set()
        if seen:
            days = {k[3] for k in seen}
            for part in _chunks(sorted({k[0] for k in seen}), 300):
                qs = Subsidy.objects.filter(
                    org_id__in=part, paid_on__gte=min(days), paid_on__lte=max(days)
                ).values_list("org_id", "policy_id", "enterprise", "paid_on", "amount")
                recorded |= {tuple(v) for v in qs if tuple(v) in seen}  # type: ignore[misc]
        kept = [(r, d) for r, d in create if _subsidy_key(d) not in recorded]
        unchanged += len(create) - len(kept)
        preview = [
            (
                r.number,
                "create",
                f"{d.paid_on} {d.enterprise} {d.policy.name} {_money_text(d.amount)}",
            )
            for r, d in kept
        ]
        preview += [
            (
                c.row.number,
                "update",
                f"{c.record.enterprise} · {'、'.join(ctx.fields[k].title for k in c.fields)}",
            )
            for c in update
        ]
        preview.sort()
        return Plan(create=kept, update=update, unchanged=unchanged, preview=preview)

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = subsidy_import(
            rows=[data for _row, data in plan.create], source=ctx.source, acting_user=ctx.actor
        )
        for done, change in enumerate(plan.update, start=1):
            subsidy_update(subsidy=change.record, acting_user=ctx.actor, **change.fields)
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={"investment.subsidy": [s.pk for s in created]},
            updated={"investment.subsidy": [c.record.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        subsidy_import_undo(
            ids=written.created.get("investment.subsidy", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


def subsidy_row(subsidy: Subsidy) -> list[Any]:
    return [
        subsidy.pk,
        subsidy.org.code,
        subsidy.org.name,
        subsidy.policy.name,
        subsidy.enterprise,
        wan(subsidy.amount),
        subsidy.paid_on,
    ]


LEAD_IMPORTER = LeadImporter()
EVENT_IMPORTER = EventImporter()
SUBSIDY_IMPORTER = SubsidyImporter()
