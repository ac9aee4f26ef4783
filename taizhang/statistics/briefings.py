"""Briefings (工作简报): sections per module, every figure computed from the records,
stored as a snapshot that can later be checked against the records.

The one write, ``briefing_generate``, is in ``services.py``; the reads
(``briefings_for``, ``get_briefing_for_viewer``) in ``selectors.py``.

A briefing is computed with the generating user's scope and kept as it was printed:
each figure's metric, label, unit, definition, printed text and trace (value, row
count, digest, row ids up to ``figures.MAX_TRACED_IDS``, rows per month). Checking it
recomputes every figure with the same user's scope, so a difference always means the
records changed, never that someone else looked (ADR 0041).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.core.registry import Metric
from taizhang.organizations.models import Organization, OrgKind
from taizhang.statistics import figures, selectors
from taizhang.statistics.models import Briefing
from taizhang.statistics.periods import Period

SECTION_TITLES = {
    "projects": gettext_lazy("Key projects"),
    "investment": gettext_lazy("Investment attraction"),
    "problems": gettext_lazy("Problem lists"),
    "demands": gettext_lazy("Residents' and enterprises' demands"),
    "activities": gettext_lazy("Study and outreach"),
    "trainings": pgettext_lazy("briefing", "Training classes"),
    "evaluations": gettext_lazy("Competitions and awards"),
    "pairing": gettext_lazy("Paired assistance"),
}
# The section of figures the units reported that no ledger records stand behind
# (``core.registry.REPORTED_ITEMS``); its lines' metric is ``reported:<key>``.
REPORTED_SECTION = "reported"
REPORTED_TITLE = gettext_lazy("Figures reported by the units")


# The level of an organization, from its kind, and the sections a briefing of that
# level carries (what the level works on). A section with records always appears; the
# level's other sections only when the clerk asks for empty ones (本期暂无…).
LEVELS: dict[str, str] = {
    OrgKind.CITY_COMMITTEE: "district",
    OrgKind.DISTRICT_COMMITTEE: "district",
    OrgKind.WORKING_COMMITTEE: "subdistrict",
    OrgKind.SUBDISTRICT: "subdistrict",
    OrgKind.ORGAN: "subdistrict",
    OrgKind.COMMITTEE: "community",
    OrgKind.COMMUNITY: "community",
    OrgKind.VILLAGE: "community",
    OrgKind.ENTERPRISE: "community",
    OrgKind.GENERAL_BRANCH: "grid",
    OrgKind.GRID: "grid",
    OrgKind.BRANCH: "grid",
    OrgKind.BUILDING: "grid",
}
LEVEL_SECTIONS = {
    "district": tuple(SECTION_TITLES),
    "subdistrict": (
        "projects",
        "investment",
        "problems",
        "demands",
        "activities",
        "trainings",
        "pairing",
    ),
    "community": ("problems", "demands", "activities", "trainings", "pairing"),
    "grid": ("problems", "demands", "activities"),
}

# The narrative slots of a section, in the order they are printed.
SLOTS = {
    "progress": gettext_lazy("Work under way"),
    "practices": gettext_lazy("Practices worth sharing"),
    "shortcomings": gettext_lazy("Problems found"),
    "next_steps": gettext_lazy("Next steps"),
}
SLOT_MAX_LENGTH = 5000


def level_of(org: Organization) -> str:
    """district / subdistrict / community / grid, from the organization's kind."""
    return LEVELS.get(org.kind, "community")


def choose(org: Organization, sections: list[Section], *, include_empty: bool) -> list[Section]:
    """The sections a draft of ``org`` starts with: those with something to print and,
    when asked, the level's sections that have nothing (本期暂无…)."""
    wanted = LEVEL_SECTIONS[level_of(org)]
    return [s for s in sections if s.has_data or (include_empty and s.module in wanted)]


NUMERALS = "一二三四五六七八九十"


def numeral(index: int) -> str:
    """Section numbers as the press writes them: 一、二、三…"""
    return NUMERALS[index] if index < len(NUMERALS) else str(index + 1)


@dataclass
class Line:
    """One figure of a briefing, as printed and as traced."""

    metric: str
    label: str
    unit: str
    definition: str
    sentence: str
    text: str
    trace: dict[str, Any]
    # What the organization itself reported for the same metric and days in an accepted
    # reporting task (填报任务): {"value", "text"}; None when it reported nothing.
    reported: dict[str, str] | None = None
    # The metric this figure is a part of (``Metric.part_of``): printed in brackets
    # after that figure when both are printed.
    part_of: str = ""

    @property
    def value(self) -> str:
        return str(self.trace["value"])

    @property
    def is_zero(self) -> bool:
        return self.trace["rows"] == 0 or self.trace["value"] in ("0", "0.00")

    @property
    def printed(self) -> bool:
        """Whether the figure appears in the text: records behind it, or a figure the
        unit reported (printed as reported, since no records prove it)."""
        return not self.is_zero or self.reported is not None

    @property
    def from_reports(self) -> bool:
        """A figure of the reported section: no ledger metric, only the units' report."""
        return self.metric.startswith(f"{REPORTED_SECTION}:")

    @property
    def reported_only(self) -> bool:
        return self.is_zero and self.reported is not None

    @property
    def reported_difference(self) -> Decimal | None:
        """The reported figure less the records' figure, when the unit reported one."""
        if self.reported is None:
            return None
        return Decimal(self.reported["value"]) - Decimal(self.trace["value"])

    @property
    def note(self) -> str:
        """What follows the figure in the text when the unit reported it: "（据各单位报送）"
        for a figure only the units reported, their reported figure when that differs
        from the records (（据各单位报送为3场）), nothing when both agree."""
        if self.reported is None or self.from_reports:
            return ""
        if self.reported_only:
            return _(" (as reported by the unit)")
        if self.reported_difference:
            return _(" (the unit reported %(figure)s)") % {"figure": self.reported["text"]}
        return ""

    @property
    def shown(self) -> str:
        """The figure as printed: the records' figure, or the reported one when the
        records have nothing."""
        return self.reported["text"] if self.reported_only and self.reported else self.text


@dataclass
class Section:
    module: str
    title: str
    lines: list[Line] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(line.printed for line in self.lines)


def _separator() -> tuple[str, str]:
    language = get_language() or settings.LANGUAGE_CODE
    return ("，", "。") if language.lower().startswith("zh") else (", ", ".")


def _module(metric: Metric) -> str:
    return metric.name.split(".", 1)[0]


def compose(viewer: Actor, org: Organization, period: Period) -> list[Section]:
    """The sections of a briefing: for each module in order, the figures that have a
    sentence, computed from the records in the viewer's scope."""
    sections: dict[str, Section] = {}
    for metric in figures.visible_metrics(viewer):
        module = _module(metric)
        if module not in SECTION_TITLES or not metric.sentence:
            continue
        counted = selectors.effective_period(metric, period)
        traced = figures.trace(viewer, metric, org, counted)
        reported = figures.reported(metric, org, period)
        section = sections.setdefault(module, Section(module, str(SECTION_TITLES[module])))
        section.lines.append(
            Line(
                metric=metric.name,
                label=str(metric.label),
                unit=str(metric.unit),
                definition=str(metric.definition),
                sentence=str(metric.sentence),
                text=figures.format_figure(metric, traced.value),
                trace={
                    **traced.as_json(),
                    "start": counted.start.isoformat(),
                    "end": counted.end.isoformat(),
                },
                reported=(
                    None
                    if reported is None
                    else {"value": str(reported), "text": figures.format_figure(metric, reported)}
                ),
                part_of=metric.part_of,
            )
        )
    order = [name for name in settings.TAIZHANG_MODULES if name in sections]
    result = [sections[name] for name in order]
    units_reported = reported_section(org, period)
    return [*result, units_reported] if units_reported.lines else result


def reported_items(org: Organization, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """What the registered sources say ``org`` reported over exactly these days."""
    from taizhang.core.registry import REPORTED_ITEMS

    return [item for source in REPORTED_ITEMS for item in source(org, start, end)]


def reported_section(org: Organization, period: Period) -> Section:
    """「各单位报送情况」: the figures the organization reported for exactly the period
    that confirm no ledger figure, printed as reported (no records, no link)."""
    section = Section(REPORTED_SECTION, str(REPORTED_TITLE))
    for item in reported_items(org, period.start, period.end):
        section.lines.append(
            Line(
                metric=item["key"],
                label=item["label"],
                unit="",
                definition=_("Reported in the reporting task %(task)s; no ledger records.")
                % {"task": item["task"]},
                sentence=f"{_without_unit(item['label'], item['text'])}{{value}}",
                text=item["text"],
                trace={
                    "value": "0",
                    "rows": 0,
                    "digest": "",
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                },
                reported={"value": item["value"], "text": item["text"]},
            )
        )
    return section


def _without_unit(label: str, text: str) -> str:
    """A reported item's label without the unit its figure carries: the item
    「参加党员人次」 with the figure 875人次 prints 参加党员875人次, not 参加党员人次875人次."""
    unit = text.lstrip("0123456789.,约余 ")
    if unit and label.endswith(unit) and len(label) > len(unit):
        return label[: -len(unit)]
    return label


Clause = tuple[str, str, Line]  # text before the figure, text after it, the figure


def _clauses(section: Section) -> list[tuple[Clause, list[Clause]]]:
    """Each printed figure with the printed figures that are parts of it (其中…); a part
    whose whole is not printed stands on its own."""
    printed = [line for line in section.lines if line.printed]
    wholes = {line.metric for line in printed}
    result: list[tuple[Clause, list[Clause]]] = []
    index: dict[str, list[Clause]] = {}
    for line in printed:
        before, _sep, after = line.sentence.partition("{value}")
        clause = (before, after, line)
        if line.part_of in wholes and line.part_of in index:
            index[line.part_of].append(clause)
            continue
        parts: list[Clause] = []
        index[line.metric] = parts
        result.append((clause, parts))
    return result


def _nothing(section: Section) -> str:
    return _("No %(section)s records in this period.") % {"section": section.title}


def _parts_marks() -> tuple[str, str, str]:
    """How the parts of a figure are bracketed: （其中…、…） in Chinese."""
    language = get_language() or settings.LANGUAGE_CODE
    if language.lower().startswith("zh"):
        return "（其中", "、", "）"
    return " (of which ", ", ", ")"


def paragraph_text(section: Section) -> str:
    """The section as one plain paragraph (the Word version)."""
    if not section.has_data:
        return _nothing(section)
    comma, stop = _separator()
    opening, join, closing = _parts_marks()

    def one(clause: Clause) -> str:
        before, after, line = clause
        return f"{before}{line.shown}{line.note}{after}"

    return (
        comma.join(
            one(whole) + (opening + join.join(one(p) for p in parts) + closing if parts else "")
            for whole, parts in _clauses(section)
        )
        + stop
    )


def paragraph(section: Section, link: Any) -> SafeString:
    """The section as one paragraph of the web version, each figure a link to its
    drill-down (``link(line)`` gives the URL). Figures with nothing behind them are left
    out, and a section with nothing at all says so."""
    if not section.has_data:
        return format_html("{}", _nothing(section))
    comma, stop = _separator()
    opening, join, closing = _parts_marks()

    def one(clause: Clause) -> SafeString:
        b, a, line = clause
        if line.reported_only:
            return format_html(
                '{}<span class="fig reported" title="{}">{}{}</span>{}',
                b,
                _("Reported by the unit in a reporting task; no records behind it"),
                line.shown,
                line.note,
                a,
            )
        return format_html(
            '{}<a href="{}" class="fig">{}</a>{}{}', b, link(line), line.text, line.note, a
        )

    parts = [
        one(whole)
        + (
            format_html("{}", opening)
            + mark_safe(join.join(one(p) for p in subs))  # noqa: S308 - each part escaped
            + format_html("{}", closing)
            if subs
            else ""
        )
        for whole, subs in _clauses(section)
    ]
    return mark_safe(comma.join(parts) + stop)  # noqa: S308 - parts are escaped


def digest_of(lines: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        text = f"{line['metric']}|{line['trace']['value']}|{line['trace']['digest']}"
        if line.get("reported"):
            text += f"|reported:{line['reported']['value']}"
        digest.update(f"{text}\n".encode())
    return digest.hexdigest()


def title_for(org: Organization, period: Period) -> str:
    return _("%(org)s work briefing, %(period)s") % {"org": org.name, "period": period.label}


def period_of(briefing: Briefing) -> Period:
    return Period(briefing.period_kind, briefing.period_start, briefing.period_end)


def sections_of(briefing: Briefing) -> list[Section]:
    """The stored snapshot as sections, exactly as it was printed."""
    sections: dict[str, Section] = {}
    for entry in briefing.figures:
        section = sections.setdefault(
            entry["section"], Section(entry["section"], entry["section_title"])
        )
        section.lines.append(
            Line(
                metric=entry["metric"],
                label=entry["label"],
                unit=entry["unit"],
                definition=entry["definition"],
                sentence=entry["sentence"],
                text=entry["text"],
                trace=entry["trace"],
                reported=entry.get("reported"),
                part_of=entry.get("part_of", ""),
            )
        )
    return list(sections.values())


def narrative_of(row: Any) -> list[dict[str, Any]]:
    """The narrative slots of a section row that have text, in print order: label
    (（一）工作动态) and the paragraphs (one per line the clerk wrote)."""
    if row is None:
        return []
    filled = [(slot, getattr(row, slot)) for slot in SLOTS if getattr(row, slot)]
    return [
        {
            "slot": slot,
            "label": f"（{numeral(index)}）{SLOTS[slot]}",
            "paragraphs": [part.strip() for part in text.splitlines() if part.strip()],
        }
        for index, (slot, text) in enumerate(filled)
    ]


def parts_of(briefing: Briefing, rows: list[Any] | None = None) -> list[tuple[Section, Any]]:
    """Each section of the snapshot with its row (narrative, locked figures' sentence),
    or None for a briefing made before drafts existed."""
    if rows is None:
        rows = list(briefing.sections.all())
    by_module = {row.module: row for row in rows}
    return [(section, by_module.get(section.module)) for section in sections_of(briefing)]


@dataclass
class Check:
    metric: str
    label: str
    old_text: str
    new_text: str
    old_rows: int
    new_rows: int
    reason: str

    @property
    def changed(self) -> bool:
        return bool(self.reason)


def briefing_check(briefing: Briefing) -> list[Check]:
    """Recompute every figure of the snapshot with its author's scope and say, for each,
    whether it still stands and, if not, why."""
    org = briefing.org
    author = briefing.created_by
    result = []
    for entry in briefing.figures:
        if entry["metric"].startswith(f"{REPORTED_SECTION}:"):
            result.append(_reported_item_check(entry, org))
            continue
        try:
            metric = figures.get_metric(entry["metric"])
        except figures.UnknownMetric:
            result.append(
                Check(
                    entry["metric"],
                    entry["label"],
                    entry["text"],
                    "—",
                    entry["trace"]["rows"],
                    0,
                    _("this figure is no longer defined"),
                )
            )
            continue
        # The same days as printed (state figures count up to the day they were printed).
        counted = Period(
            "custom",
            dt.date.fromisoformat(entry["trace"]["start"]),
            dt.date.fromisoformat(entry["trace"]["end"]),
        )
        fresh = figures.trace(author, metric, org, counted)
        reasons = [figures.describe_change(entry["trace"], fresh)]
        reasons.append(_reported_change(entry, metric, org, period_of(briefing)))
        result.append(
            Check(
                metric=metric.name,
                label=entry["label"],
                old_text=entry["text"],
                new_text=figures.format_figure(metric, fresh.value),
                old_rows=entry["trace"]["rows"],
                new_rows=fresh.rows,
                reason="; ".join(reason for reason in reasons if reason),
            )
        )
    return result


def _reported_item_check(entry: dict[str, Any], org: Organization) -> Check:
    """A figure only the units reported: still reported as printed, changed, or gone."""
    start = dt.date.fromisoformat(entry["trace"]["start"])
    end = dt.date.fromisoformat(entry["trace"]["end"])
    now = {item["key"]: item for item in reported_items(org, start, end)}.get(entry["metric"])
    before = (entry.get("reported") or {}).get("value")
    if now is None:
        reason = _("the units no longer report this figure")
    elif Decimal(now["value"]) != Decimal(before or 0):
        reason = _("the units' reported figure changed")
    else:
        reason = ""
    return Check(
        metric=entry["metric"],
        label=entry["label"],
        old_text=entry["text"],
        new_text=now["text"] if now else "—",
        old_rows=0,
        new_rows=0,
        reason=reason,
    )


def _reported_change(
    entry: dict[str, Any], metric: Metric, org: Organization, period: Period
) -> str:
    """Why the unit's reported figure no longer reads as printed ("" when it does)."""
    printed = (entry.get("reported") or {}).get("value")
    now = figures.reported(metric, org, period)
    if (None if printed is None else Decimal(printed)) == now:
        return ""
    return _("the unit's reported figure is now %(now)s (printed: %(printed)s)") % {
        "now": "—" if now is None else figures.format_figure(metric, now),
        "printed": (entry.get("reported") or {}).get("text", "—"),
    }
