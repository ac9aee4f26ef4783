"""Reporting periods: parsing, comparisons (环比/同比) and month coverage."""

import datetime as dt

import pytest

from taizhang.statistics.periods import Period, PeriodError

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("", "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("2026-02", "month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2026-Q3", "quarter", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2025", "year", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("2026-01-05..2026-03-20", "custom", dt.date(2026, 1, 5), dt.date(2026, 3, 20)),
    ],
)
def test_parse(text, kind, start, end):
    period = Period.parse(text, today=TODAY)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert Period.parse(period.key, today=TODAY) == period


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "last month", "2026-03-20..2026-01-05"])
def test_parse_rejects_bad_input(text):
    with pytest.raises(PeriodError):
        Period.parse(text, today=TODAY)


def test_previous_and_year_ago():
    march = Period.month(2026, 3)
    assert march.previous() == Period.month(2026, 2)
    assert march.year_ago() == Period.month(2025, 3)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period.quarter(2026, 1).previous() == Period.quarter(2025, 4)
    assert Period.year(2026).previous() == Period.year(2025)
    assert Period.month(2024, 2).year_ago().end == dt.date(2023, 2, 28)
    custom = Period("custom", dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert custom.previous() == Period("custom", dt.date(2026, 2, 19), dt.date(2026, 2, 28))
    assert Period.month(2026, 12).following() == Period.month(2027, 1)


def test_whole_months_and_trailing():
    assert Period.quarter(2026, 2).whole_months
    assert not Period("custom", dt.date(2026, 3, 2), dt.date(2026, 3, 31)).whole_months
    assert Period.quarter(2026, 2).months() == [dt.date(2026, m, 1) for m in (4, 5, 6)]
    months = Period.month(2026, 2).trailing_months(12)
    assert months[0] == Period.month(2025, 3) and months[-1] == Period.month(2026, 2)
