"""Generated briefing text writes dates the Chinese way (issue 15 §1)."""

import datetime as dt

import pytest

from taizhang.core.formatting import chinese_date, chinese_period

D = dt.date


def test_chinese_date_has_no_leading_zeros():
    """A date is 2026年12月2日, never 2026-12-02 or 2026年12月02日."""
    assert chinese_date(D(2026, 12, 2)) == "2026年12月2日"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 11, 1), D(2026, 11, 30), "2026年11月"),
        (D(2026, 11, 1), D(2026, 11, 20), "2026年11月1日至20日"),
        (D(2026, 11, 3), D(2026, 11, 30), "2026年11月3日至30日"),
        (D(2026, 11, 1), D(2026, 12, 5), "2026年11月1日至12月5日"),
        (D(2026, 1, 1), D(2026, 12, 31), "2026年全年"),
        (D(2026, 10, 1), D(2026, 12, 31), "2026年第四季度"),
        (D(2026, 7, 1), D(2026, 9, 30), "2026年第三季度"),
        (D(2026, 2, 1), D(2026, 2, 28), "2026年2月"),
        (D(2026, 2, 1), D(2026, 4, 30), "2026年2月1日至4月30日"),
        (D(2025, 12, 1), D(2026, 1, 5), "2025年12月1日至2026年1月5日"),
        (D(2025, 1, 1), D(2026, 12, 31), "2025年1月1日至2026年12月31日"),
        (D(2026, 11, 8), D(2026, 11, 8), "2026年11月8日"),
    ],
)
def test_chinese_period(start, end, expected):
    """Same month, same year, whole month, quarter and year each read as documents write."""
    assert chinese_period(start, end) == expected
