"""Village figures (集体经济收入 …) in Excel: the columns the export writes and the import
reads back.

A row names a village (by code or unique name), an indicator, a year and the value.
A row with a 序号 is a figure already recorded (an edited export); a row without one
that names a figure already recorded (the same village, indicator and year) is the same
figure. Either is unchanged when the value is the same, revised through
``indicator_record`` while it is a draft, and refused once confirmed (a confirmed figure
changes only by a correction with its reason). New figures are recorded together
through ``indicator_import``; a past year's figure is kept as 补录 with the file's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.exports import DATE, DECIMAL, INTEGER, TEXT, YEAR
from taizhang.core.imports import CHOICE, Context, Field, Importer, Plan, Row, Written
from taizhang.organizations.matching import OrganizationMatcher, Unmatched
from taizhang.pairing.models import MONEY_INDICATORS, Indicator, IndicatorValue
from taizhang.pairing.permissions import MANAGE, VALUE
from taizhang.pairing.services import (
    VILLAGE_KINDS,
    ValueIn,
    indicator_import,
    indicator_import_undo,
    indicator_record,
)

TEN_THOUSAND = Decimal(10_000)

FIELDS = (
    Field("id", gettext_lazy("No."), INTEGER, help=gettext_lazy("empty for a new figure")),
    Field(
        "village_code",
        gettext_lazy("village code"),
        help=gettext_lazy("the village's code; or leave empty and write its name"),
    ),
    Field(
        "village",
        gettext_lazy("village or community"),
        width=18,
        help=gettext_lazy("the village's name, when it is unique"),
    ),
    Field(
        "indicator",
        gettext_lazy("indicator"),
        CHOICE,
        required=True,
        width=16,
        choices=lambda: Indicator.choices,
    ),
    Field("year", gettext_lazy("year"), YEAR, required=True),
    Field(
        "value",
        gettext_lazy("value"),
        DECIMAL,
        required=True,
        width=14,
        help=gettext_lazy("incomes and funds in 万元; a count for projects"),
    ),
    Field("status", gettext_lazy("status"), TEXT, readonly=True),
    Field("recorded_on", gettext_lazy("recorded on"), DATE, readonly=True),
    Field("confirmed_on", gettext_lazy("confirmed on"), DATE, readonly=True),
    Field("late_reason", gettext_lazy("late entry reason"), TEXT, readonly=True, width=20),
)


def shown_value(value: IndicatorValue) -> Decimal | int:
    """The figure as the sheet shows it: money in 万元 (exact), projects as a count."""
    if value.indicator in MONEY_INDICATORS:
        return (Decimal(value.value) / TEN_THOUSAND).normalize()
    return value.value


def value_row(value: IndicatorValue) -> list[Any]:
    """One figure as the export writes it (the importer's columns, in order)."""
    return [
        value.pk,
        value.village.code,
        value.village.name,
        value.get_indicator_display(),
        value.year,
        shown_value(value),
        value.get_status_display(),
        value.recorded_on,
        value.confirmed_on,
        value.late_reason,
    ]


@dataclass
class Change:
    row: Row
    current: IndicatorValue
    value: int


class ValueImporter(Importer):
    kind = "pairing.value"
    label = gettext_lazy("Village figures (pairing)")
    permission = MANAGE
    fields = FIELDS
    order = 90

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "village_code": "3201001",
                "indicator": Indicator.COLLECTIVE_INCOME.label,
                "year": 2025,
                "value": Decimal("52.3"),
            },
            {
                "village": _("Qingshan Village"),
                "indicator": Indicator.PROJECTS.label,
                "year": 2025,
                "value": 3,
            },
        ]

    def prepare(self, rows: Sequence[Row], ctx: Context) -> Plan:
        orgs = OrganizationMatcher(ctx.actor, MANAGE)
        orgs.preload({self._village_text(r) for r in rows})
        ids = {r.get("id") for r in rows if r.get("id")}
        by_id = {
            v.pk: v
            for v in VALUE.queryset(ctx.actor, MANAGE).filter(pk__in=ids).select_related("village")
        }
        resolved: list[tuple[Row, ValueIn]] = []
        for index, row in enumerate(rows, start=1):
            if index % 1000 == 0:
                ctx.progress(index, len(rows))
            data = self._resolve(row, ctx, orgs)
            if data is not None:
                resolved.append((row, data))
        recorded = self._recorded([d for _r, d in resolved])
        create: list[ValueIn] = []
        update: list[Change] = []
        preview: list[tuple[int, str, str]] = []
        seen: set[tuple[int, str, int]] = set()
        unchanged = 0
        for row, data in resolved:
            key = (data.village.pk, data.indicator, data.year)
            if key in seen:
                ctx.error(row, "year", _("The same figure appears twice in this file."))
                continue
            seen.add(key)
            current = recorded.get(key)
            if row.get("id"):
                current = by_id.get(row.get("id"))
                if current is None:
                    ctx.error(row, "id", _("No figure with this number within your scope."))
                    continue
                if (current.village_id, current.indicator, current.year) != key:
                    ctx.error(
                        row,
                        "id",
                        _(
                            "This number is the figure of another village, indicator or "
                            "year; leave it empty for a new figure."
                        ),
                    )
                    continue
            label = f"{data.village.name} {Indicator(data.indicator).label} {data.year}"
            if current is None:
                create.append(data)
                preview.append((row.number, "create", label))
            elif current.value == data.value:
                unchanged += 1
            elif current.is_locked:
                ctx.error(
                    row,
                    "value",
                    _(
                        "The %(year)s figure is confirmed and locked; correct it on the "
                        "pair's page with its reason."
                    )
                    % {"year": data.year},
                )
            else:
                update.append(Change(row, current, data.value))
                preview.append((row.number, "update", label))
        return Plan(create=create, update=update, unchanged=unchanged, preview=preview)

    @staticmethod
    def _village_text(row: Row) -> str:
        return str(row.get("village_code") or row.get("village") or "")

    def _resolve(self, row: Row, ctx: Context, orgs: OrganizationMatcher) -> ValueIn | None:
        """The row as ``indicator_record`` takes it, or None with the row's errors noted."""
        ok = True
        village = None
        try:
            village = orgs.match(self._village_text(row))
        except Unmatched as error:
            ctx.error(row, "village_code" if row.get("village_code") else "village", error)
            ok = False
        if village is not None and village.kind not in VILLAGE_KINDS:
            ctx.error(
                row,
                "village_code" if row.get("village_code") else "village",
                _("Figures are recorded for villages and communities."),
            )
            ok = False
        indicator, year, raw = row.get("indicator"), row.get("year"), row.get("value")
        if year is not None and year > ctx.today.year:
            ctx.error(row, "year", _("A year that has not begun has no value yet."))
            ok = False
        value = None
        if raw is not None and indicator is not None:
            amount = Decimal(raw) * (TEN_THOUSAND if indicator in MONEY_INDICATORS else 1)
            if amount < 0:
                ctx.error(row, "value", _("A value is not negative."))
                ok = False
            elif amount != amount.to_integral_value():
                ctx.error(
                    row,
                    "value",
                    _("Write an amount to the yuan (4 decimals in 万元) or a whole count."),
                )
                ok = False
            else:
                value = int(amount)
        if not ok or village is None or value is None or indicator is None or year is None:
            return None
        return ValueIn(village=village, indicator=indicator, year=year, value=value)

    @staticmethod
    def _recorded(data: list[ValueIn]) -> dict[tuple[int, str, int], IndicatorValue]:
        """Figures already recorded under the rows' villages, indicators and years."""
        if not data:
            return {}
        keys = {(d.village.pk, d.indicator, d.year) for d in data}
        found = IndicatorValue.objects.filter(
            village_id__in={k[0] for k in keys},
            indicator__in={k[1] for k in keys},
            year__in={k[2] for k in keys},
        ).select_related("village")
        return {
            (v.village_id, v.indicator, v.year): v
            for v in found
            if (v.village_id, v.indicator, v.year) in keys
        }

    def commit(self, plan: Plan, ctx: Context) -> Written:
        created = indicator_import(
            rows=plan.create, source=ctx.source, late_reason=ctx.reason, acting_user=ctx.actor
        )
        for done, change in enumerate(plan.update, start=1):
            indicator_record(
                village=change.current.village,
                indicator=change.current.indicator,
                year=change.current.year,
                value=change.value,
                late_reason=ctx.reason,
                acting_user=ctx.actor,
            )
            ctx.progress(len(created) + done, len(plan.create) + len(plan.update))
        return Written(
            created={"pairing.indicatorvalue": [v.pk for v in created]},
            updated={"pairing.indicatorvalue": [c.current.pk for c in plan.update]},
        )

    def undo(self, written: Written, ctx: Context) -> None:
        indicator_import_undo(
            ids=written.created.get("pairing.indicatorvalue", []),
            source=ctx.source,
            acting_user=ctx.actor,
        )


IMPORTER = ValueImporter()
