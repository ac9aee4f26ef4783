"""Physical quantities: ``9.36万平方米``, ``5万吨/年``, ``460亩``, ``31760平方米``.

The value is a number in the base unit (``万平方米`` → 平方米 × 10,000); a capacity keeps
its period (``吨/年``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from taizhang.extraction.numbers import (
    AFTER,
    APPROX_BEFORE,
    BEFORE,
    MULTIPLIERS,
    NUMBER,
    parse_number,
)

UNITS = "平方米|平米|平方公里|亩|公顷|立方米|吨|千瓦时|千瓦|兆瓦|公里|千米|米|标准箱"
QUANTITY = re.compile(
    rf"(?P<before>{BEFORE})?(?P<number>{NUMBER})(?P<after>{AFTER})?(?P<mult>万|亿)?"
    rf"(?P<unit>{UNITS})(?P<per>/(?:年|月|日|天)|每年)?"
)
KINDS = {
    "平方米": "area",
    "平米": "area",
    "平方公里": "area",
    "亩": "area",
    "公顷": "area",
    "吨": "mass",
    "立方米": "volume",
    "千瓦": "power",
    "兆瓦": "power",
    "千瓦时": "energy",
    "公里": "length",
    "千米": "length",
    "米": "length",
}


@dataclass(frozen=True)
class Quantity:
    text: str
    value: Decimal
    unit: str
    kind: str
    approximate: bool
    start: int
    end: int

    @property
    def is_capacity(self) -> bool:
        return "/" in self.unit


def find_quantities(sentence: str) -> list[Quantity]:
    found = []
    for match in QUANTITY.finditer(sentence):
        value = parse_number(match.group("number"))
        if value is None:
            continue
        if match.group("mult"):
            value *= MULTIPLIERS[match.group("mult")]
        unit = match.group("unit").replace("平米", "平方米")
        per = match.group("per") or ""
        if per == "每年":
            per = "/年"
        before = match.group("before") or ""
        text = match.group(0)
        start = match.start()
        if before and before not in APPROX_BEFORE:
            text, start = text[len(before) :], start + len(before)
        found.append(
            Quantity(
                text=text,
                value=value.normalize()
                if value != value.to_integral_value()
                else value.quantize(Decimal(1)),
                unit=unit + per,
                kind="capacity" if per else KINDS.get(unit, "count"),
                approximate=before in APPROX_BEFORE or bool(match.group("after")),
                start=start,
                end=match.end(),
            )
        )
    return found
