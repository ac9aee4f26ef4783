"""Events: a dated sentence that says something was held, signed, opened or visited.

The kind comes from one documented list (``KINDS``); the first rule in ``RULES`` whose
pattern the sentence matches decides it, most specific first (a 培训班's 开班式 is a
training, a 培训动员会 is a meeting). The date is the first day-precise (or month)
date of the sentence; leaders are the persons it names; the place follows 在/到/来到/前往.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = (
    "集中学习",
    "党课",
    "主题党日",
    "会议",
    "调研考察",
    "宣讲",
    "培训",
    "签约",
    "挂牌",
    "招商推介",
    "表彰",
    "开工",
    "志愿服务",
    "慰问",
    "其他",
)

RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("招商推介", r"推介会|招商会|投洽会|招商大会|招商推介|项目推介"),
        ("签约", r"签订|签约|签署|签下"),
        ("培训", r"培训班|开班|结业|轮训|示范培训"),
        ("集中学习", r"读书班|集中学习|中心组学习|理论学习中心组|专题学习会"),
        ("主题党日", r"主题党日"),
        ("党课", r"党课"),
        ("挂牌", r"(?<!相继)(?:挂牌|揭牌|授牌)(?!成交|出让)"),
        ("开工", r"开工|奠基|动工"),
        ("表彰", r"表彰|颁奖|授予.{0,12}称号"),
        ("慰问", r"慰问|看望"),
        ("志愿服务", r"志愿服务|志愿者.{0,6}(?:开展|参加)|双报到"),
        ("宣讲", r"宣讲(?:活动|会|团|队)|宣讲.{0,8}启动|启动.{0,20}宣讲"),
        ("会议", r"召开|会议|座谈会|研讨会|动员会|推进会|部署会|联席会|例会|恳谈会|见面会"),
        ("调研考察", r"调研|考察|视察|察看|走访|实地查看"),
        ("其他", r"(?:开展|举行|举办|组织).{0,12}(?:活动|办公|仪式|比赛|展演|演练)"),
    )
)
# A sentence that tells of a plan or a habit, not of a held event.
_NOT_HELD = re.compile(
    r"(?:^|[，；：])(?:要|将|应|需|必须|希望|下一步|下阶段|力争|计划|拟)|要求|强调|指出|即将|将于|前$"
)
_PLACE = re.compile(
    r"在(?P<place>[\u4e00-\u9fff“”‘’\d]{2,24}?)(?:正式)?(?=举行|举办|召开|开展|启动|开班|签约|签订|挂牌|揭牌|开工)"
    r"|(?:来到|前往|走进|深入)(?P<visit>[\u4e00-\u9fff“”‘’\d]{2,24}?)(?=[，。、；]|参观|调研|考察|开展|察看)"
)
_NOT_PLACE = re.compile(r"^(?:全市|全区|全省|新征程|更高|一线|基层|企业厂区|乡村社区)")


@dataclass(frozen=True)
class Event:
    kind: str
    date: str
    place: str
    leaders: tuple[str, ...]


def is_event_date(text: str, value: str) -> bool:
    """A day, a range of days, a month or part of one can date an event; a period of
    months (1至3月) or a year cannot."""
    if "月" not in text or value.endswith("/.."):
        return False
    return not re.fullmatch(r"[-\d]+/[-\d]+", value) or bool(re.search(r"-\d\d-\d\d", value))


def event_kind(sentence: str) -> str | None:
    for kind, pattern in RULES:
        if pattern.search(sentence):
            return kind
    return None


def find_event(
    sentence: str, *, dates: list[tuple[str, int, bool]], leaders: list[str]
) -> Event | None:
    """The event a sentence reports, if any. ``dates`` holds (value, start, precise)
    of the sentence's dates: the event needs one that is not a period like 今年以来."""
    usable = [d for d in dates if d[2]]
    if not usable:
        return None
    value, start, _ = usable[0]
    rest = sentence[start:]
    if _NOT_HELD.search(sentence[:start]) or re.match(r"[^，。]{0,3}前", rest[len(value) :]):
        return None
    kind = event_kind(rest) or event_kind(sentence)
    if kind is None:
        return None
    place = ""
    for match in _PLACE.finditer(rest):
        candidate = match.group("place") or match.group("visit")
        if not _NOT_PLACE.match(candidate) and not re.search(r"[上中]$", candidate):
            place = candidate
            break
    return Event(kind=kind, date=value, place=place, leaders=tuple(dict.fromkeys(leaders)))
