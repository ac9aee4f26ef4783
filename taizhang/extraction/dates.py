"""Dates as reports write them, to ISO text.

``5月9日`` → ``2023-05-09`` when the report's year is known, ``--05-09`` when not;
``5月7日至10日`` → ``--05-07/--05-10``; ``5月下旬`` → ``--05-21/--05-31``;
``8月份`` → ``--08``; ``今年以来`` → ``2023-01-01/2023-11-21`` (the report's date, or
``..`` for an open end); ``2021年`` → ``2021``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_M = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_D = r"(?P<d>3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_Y = r"(?P<y>(?:19|20)\d{2}|今|去|明|前)年"
_PART = r"(?P<part>上旬|中旬|下旬|初|中|底|末|份)?"
_DAYPART = r"(?:凌晨|早上|上午|中午|下午|晚上|晚)?"

DATE = re.compile(
    rf"(?:{_Y})?(?:{_M}月(?:{_D}[日号])?{_PART})"
    rf"(?:(?:至|到|—|-|～|~)(?:(?P<m2>1[0-2]|0?[1-9])月)?(?:(?P<d2>3[01]|[12]\d|0?[1-9])[日号])?)?"
    rf"{_DAYPART}"
)
MONTH_RANGE = re.compile(
    r"(?:(?P<y>(?:19|20)\d{2})年)?(?P<m>1[0-2]|0?[1-9])(?:月份?)?(?:至|到|—|-|～|~)(?P<m2>1[0-2]|0?[1-9])月份?(?!\d|[日号])"
)
RELATIVE = re.compile(r"(?P<rel>今年以来|今年来|年初以来|今年上半年|今年下半年|去年|今年)")
YEAR_ONLY = re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d{2})年(?!\d{1,2}月)")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class DateMention:
    text: str
    value: str
    start: int
    end: int
    # the first day, for ordering and for events (None for a year or an open range)
    first: str | None = None


def _int(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CN.get(text[1:], 0) if len(text) > 1 else 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN[tens] * 10 + (_CN.get(ones, 0) if ones else 0)
    return _CN.get(text)


def _day(year: int | None, month: int, day: int) -> str:
    if year:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"--{month:02d}-{day:02d}"


def _month(year: int | None, month: int) -> str:
    return f"{year:04d}-{month:02d}" if year else f"--{month:02d}"


def _last_day(year: int | None, month: int) -> int:
    return calendar.monthrange(year or 2001, month)[1]  # a non-leap year when unknown


def _resolve_year(token: str | None, year: int | None) -> int | None:
    if not token:
        return year
    if token.isdigit():
        return int(token)
    if year is None:
        return None
    return {"今": year, "去": year - 1, "明": year + 1, "前": year - 2}[token]


def find_dates(
    sentence: str, *, year: int | None = None, today: dt.date | None = None
) -> list[DateMention]:
    """Date mentions in ``sentence``; ``year`` is the report's year when known."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for match in MONTH_RANGE.finditer(sentence):
        y = int(match.group("y")) if match.group("y") else year
        value = f"{_month(y, int(match.group('m')))}/{_month(y, int(match.group('m2')))}"
        found.append(DateMention(match.group(0), value, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in DATE.finditer(sentence):
        if any(s <= match.start() < e for s, e in taken):
            continue
        y = _resolve_year(match.group("y"), year)
        month = _int(match.group("m"))
        if not month or not 1 <= month <= 12:
            continue
        day = _int(match.group("d"))
        part = match.group("part")
        m2 = _int(match.group("m2"))
        d2 = _int(match.group("d2"))
        if day and not 1 <= day <= 31:
            continue
        if day and (d2 or m2):
            end_month = m2 or month
            end_day = d2 or _last_day(y, end_month)
            value = f"{_day(y, month, day)}/{_day(y, end_month, end_day)}"
            first = _day(y, month, day)
        elif day:
            value = first = _day(y, month, day)
        elif m2:
            value, first = f"{_month(y, month)}/{_month(y, m2)}", None
        elif part in ("上旬", "初"):
            value, first = f"{_day(y, month, 1)}/{_day(y, month, 10)}", None
        elif part in ("中旬", "中"):
            value, first = f"{_day(y, month, 11)}/{_day(y, month, 20)}", None
        elif part in ("下旬", "底", "末"):
            value = f"{_day(y, month, 21)}/{_day(y, month, _last_day(y, month))}"
            first = None
        elif sentence[match.end() : match.end() + 2] == "以来":
            value, first = f"{_day(y, month, 1)}/{today.isoformat() if today else '..'}", None
        else:
            value, first = _month(y, month), None
        text = match.group(0)
        found.append(DateMention(text, value, match.start(), match.end(), first))
        taken.append((match.start(), match.end()))
    for match in RELATIVE.finditer(sentence):
        if any(s <= match.start() < e for s, e in taken):
            continue
        rel = match.group("rel")
        if rel in ("今年", "去年") and re.match(
            r"\d{1,2}月|[上下]半年|以来|来", sentence[match.end() :]
        ):
            continue
        end = today.isoformat() if today else ".."
        y = year
        if rel in ("今年以来", "今年来", "年初以来"):
            value = f"{y}-01-01/{end}" if y else f"--01-01/{end}"
        elif rel == "今年上半年":
            value = f"{y}-01-01/{y}-06-30" if y else "--01-01/--06-30"
        elif rel == "今年下半年":
            value = f"{y}-07-01/{y}-12-31" if y else "--07-01/--12-31"
        elif rel == "去年":
            if not y:
                continue
            value = str(y - 1)
        else:  # 今年
            if not y:
                continue
            value = str(y)
        found.append(DateMention(rel, value, match.start(), match.end()))
        taken.append((match.start(), match.end()))
    for match in YEAR_ONLY.finditer(sentence):
        if any(s <= match.start() < e for s, e in taken):
            continue
        found.append(DateMention(match.group(0), match.group("y"), match.start(), match.end()))
    found.sort(key=lambda d: d.start)
    return found


_FULL = re.compile(r"((?:19|20)\d{2})[-年/.](\d{1,2})[-月/.](\d{1,2})日?")


def report_date(text: str) -> dt.date | None:
    """The report's own date: a full date in its first lines (a dateline, a source line)."""
    head = "\n".join(text.strip().split("\n")[:12])[:600]
    match = _FULL.search(head)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
