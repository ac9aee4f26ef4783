"""Precision, recall and F1 of the extraction against gold annotations.

Gold files (``tests/data/*.gold.json``) name their report: a file beside them, or
``sample:<file>`` for one of the project's sample reports (``../shared/reports``, or
``TAIZHANG_SAMPLE_REPORTS``; those cases are skipped where the samples are absent, since
their text is not copied into the repository). Per kind, what counts as one item:

- persons: the name; persons+title: the name with its title, exactly;
- organizations: one gold organization, given as ``"全称|简称|…"`` alternatives; generic
  references (省委, 市委…) and bodies named relative to the writer (街道党工委, 区管委会)
  are not scored;
- money: the amount in yuan; dates: the ISO value; figures: value and unit;
- events: date and kind (a multiset: two meetings on one day are two events);
- projects: the name (equal once 项目 is dropped, or one ending the other) and the
  investment in yuan (``null`` when the report gives none).

Gold files marked ``"held_out": true`` were annotated before the rules were run on them
(ADR 0056 gives their first score apart).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from taizhang.extraction.extract import extract

DATA = Path(__file__).resolve().parent / "tests" / "data"
KINDS = (
    "persons",
    "persons_title",
    "organizations",
    "money",
    "dates",
    "events",
    "projects",
    "figures",
)


def samples_dir() -> Path:
    configured = os.environ.get("TAIZHANG_SAMPLE_REPORTS")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR).parent / "shared" / "reports"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class Case:
    name: str
    text: str
    gold: dict[str, Any]


def load_cases(data: Path = DATA, samples: Path | None = None) -> list[Case]:
    samples = samples or samples_dir()
    cases = []
    for path in sorted(data.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        report = gold["report"]
        source = (
            samples / report.removeprefix("sample:")
            if report.startswith("sample:")
            else data / report
        )
        if not source.exists():
            continue
        cases.append(
            Case(path.name.removesuffix(".gold.json"), source.read_text(encoding="utf-8"), gold)
        )
    return cases


def _sets(predicted: Iterable[Any], expected: Iterable[Any]) -> Score:
    p, e = set(predicted), set(expected)
    return Score(len(p & e), len(p - e), len(e - p))


def _multisets(predicted: Iterable[Any], expected: Iterable[Any]) -> Score:
    p, e = Counter(predicted), Counter(expected)
    common = sum((p & e).values())
    return Score(common, sum(p.values()) - common, sum(e.values()) - common)


def _core(name: str) -> str:
    return re.sub(r"(?:项目|工程)$", "", name)


def _same_project(a: str, b: str) -> bool:
    x, y = _core(a), _core(b)
    return x == y or (min(len(x), len(y)) >= 4 and (x.endswith(y) or y.endswith(x)))


def _projects(predicted: list[dict[str, Any]], expected: list[dict[str, Any]]) -> Score:
    left = list(expected)
    tp = 0
    for item in predicted:
        for gold in left:
            if _same_project(item["name"], gold["name"]) and item.get(
                "investment_yuan"
            ) == gold.get("investment_yuan"):
                left.remove(gold)
                tp += 1
                break
    return Score(tp, len(predicted) - tp, len(left))


def _organizations(predicted: list[dict[str, Any]], expected: list[str]) -> Score:
    names = {o["name"] for o in predicted if not o.get("generic")}
    alternatives = [set(entry.split("|")) for entry in expected]
    covered = set().union(*alternatives) if alternatives else set()
    tp = sum(1 for alts in alternatives if alts & names)
    fp = len(names - covered)
    return Score(tp, fp, len(alternatives) - tp)


def score_case(result: dict[str, Any], gold: dict[str, Any]) -> dict[str, Score]:
    return {
        "persons": _sets(
            (p["name"] for p in result["persons"]), (p["name"] for p in gold["persons"])
        ),
        "persons_title": _sets(
            ((p["name"], p["title"]) for p in result["persons"]),
            ((p["name"], p["title"]) for p in gold["persons"]),
        ),
        "organizations": _organizations(result["organizations"], gold["organizations"]),
        "money": _sets((m["yuan"] for m in result["money"]), gold["money"]),
        "dates": _sets((d["value"] for d in result["dates"]), gold["dates"]),
        "events": _multisets(
            ((e["date"], e["kind"]) for e in result["events"]),
            ((e["date"], e["kind"]) for e in gold["events"]),
        ),
        "projects": _projects(result["projects"], gold["projects"]),
        "figures": _sets(
            ((float(f["value"]), f["unit"]) for f in result["figures"]),
            ((float(f["value"]), f["unit"]) for f in gold["figures"]),
        ),
    }


@dataclass
class Evaluation:
    totals: dict[str, Score]
    per_case: dict[str, dict[str, Score]]
    seconds: dict[str, float]

    def table(self) -> str:
        lines = [f"{'kind':<15}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}"]
        for kind in KINDS:
            s = self.totals[kind]
            lines.append(
                f"{kind:<15}{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.tp:>6}{s.fp:>6}{s.fn:>6}"
            )
        reports = len(self.seconds)
        mean = sum(self.seconds.values()) / reports if reports else 0.0
        lines.append(f"{reports} reports, {mean:.2f} s per report")
        return "\n".join(lines)


def evaluate(cases: list[Case] | None = None) -> Evaluation:
    cases = load_cases() if cases is None else cases
    totals = {kind: Score() for kind in KINDS}
    per_case: dict[str, dict[str, Score]] = {}
    seconds: dict[str, float] = {}
    for case in cases:
        started = time.perf_counter()
        result = extract(case.text, year=case.gold.get("year"))
        seconds[case.name] = time.perf_counter() - started
        scores = score_case(result, case.gold)
        per_case[case.name] = scores
        for kind, score in scores.items():
            totals[kind].add(score)
    return Evaluation(totals, per_case, seconds)
