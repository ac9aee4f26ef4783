"""Reported figures: ``全年开展集中学习2400余场`` → metric 集中学习, value 2400, 余 marker,
unit 场; ``确定86个调研课题`` → metric 调研课题, value 86, unit 个.

Money and physical quantities have their own modules; a figure here counts things
(场, 次, 人次, 个, 项, 家, 名, 人, 件, 期, 支, 门, 部, 节, 班次, 所, 处, 户, 条, 批, 类, 篇).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from taizhang.extraction.numbers import AFTER, APPROX_BEFORE, parse_number
from taizhang.extraction.tagger import Token

COUNT_UNITS = (
    "人次|班次|场次|批次|户次|家次|场|次|个|项|家|名|人|件|期|支|门|部|节|所|处|户|条|批|类|篇|位|座|套|"
    "台|本|讲|张|间|栋|块|份|辆|头|只|吨次"
)
_BEFORE = r"(?P<before>超过|逾|超|近|约|达到|达|共计|共|累计|总计)?"
VERBS = (
    "开展|举办|组织|召开|服务|覆盖|确定|形成|生成|推动|策划|解决|办理|破解|走访|建立|设立|开设|"
    "组建|发放|征集|培训|吸引|新增|完成|实施|签约|引进|惠及|帮助|协助|接待|受理|化解|收集|排查|"
    "整改|落实|建成|打造|推出|拍摄|上线|汇编|选派|参与|发动|动员|评选|表彰|下放|兑现|培育|认定|"
    "举行|达到|共有|拥有|吸纳|招募|结对|联系|帮扶|救助|走访慰问|慰问|回访|答复|处置|派发|安排|"
    "设置|聘请|表彰|评出|涌现|办结|受理|投入|建设|改造|提供|聚集|服务了|送去|邀请"
)
_QUALIFIERS = re.compile(r"^(?:了|线上线下|线上|线下|各类|各级|全区|全市|共|累计|各种)+")
_UNIT = (
    r"(?P<before>超过|逾|超|近|约|达到|达|共计|共|累计|总计)?(?P<number>\d+(?:\.\d+)?)"
    rf"(?P<after>{AFTER})?(?P<mult>万|亿)?(?P<after2>{AFTER})?(?P<unit>{COUNT_UNITS})"
)
_FIGURE = re.compile(_UNIT + r"(?!元|米|吨|亩|平方|公里|[\d])")
_VERB_BEFORE = re.compile(rf"(?:{VERBS})(?P<metric>[\u4e00-\u9fff“”（）\d]{{0,14}})$")
_METRIC_AFTER = re.compile(
    r"^(?P<metric>[\u4e00-\u9fff“”]{2,10}?)(?=[，。、；：（）]|$|和|及|等|，|的)"
)


@dataclass(frozen=True)
class Figure:
    metric: str
    value: Decimal
    unit: str
    approximate: bool
    text: str
    start: int
    end: int


def _clean_metric(metric: str) -> str:
    metric = _QUALIFIERS.sub("", metric.strip("“”"))
    return metric.strip("“”（）")


_NOUNISH = {"n", "nz", "vn", "a", "an", "LOC", "ORG", "j", "nw", "s"}
_PLANNED = re.compile(r"力争|计划|预计|拟|目标|争取|将于|将")
_BOUNDARY = "，。；：、（）“”"


def _noun_run(sentence: str, start: int, tokens: list[Token]) -> str:
    """The nouns right after ``start`` (确定86个|调研课题), up to a verb or punctuation."""
    words = []
    for token in tokens:
        if token.end <= start:
            continue
        if token.start < start:
            return ""  # the unit is part of a longer word
        if token.tag in _NOUNISH:
            words.append(token.word)
            continue
        break
    return "".join(words)


def find_figures(sentence: str, tokens: list[Token] | None = None) -> list[Figure]:
    """Counted figures: a verb, then the metric and its number (开展集中学习2400余场), a
    noun phrase then its number (城市管理类诉求1530件), or the number and then the metric
    (确定86个调研课题); a list after 、 shares the verb. Planned figures (力争, 计划) are not
    reported ones."""
    if tokens is None:
        from taizhang.extraction.tagger import tag

        tokens = tag(sentence)
    found: list[Figure] = []
    for match in _FIGURE.finditer(sentence):
        start = match.start()
        if re.search(r"第$|[\d.]$", sentence[:start]):
            continue
        clause_start = max(sentence.rfind(c, 0, start) for c in "，。；：") + 1
        if _PLANNED.search(sentence[clause_start:start]):
            continue
        if sentence[:start].count("“") > sentence[:start].count("”"):
            continue  # inside a quoted name ("人才新政15条")
        head = sentence[max(0, start - 16) : start]
        metric = ""
        verb = _VERB_BEFORE.search(head)
        listed = re.search(r"[、，]([\u4e00-\u9fff“”]{2,10})$", head)
        if verb:
            metric = _clean_metric(verb.group("metric"))
            if metric.endswith("等"):
                metric = ""
        if len(metric) < 2 and found and found[-1].end >= start - 12 and listed:
            metric = _clean_metric(listed.group(1))
        if len(metric) < 2 and not verb:
            phrase_start = max(sentence.rfind(c, 0, start) for c in _BOUNDARY) + 1
            phrase = sentence[phrase_start:start]
            phrase_tokens = [t for t in tokens if t.start >= phrase_start and t.end <= start]
            has_noun = any(t.tag in _NOUNISH for t in phrase_tokens)
            clean_phrase = not any(t.tag in ("PER", "w", "p") for t in phrase_tokens)
            if 2 <= len(phrase) <= 12 and has_noun and clean_phrase:
                metric = _clean_metric(phrase)
        if len(metric) < 2:
            metric = _clean_metric(_noun_run(sentence, match.end(), tokens))
        if len(metric) < 2:
            continue
        value = parse_number(match.group("number"))
        if value is None:
            continue
        if match.group("mult"):
            value *= 10_000 if match.group("mult") == "万" else 100_000_000
        before = match.group("before") or ""
        approximate = before in APPROX_BEFORE or bool(match.group("after") or match.group("after2"))
        found.append(
            Figure(
                metric, value, match.group("unit"), approximate, match.group(0), start, match.end()
            )
        )
    return found
