"""Money: ``逾260亿元``, ``21.45亿元``, ``640余万元``, ``3亿至5亿元`` → yuan as integers.

A figure keeps its marker: ``approximate`` for 逾/近/约/余/多, ``bound`` for the
direction (``more`` for 逾/超/余/多, ``about`` for 近/约); a range keeps both ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taizhang.extraction.numbers import AFTER, APPROX_BEFORE, BEFORE, NUMBER, as_int, parse_number

_UNIT = r"(?:万亿|千亿|百亿|亿|千万|百万|万|千)?"
_ONE = rf"(?P<{{n}}>{NUMBER}{_UNIT})"
MONEY = re.compile(
    rf"(?P<before>{BEFORE})?"
    rf"(?:(?P<low>{NUMBER}{_UNIT})(?:元)?\s*(?:至|到|—|-|～|~)\s*)?"
    rf"(?P<amount>{NUMBER}{_UNIT})(?P<after>{AFTER})?(?P<unit2>万|亿)?"
    rf"(?P<currency>元|美元|港元|欧元)"
)
_NOT_AFTER = "钱角"  # 元 read as yuan only when the next character does not make a word


@dataclass(frozen=True)
class Money:
    text: str
    yuan: int
    approximate: bool
    start: int
    end: int
    low_yuan: int | None = None
    currency: str = "元"


def _yuan(number: str, extra: str | None) -> int | None:
    value = parse_number(number)
    if value is None:
        return None
    if extra:
        value *= 10_000 if extra == "万" else 100_000_000
    return as_int(value)


def find_money(sentence: str) -> list[Money]:
    found = []
    for match in MONEY.finditer(sentence):
        amount = match.group("amount")
        if not re.search(r"\d|[一二两三四五六七八九十百千万亿]", amount):
            continue
        before_marker = match.group("before") or ""
        if re.fullmatch(r"[十百千万亿]+", amount) and (
            before_marker not in ("超", "逾", "近", "超过")
            or sentence[match.start() - 1 : match.start()] == "签"
        ):
            continue  # "千元" alone, "签约亿元以上项目": words, not amounts
        if re.fullmatch(r"[一二两三四五六七八九十]", amount) and not match.group("unit2"):
            following = sentence[match.end() : match.end() + 1]
            if following and re.match(r"[\u4e00-\u9fff]", following) and following not in "的以左":
                continue  # "三元材料": a word with a numeral, not three yuan
        extra = match.group("unit2")
        yuan = _yuan(amount, extra)
        if yuan is None:
            continue
        low = match.group("low")
        low_yuan = None
        if low:
            # "3至5亿元": the low end takes the high end's multiplier when it has none.
            if not re.search(r"[万亿千百]$", low):
                tail = re.search(r"[万亿千百]+$", amount)
                low = low + (tail.group(0) if tail else "")
            low_yuan = _yuan(low, extra)
        before = match.group("before") or ""
        approximate = before in APPROX_BEFORE or bool(match.group("after"))
        text = match.group(0)
        start = match.start()
        if before and before not in APPROX_BEFORE:
            text = text[len(before) :]
            start += len(before)
        found.append(
            Money(
                text=text,
                yuan=yuan,
                approximate=approximate,
                start=start,
                end=match.end(),
                low_yuan=low_yuan,
                currency=match.group("currency"),
            )
        )
    return found
