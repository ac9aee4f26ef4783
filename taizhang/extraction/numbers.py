"""Numbers as reports write them: ``21.45``, ``9.8万``, ``七千``, ``一千二百``, ``千``.

Arabic digits with a Chinese multiplier are read here; Chinese numerals go through
cn2an, which knows their grammar (``一千二百`` is 1200, ``两万`` is 20000).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
# One number as written: Arabic (with decimals, thousands separators) or Chinese.
NUMBER = rf"(?:\d+(?:[,，]\d{{3}})*(?:\.\d+)?|[{CN_DIGITS}]+)"
# Markers that a figure is not exact: 逾/超/超过 (more than), 近/约/大约 (about), 余/多.
BEFORE = r"(?:超过|逾|超|近|约|大约|将近|接近|达到|达|共计|共|累计|总计)"
AFTER = r"(?:余|多)"
APPROX_BEFORE = {"超过", "逾", "超", "近", "约", "大约", "将近", "接近"}


def parse_number(text: str) -> Decimal | None:
    """``9.8万`` → 98000, ``七千`` → 7000, ``千`` → 1000, ``21.45`` → 21.45."""
    text = text.replace(",", "").replace("，", "").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]*)", text)
    if match:
        value = Decimal(match.group(1))
        for unit in match.group(2):
            value *= MULTIPLIERS[unit]
        return value
    if re.fullmatch(rf"[{CN_DIGITS}]+", text):
        if text[0] in "十百千万亿" and text[0] != "十":
            text = "一" + text  # 千亿元 is 一千亿元
        try:
            return Decimal(str(cn2an.cn2an(text, "smart")))
        except (ValueError, KeyError, InvalidOperation):
            return _multiplied_tail(text)
    return None


def _multiplied_tail(text: str) -> Decimal | None:
    """``三百万`` style numbers cn2an refuses in strict grammar: read the head, multiply."""
    for index in range(len(text) - 1, 0, -1):
        tail = text[index:]
        if all(char in "万亿" for char in tail):
            head = parse_number(text[:index])
            if head is None:
                return None
            for unit in tail:
                head *= MULTIPLIERS[unit]
            return head
    return None


def as_int(value: Decimal) -> int:
    return int(value.to_integral_value())
