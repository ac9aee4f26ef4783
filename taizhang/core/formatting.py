"""Numbers the Chinese way: money in 亿元/万元/元, and press-style approximations.

Money is exact everywhere (integer yuan or ``Decimal``); only display rounds. Rules:

* ``format_yuan``: ≥ 1亿 → 亿元, ≥ 1万 → 万元, else 元; at most two decimals, trailing
  zeros dropped: 1,377,000,000 → "13.77亿元", 340,000,000 → "3.4亿元",
  9,700,000 → "970万元", 850 → "850元".
* ``approximate`` (a briefing's "7000余场", "1.7万余人"): keep two significant digits,
  rounded *down*, and add "余" when anything was dropped; ≥ 1万 is written in 万,
  ≥ 1亿 in 亿. Numbers below 1000 stay exact, as the press writes them: 496 → "496".
* ``chinese_date`` / ``chinese_period``: dates as documents write them, "2026年12月2日";
  a span "2026年11月1日至30日" (same month), "2026年11月1日至12月5日" (same year),
  "2025年12月1日至2026年1月5日"; a whole month "2026年11月", a whole quarter
  "2026年第四季度", a whole year "2026年全年".
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

YI = Decimal(100_000_000)
WAN = Decimal(10_000)
# The largest amount any one record may hold: 100万亿元 (10^14 yuan), far above any
# project or signing, and far enough below 2^63 that sums over a city's records cannot
# overflow the database's integers (issue 19: two totals of 9×10^18 broke a list).
MAX_YUAN = 10**14


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("Money and counts are never floats; pass int or Decimal")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        return None


def _trim(number: Decimal, places: int = 2) -> str:
    quantum = Decimal(1).scaleb(-places)
    text = f"{number.quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_yuan(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= YI:
        return f"{sign}{_trim(amount / YI)}亿元"
    if amount >= WAN:
        return f"{sign}{_trim(amount / WAN)}万元"
    return f"{sign}{_trim(amount)}元"


def format_wan_yuan(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return "—"
    return format_yuan(amount * WAN)


def approximate(value: Any, unit: str = "") -> str:
    """Press-style count: two significant digits rounded down, "余" when inexact."""
    number = _decimal(value)
    if number is None:
        return "—"
    if number < 0:
        raise ValueError("Counts are not negative")
    if number < 1000:
        return f"{_trim(number)}{unit}"
    scale, suffix = (
        (YI, "亿") if number >= YI else (WAN, "万") if number >= WAN else (Decimal(1), "")
    )
    scaled = number / scale
    digits = scaled.adjusted() + 1  # digits before the decimal point
    places = max(0, 2 - digits)
    quantum = Decimal(1).scaleb(-places)
    step = Decimal(10) ** (digits - 2) if digits > 2 else quantum
    kept = (scaled / step).to_integral_value(rounding=ROUND_DOWN) * step
    kept = kept.quantize(quantum) if places else kept
    text = _trim(kept, places)
    inexact = kept != scaled
    return f"{text}{suffix}{'余' if inexact else ''}{unit}"


def with_unit(text: str, unit: str) -> str:
    """A number and its unit as the unit's language writes them: "42个", "42 items"."""
    if not unit:
        return text
    return f"{text} {unit}" if unit[0].isascii() and unit[0].isalpha() else f"{text}{unit}"


_QUARTERS = "一二三四"


def chinese_date(day: dt.date) -> str:
    """A date as Chinese documents write it: 2026年12月2日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_period(start: dt.date, end: dt.date) -> str:
    """A span of days as running Chinese text writes it (see the module docstring)."""
    if start == end:
        return chinese_date(start)
    whole_months = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    if whole_months and start.year == end.year:
        if start.month == 1 and end.month == 12:
            return f"{start.year}年全年"
        if start.month == end.month:
            return f"{start.year}年{start.month}月"
        if start.month % 3 == 1 and end.month == start.month + 2:
            return f"{start.year}年第{_QUARTERS[start.month // 3]}季度"
    if start.year != end.year:
        return f"{chinese_date(start)}至{chinese_date(end)}"
    if start.month != end.month:
        return f"{chinese_date(start)}至{end.month}月{end.day}日"
    return f"{chinese_date(start)}至{end.day}日"
