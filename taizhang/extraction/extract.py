"""A report's text → its drafts, in the shape ``taizhang ingest report --json`` prints.

Nothing is written: this is a pure function of the text, the report's year (given or
read from its dateline) and, when given, an index of the organization tree to match
names against.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from taizhang.extraction import cleanup, dates, events, figures, money, projects, quantities
from taizhang.extraction.organizations import (
    OrgIndex,
    OrgMention,
    defined_short_names,
    find_organizations,
)
from taizhang.extraction.persons import Person, find_persons
from taizhang.extraction.tagger import Token, tag

# Draft kinds and the event kinds that become their own kind of draft.
EVENT_DRAFTS = {"培训": "training", "签约": "signing", "挂牌": "workstation", "表彰": "award"}
_ATTENDS = re.compile(r"参加|出席|陪同|参会|一同")


@dataclass(frozen=True)
class _Sent:
    sentence: cleanup.Sentence
    tokens: list[Token]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _cite(sentence: cleanup.Sentence) -> dict[str, Any]:
    return {"sentence": sentence.text, "start": sentence.start, "end": sentence.end}


def extract(
    text: str,
    *,
    year: int | None = None,
    index: OrgIndex | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Extract the drafts of one report (see the module README for the shape)."""
    started = time.perf_counter()
    on = dates.report_date(text)
    if year is None and on is not None:
        year = on.year
    today = today or on
    cleaned = cleanup.clean(text)
    sents = [_Sent(s, tag(s.text)) for s in cleanup.sentences(cleaned)]
    defined = defined_short_names(cleaned.text)

    # Persons: a first pass finds the names the report vouches for (with a title, 同志,
    # in a list); the second finds their other mentions.
    known: set[str] = set()
    for item in sents:
        known.update(p.name for p in find_persons(item.sentence.text, item.tokens) if p.title)
    per_sentence: list[list[Person]] = [
        find_persons(i.sentence.text, i.tokens, known) for i in sents
    ]

    out: dict[str, list[dict[str, Any]]] = {
        key: []
        for key in (
            "persons",
            "organizations",
            "projects",
            "money",
            "quantities",
            "dates",
            "events",
            "figures",
            "drafts",
        )
    }
    persons: dict[str, dict[str, Any]] = {}
    orgs: dict[str, dict[str, Any]] = {}
    project_list: list[projects.ProjectDraft] = []
    current: dict[int, projects.ProjectDraft] = {}
    last_event_date: dict[int, str] = {}

    for position, item in enumerate(sents):
        s = item.sentence
        cite = _cite(s)
        for person in per_sentence[position]:
            entry = persons.get(person.name)
            if entry is None:
                persons[person.name] = {"name": person.name, "title": person.title, **cite}
            elif len(person.title) > len(entry["title"]):
                entry["title"] = person.title
        mentions = find_organizations(s.text, item.tokens, defined)
        if index is not None:
            for name, start, end in index.names_in(s.text):
                overlapping = [m for m in mentions if m.start < end and start < m.end]
                if all(m.end - m.start < end - start for m in overlapping):
                    mentions = [m for m in mentions if m not in overlapping]
                    mentions.append(OrgMention(name, start, end))
        for mention in mentions:
            if mention.name in orgs:
                continue
            match = index.match(mention.name) if index is not None else None
            orgs[mention.name] = {
                "name": mention.name,
                "matched_id": match.matched_id if match else None,
                "candidates": list(match.candidates) if match else [],
                "generic": mention.generic,
                **cite,
            }
        found_money = money.find_money(s.text)
        for m in found_money:
            out["money"].append(
                {
                    "text": m.text,
                    "yuan": m.yuan,
                    "approximate": m.approximate,
                    "low_yuan": m.low_yuan,
                    **cite,
                }
            )
        found_quantities = quantities.find_quantities(s.text)
        for q in found_quantities:
            out["quantities"].append(
                {
                    "text": q.text,
                    "value": _number(q.value),
                    "unit": q.unit,
                    "kind": q.kind,
                    "approximate": q.approximate,
                    **cite,
                }
            )
        found_dates = dates.find_dates(s.text, year=year, today=today)
        for d in found_dates:
            out["dates"].append({"text": d.text, "value": d.value, **cite})
        periods = [d.value for d in found_dates if "/" in d.value or "月" not in d.text]
        for f in figures.find_figures(s.text, item.tokens):
            if any(m.start <= f.start < m.end or f.start <= m.start < f.end for m in found_money):
                continue
            out["figures"].append(
                {
                    "metric": f.metric,
                    "value": _number(f.value),
                    "unit": f.unit,
                    "approximate": f.approximate,
                    "period": periods[0] if periods else "",
                    **cite,
                }
            )
        # Events, with the persons of a following "…参加会议" sentence as leaders.
        leaders = [p.name for p in per_sentence[position]]
        following = position + 1
        if (
            following < len(sents)
            and sents[following].sentence.article == s.article
            and _ATTENDS.search(sents[following].sentence.text)
            and not dates.find_dates(sents[following].sentence.text)
        ):
            leaders += [p.name for p in per_sentence[following]]
        event_dates = [
            (d.value, d.start, events.is_event_date(d.text, d.value)) for d in found_dates
        ]
        same_day = re.search(r"当天|当日|同日|同一天", s.text)
        if same_day and not any(d[2] for d in event_dates) and last_event_date.get(s.article):
            event_dates.append((last_event_date[s.article], same_day.start(), True))
        event = events.find_event(s.text, dates=event_dates, leaders=leaders)
        if event is not None:
            last_event_date[s.article] = event.date
        if event is not None:
            duplicate = any(
                e["date"] == event.date and e["kind"] == event.kind and e["sentence"] == s.text
                for e in out["events"]
            )
            if not duplicate:
                out["events"].append(
                    {
                        "date": event.date,
                        "kind": event.kind,
                        "leaders": list(event.leaders),
                        "place": event.place,
                        **cite,
                    }
                )
        _projects(s, position, found_money, found_quantities, project_list, current)

    for draft in project_list:
        first = sents[draft.sentence_index].sentence
        out["projects"].append(
            {
                "name": draft.name,
                "investment_yuan": draft.investment_yuan,
                "area_m2": draft.area_m2,
                "capacity": draft.capacity,
                "stage": draft.stage,
                **_cite(first),
            }
        )
    out["persons"] = list(persons.values())
    out["organizations"] = list(orgs.values())
    out["drafts"] = list(_drafts(out))
    return {
        **out,
        "meta": {
            "year": year,
            "report_date": on.isoformat() if on else None,
            "articles": len(cleaned.articles),
            "sentences": len(sents),
            "seconds": round(time.perf_counter() - started, 3),
        },
        "text": cleaned.text,
    }


def _projects(
    s: cleanup.Sentence,
    position: int,
    found_money: list[money.Money],
    found_quantities: list[quantities.Quantity],
    project_list: list[projects.ProjectDraft],
    current: dict[int, projects.ProjectDraft],
) -> None:
    """Projects named in this sentence, and what it says of the project at hand."""
    named = projects.project_names(s.text)
    for name, start in named:
        existing = next((p for p in project_list if _same_project(p, name, s.article)), None)
        if existing is not None and name.endswith("项目") and not existing.name.endswith("项目"):
            existing.name = name
        if existing is None:
            existing = projects.ProjectDraft(
                name=name, start=s.start + start, sentence_index=position, article=s.article
            )
            project_list.append(existing)
            capacity = re.match(r"^([\d.]+万?吨)", name)
            if capacity:
                existing.capacity = capacity.group(1)
        current[s.article] = existing
        stage = projects.stage_of(s.text[start:])
        if stage and not existing.stage:
            existing.stage = stage
    target = current.get(s.article)
    refers = bool(named) or bool(re.search(r"该项目|项目总投资|该工程|项目总造价|项目于", s.text))
    if target is None or not refers:
        return
    starts = sorted((at, name) for name, at in named)

    def owner(position: int) -> projects.ProjectDraft | None:
        """The project named last before a figure; the one at hand when none is."""
        before = [name for at, name in starts if 0 <= at < position]
        if not before:
            return target if not named or refers_back else None
        return next((p for p in project_list if _same_project(p, before[-1], s.article)), target)

    refers_back = bool(re.search(r"该项目|该工程|项目总投资|项目总造价|项目于", s.text))
    for m in found_money:
        project = owner(m.start)
        if project and projects.is_investment(s.text, m.start) and project.investment_yuan is None:
            project.investment_yuan = m.yuan
    for q in found_quantities:
        project = owner(q.start)
        if project is None:
            continue
        if q.kind == "area" and projects.is_area(s.text, q.start) and project.area_m2 is None:
            factor = 666.67 if q.unit == "亩" else 1
            project.area_m2 = int(q.value * Decimal(str(factor)))
        elif q.is_capacity and not project.capacity:
            project.capacity = q.text
    if not target.stage:
        target.stage = projects.stage_of(s.text)


def _core(name: str) -> str:
    return re.sub(r"(?:项目|工程)$", "", name)


def _same_project(project: projects.ProjectDraft, name: str, article: int) -> bool:
    """The same project named again, in full or in short (产业园 / 东山区产业园项目)."""
    if project.name == name:
        return True
    a, b = _core(project.name), _core(name)
    return (
        project.article == article and (a.endswith(b) or b.endswith(a)) and min(len(a), len(b)) >= 4
    )


def _drafts(out: dict[str, list[dict[str, Any]]]) -> Iterable[dict[str, Any]]:
    def cite(item: dict[str, Any]) -> dict[str, Any]:
        return {"sentence": item["sentence"], "start": item["start"], "end": item["end"]}

    for p in out["persons"]:
        yield {"kind": "person", "fields": {"name": p["name"], "title": p["title"]}, **cite(p)}
    for o in out["organizations"]:
        if not o["generic"] and o["matched_id"] is None:
            yield {
                "kind": "organization",
                "fields": {"name": o["name"], "candidates": o["candidates"]},
                **cite(o),
            }
    for e in out["events"]:
        fields = {
            "kind": e["kind"],
            "date": e["date"],
            "place": e["place"],
            "leaders": e["leaders"],
        }
        yield {"kind": EVENT_DRAFTS.get(e["kind"], "activity"), "fields": fields, **cite(e)}
    for pr in out["projects"]:
        fields = {k: pr[k] for k in ("name", "investment_yuan", "area_m2", "capacity", "stage")}
        yield {"kind": "project", "fields": fields, **cite(pr)}
    for f in out["figures"]:
        fields = {k: f[k] for k in ("metric", "value", "unit", "approximate", "period")}
        yield {"kind": "reported_figure", "fields": fields, **cite(f)}
