"""Working days for demand time limits (ADR 0022).

Weekends are not working days, nor the fixed-date statutory holidays below. Lunar
holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the weekend make-up
working days (调休) move every year and are not modelled: add them to ``EXTRA_HOLIDAYS``
when the State Council publishes the year's schedule.
"""

from __future__ import annotations

import datetime as dt

# (month, day) holidays fixed by the calendar: New Year, Labour Day, National Day.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
EXTRA_HOLIDAYS: frozenset[dt.date] = frozenset()


def is_working_day(day: dt.date) -> bool:
    if day.weekday() >= 5:
        return False
    return (day.month, day.day) not in FIXED_HOLIDAYS and day not in EXTRA_HOLIDAYS


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day on which ``days`` working days after ``start`` have passed.

    The day of receipt does not count: received on a Friday with a limit of 1, the
    demand is due the next Monday.
    """
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
