"""Key projects: a name ending in 项目 (or 生产线, 产业园, 基地…) with its investment,
area, capacity and stage, gathered over the sentences of one article (``该项目`` points
back to the last project named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PROJECT = re.compile(
    r"(?P<name>(?:[\u4e00-\u9fff\d\-—]|[\d.]+万?吨){2,30}?"
    r"(?:项目|生产线))"
    r"(?=[，。、；：）]|现场|建设|施工|总投资|总造价|计划|位于|已|正|于|即将|开工|投产|竣工|启动|由|将|是|的|共|和|与|及|$)"
)
_GENERIC_NAME = re.compile(
    r"^(?:该|本|此|各|这个|一批|重点|产业|建设|招商引资|增资扩产|民生|为民办实事|签约|新|优质|"
    r"大|多个|个|全区|全市|项目|书记领跑|建设项目|工程|基地|园区|"
    r"[\d一二三四五六七八九十百千万]+个?)+(?:项目|工程|基地|园区)?$"
)
_LEAD = re.compile(
    r"^.*?(?:笔者在|来到|前往|走进|深入|推进|推动|建设|打造|开展|位于|关于|听到|和|与|及|、|的)(?=.{4,})"
)
STAGES = (
    ("投产", r"建成投产|已投产|正式投产|投产运营"),
    ("即将投产", r"即将投产"),
    ("竣工", r"竣工(?!后)|已建成|建成投用|建成(?!后)"),
    ("在建", r"施工|在建|建设中|基础施工|主体结构|桩基|加快建设|进入.{0,6}阶段"),
    ("开工", r"开工|动工|奠基"),
    ("招标", r"招标"),
    ("签约", r"签约|签订"),
    ("前期", r"前期|规划|谋划|策划"),
)
_INVESTMENT = re.compile(r"(?:总投资|计划投资|投资总额|总造价|投资)(?:约|近|逾|超|达)?$")
_AREA = re.compile(r"(?:建筑面积|占地面积|用地面积|占地|用地|面积)(?:约|近|逾|超|达)?$")


@dataclass
class ProjectDraft:
    name: str
    start: int
    sentence_index: int
    article: int = 0
    investment_yuan: int | None = None
    area_m2: int | None = None
    capacity: str = ""
    stage: str = ""
    sentences: list[int] = field(default_factory=list)


_VERBISH = re.compile(
    r"^(?:要|进一步|加快|提速|主抓|储备|可|现已|已|将|推动|推进|实现|引进|坚持|谋划|围绕|盯住|抓好|"
    r"加强|做好|落实|服务|深入|挂钩|所挂钩|重点|力促|确保)"
)
_AGGREGATE = re.compile(r"等|\d+[个类项家批]|[抓促]项目$|转化|通过|协调|解决|诸如|，")


def _trim_verbs(name: str) -> str:
    """Start the name after the last verb, preposition or person before it
    (区委书记某某带队到东湖智能制造产业园项目 → 东湖智能制造产业园项目)."""
    from taizhang.extraction.tagger import tag

    offset = 0
    for token in tag(name):
        if token.tag in _CUT_AFTER and len(name) - token.end >= 6:
            offset = token.end
    return name[offset:]


# Verbs that begin many project names (招商花园城, 年产5万吨…, 改扩建…).
_NAME_VERBS = {
    "招商",
    "建设",
    "改造",
    "修复",
    "提升",
    "年产",
    "扩建",
    "新建",
    "改扩建",
    "安置",
    "保障",
    "智能",
}


def _starts_with_verb(name: str) -> bool:
    """A "name" that is a clause: it starts with a verb (察看企业生产线) or holds a person
    and a verb (某某宣布项目)."""
    from taizhang.extraction.tagger import tag

    tokens = tag(name)
    if not tokens:
        return True
    if any(a.tag == "PER" and b.tag == "v" for a, b in zip(tokens, tokens[1:], strict=False)):
        return True
    if len(tokens) >= 2 and tokens[-2].tag == "v" and tokens[-2].word not in _NAME_VERBS:
        return True  # 关心项目, 推进项目: a verb and its object
    first = tokens[0]
    return first.tag in ("v", "vd", "d", "p", "PER") and first.word not in _NAME_VERBS


_CUT_AFTER = {"v", "vd", "p", "d", "c", "ad", "u", "r", "PER", "xc"}


_IMPERATIVE = re.compile(r"(?:^|[，；])(?:要(?!求)|必须|坚持|确保)|要求|强调|指出|力争")


def project_names(sentence: str) -> list[tuple[str, int]]:
    """Names of projects in a sentence that reports on them (not one that exhorts)."""
    found = []
    for match in PROJECT.finditer(sentence):
        if _IMPERATIVE.search(sentence[: match.start("name")]):
            continue
        name = match.group("name")
        name = _LEAD.sub("", name)
        name = re.sub(r"^(?:的|了)", "", name)
        offset = match.start("name") + match.group("name").find(name)
        trimmed = _trim_verbs(name)
        offset += len(name) - len(trimmed)
        name = trimmed
        if _starts_with_verb(name):
            continue
        if (
            len(name) < 6
            or _GENERIC_NAME.match(name)
            or _VERBISH.match(name)
            or _AGGREGATE.search(name)
        ):
            continue
        found.append((name, offset))
        continue
        found.append((name, match.start("name") + match.group("name").find(name)))
    return found


_PLANNED = re.compile(r"(?:计划|预计|将于|将|力争|确保|争取)[^，。；]{0,10}$")


def stage_of(sentence: str) -> str:
    """The stage a sentence reports, not one it plans (计划2026年底竣工)."""
    for stage, pattern in STAGES:
        for match in re.finditer(pattern, sentence):
            if not _PLANNED.search(sentence[: match.start()]):
                return stage
    return ""


def is_investment(sentence: str, start: int) -> bool:
    return bool(_INVESTMENT.search(sentence[max(0, start - 8) : start]))


def is_area(sentence: str, start: int) -> bool:
    return bool(_AREA.search(sentence[max(0, start - 8) : start]))
