"""Award nominations in Excel: the columns the honour-roll export writes and the import
reads back.

A row names an award (its number, or its name and year), the nominee (a unit for
先进党支部, a person for the others) and the deeds. A row with a 序号 is a nomination
already recorded (an edited export): its deeds and date are changed through
``nomination_update`` while it waits for review. A row without one is a new nomination,
recorded with the others through ``nomination_import``; a nominee already on the award's
list is counted as unchanged, so the same list in another file is not nominated twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.exports import DATE, INTEGER, TEXT, YEAR
from taizhang.core.imports import Context, Field, Importer, Plan, Row, Written
from taizhang.evaluations.models import Award, Nomination, NominationStatus
from taizhang.evaluations.permissions import AWARD, MANAGE, NOMINATION, can
from taizhang.evaluations.services import (
    NominationIn,
    nomination_import,
    nomination_import_undo,
    nomination_update,
)
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.people.matching import PersonMatcher

FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new nomination")),
    Field(
        "award_id",
        gettext_lazy("award number"),
        INTEGER,
        help=gettext_lazy("needed only when two awards share a name and year"),
    ),
    Field("award", gettext_lazy("award"), required=True, width=20),
    Field("year", gettext_lazy("year"), YEAR, required=True),
    Field("awarding", gettext_lazy("awarding organization"), TEXT, readonly=True, width=16),
    Field(
        "org_code",
        gettext_lazy("organization code"),
        help=gettext_lazy("the nominated unit's code; for an award to persons, leave empty"),
    ),
    Field(
        "org",
        gettext_lazy("nominee's unit"),
        width=18,
        help=gettext_lazy("the unit's name, when it is unique"),
    ),
    Field(
        "person",
        gettext_lazy("nominee"),
        width=12,
        help=gettext_lazy("for an award to persons: the person's name"),
    ),
    Field("deeds", gettext_lazy("deeds"), width=36),
    Field(
        "nominated_on",
        gettext_lazy("nominated on"),
        DATE,
        help=gettext_lazy("empty: today"),
    ),
    Field("status", gettext_lazy("status"), TEXT, readonly=True),
    Field("reviewed_on", gettext_lazy("reviewed on"), DATE, readonly=True),
    Field("review_note", gettext_lazy("review note"), TEXT, readonly=True, width=20),
    Field("published_on", gettext_lazy("published on"), DATE, readonly=True),
)


def nomination_row(nomination: Nomination) -> list[Any]:
    """One nomination as the export writes it (the importer's columns, in order)."""
    award = nomination.award
    person = nomination.person
    return [
        nomination.pk,
        award.pk,
        award.name,
        award.year,
        award.org.name,
        "" if person is not None else nomination.org.code,
        nomination.org.name,
        person.name if person is not None else "",
        nomination.deeds,
        nomination.nominated_on,
        nomination.get_status_display(),
        nomination.reviewed_on,
        nomination.review_note,
        nomination.published_on,
    ]


@dataclass
class Change:
    row: Row
    nomination: Nomination
    fields: dict[str, Any]


class NominationImporter(Importer):
    kind = "evaluations.nomination"
    label = gettext_lazy("Award nominations")
    permission = MANAGE
    fields = FIELDS
    order = 80

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "award": _("Advanced Party branch"),
                "year": 2026,
                "org_code": "3201",
                "deeds": _("Ran the community's volunteer service all year."),
                "nominated_on": dt.date(2026, 5, 10),
            },
            {
                "award": _("Excellent Party member"),
                "year": 2026,
                "person": _("Li Na（1234）"),
                "deeds": _("Led the flood relief of the village."),
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        awards = _AwardFinder(ctx.actor)
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({r.get("org_code") or r.get("org") or "" for r in rows if not r.get("person")})
        persons = PersonMatcher(ctx.actor)
        persons.preload({r.get("person") or "" for r in rows})
        ids = {r.get("id") for r in rows if r.get("id")}
        by_id = {
            n.pk: n
            for n in NOMINATION.queryset(ctx.actor, MANAGE)
            .filter(pk__in=ids)
            .select_related("award__org", "org", "person")
        }
        on_lists = self._on_lists(awards.all())
        create: list[NominationIn] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, str, int]] = set()
        unchanged = 0
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            if row.get("id"):
                # A row of an export: compared with its nomination, whatever the award's
                # state (a published honour roll comes back unchanged).
                change = self._compare(row, ctx, by_id.get(row.get("id")))
                if change is None:
                    continue
                if change.fields:
                    update.append(change)
                    preview.append(
                        (row.number, "update", f"{change.nomination} · {', '.join(change.fields)}")
                    )
                else:
                    unchanged += 1
                continue
            data = self._resolve(row, ctx, awards, orgs, persons)
            if data is None:
                continue
            key = _key(data.award.pk, data.org.pk, data.person.pk if data.person else None)
            if key in seen:
                ctx.error(row, "award", _("The same nominee appears twice in this file."))
                continue
            seen.add(key)
            if key in on_lists:
                unchanged += 1
                continue
            create.append(data)
            nominee = data.person.name if data.person else data.org.name
            preview.append((row.number, "create", f"{data.award.name} · {nominee}"))
        return Plan(create=create, update=update, unchanged=unchanged, preview=preview)

    def _compare(self, row: Row, ctx: Context, nomination: Nomination | None) -> Change | None:
        """The edits of a row naming a recorded nomination, or None with its error noted."""
        if nomination is None:
            ctx.error(row, "id", _("No nomination with this number within your scope."))
            return None
        if not _same_nominee(row, nomination):
            ctx.error(
                row,
                "id",
                _(
                    "This number is the nomination of another award or nominee; "
                    "leave it empty for a new nomination."
                ),
            )
            return None
        changed: dict[str, Any] = {}
        deeds = (row.get("deeds") or "").strip()
        if deeds != nomination.deeds:
            changed["deeds"] = deeds
        on = row.get("nominated_on")
        if on is not None and on != nomination.nominated_on:
            if on > ctx.today:
                ctx.error(row, "nominated_on", _("A nomination is dated today or earlier."))
                return None
            changed["nominated_on"] = on
        if changed and nomination.status != NominationStatus.NOMINATED:
            ctx.error(
                row,
                "deeds" if "deeds" in changed else "nominated_on",
                _("This nomination is already reviewed; it cannot be changed."),
            )
            return None
        return Change(row, nomination, changed)

    def _resolve(
        self,
        row: Row,
        ctx: Context,
        awards: _AwardFinder,
        orgs: OrganizationMatcher,
        persons: PersonMatcher,
    ) -> NominationIn | None:
        """The row as ``nomination_import`` takes it, or None with the row's errors noted."""
        award = awards.find(row, ctx)
        if award is None:
            return None
        ok = True
        org = person = None
        if award.takes_organizations:
            if row.get("person"):
                ctx.error(row, "person", _("This award honours organizations."))
                ok = False
            org_key = "org_code" if row.get("org_code") else "org"
            try:
                org = orgs.match(row.get("org_code") or row.get("org") or "")
            except Unmatched as error:
                ctx.error(row, org_key, error)
                ok = False
        else:
            try:
                person = persons.match(row.get("person") or "")
            except Unmatched as error:
                ctx.error(row, "person", error)
                ok = False
            else:
                org = person.organization
                if not ORGANIZATION.covers(ctx.actor, org, MANAGE):
                    ctx.error(
                        row,
                        "person",
                        _("%(name)s belongs to %(unit)s, which you do not manage.")
                        % {"name": person.name, "unit": org.name},
                    )
                    ok = False
        on = row.get("nominated_on")
        if on is not None and on > ctx.today:
            ctx.error(row, "nominated_on", _("A nomination is dated today or earlier."))
            ok = False
        deeds = (row.get("deeds") or "").strip()
        if len(deeds) > 5000:
            ctx.error(row, "deeds", _("Keep the deeds under 5,000 characters."))
            ok = False
        if not ok or org is None:
            return None
        return NominationIn(award=award, org=org, person=person, deeds=deeds, nominated_on=on)

    @staticmethod
    def _on_lists(awards: list[Award]) -> set[tuple[int, str, int]]:
        """Nominees already on the awards' lists (whoever nominated them)."""
        found = Nomination.objects.filter(award__in=awards).values_list(
            "award_id", "org_id", "person_id"
        )
        return {_key(a, o, p) for a, o, p in found}

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = nomination_import(rows=plan.create, source=ctx.source, acting_user=ctx.actor)
        for done, change in enumerate(plan.update, start=1):
            nomination_update(nomination=change.nomination, acting_user=ctx.actor, **change.fields)
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={"evaluations.nomination": [n.pk for n in created]},
            updated={"evaluations.nomination": [c.nomination.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        nomination_import_undo(
            ids=written.created.get("evaluations.nomination", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


def _same_nominee(row: Row, nomination: Nomination) -> bool:
    """Whether the row's award and nominee are the nomination's (as its export wrote them)."""
    award = nomination.award
    if row.get("award_id"):
        if row.get("award_id") != award.pk:
            return False
    elif (row.get("award") or "").strip() != award.name or row.get("year") != award.year:
        return False
    if nomination.person is not None:
        return PersonMatcher.split(row.get("person") or "")[0] == nomination.person.name
    named = {str(row.get("org_code") or ""), str(row.get("org") or "")} - {""}
    return bool(named) and named <= {
        nomination.org.code,
        nomination.org.name,
        nomination.org.short_name,
    }


def _key(award_id: int, org_id: int, person_id: int | None) -> tuple[int, str, int]:
    return (award_id, "p", person_id) if person_id else (award_id, "o", org_id)


class _AwardFinder:
    """The awards the importer may nominate to, loaded once: open, within reach."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self._awards: list[Award] | None = None

    def all(self) -> list[Award]:
        if self._awards is None:
            qs = AWARD.queryset(self.actor).filter(published_on__isnull=True)
            self._awards = [a for a in qs.select_related("org") if can(self.actor, "nominate", a)]
        return self._awards

    def find(self, row: Row, ctx: Context) -> Award | None:
        awards = self.all()
        if row.get("award_id"):
            match = [a for a in awards if a.pk == row.get("award_id")]
        else:
            name = (row.get("award") or "").strip()
            match = [a for a in awards if a.name == name and a.year == row.get("year")]
        if len(match) == 1:
            return match[0]
        if match:
            ctx.error(
                row,
                "award",
                _("%(count)d open awards are named “%(name)s” in %(year)s; write the award number.")
                % {"count": len(match), "name": row.get("award"), "year": row.get("year")},
            )
        else:
            ctx.error(
                row,
                "award_id" if row.get("award_id") else "award",
                _(
                    "No award open for nominations with this name and year within your "
                    "scope; an award whose list is published takes no more nominations."
                ),
            )
        return None


IMPORTER = NominationImporter()
