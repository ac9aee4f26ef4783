"""Working days (节假日与调休): the one calendar every working-day deadline reads.

Three sources, strongest first:

1. ``WorkdayOverride`` rows, kept by the system administrator: a day the district
   declares a working day or a rest day, whatever else says;
2. the State Council schedule as published in the ``chinesecalendar`` package (statutory
   holidays and the weekend make-up working days), for the years it has data for;
3. beyond both, Monday to Friday are working days and weekends are not.

The package stops at the last year the State Council has announced (2026 in the
version pinned), so each December the administrator enters the coming year's schedule
as overrides until the package is upgraded.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar
from django.utils import translation

from taizhang.core.models import WorkdayOverride

ONE_DAY = dt.timedelta(days=1)


@functools.cache
def published_years() -> range:
    """The years the packaged State Council schedule covers."""
    years = [day.year for day in chinese_calendar.constants.holidays]
    return range(min(years), max(years) + 1)


def published_status(day: dt.date) -> bool | None:
    """Whether the published schedule makes ``day`` a working day; None outside it."""
    if day.year not in published_years():
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def published_name(day: dt.date) -> str:
    """The holiday a published rest or make-up day belongs to ("Spring Festival"), or ""."""
    if day.year not in published_years():
        return ""
    try:
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ""
    if not name:
        return ""
    # The package names holidays in English; each of its holidays carries the Chinese
    # name too, which is what a Chinese office reads (春节, not Spring Festival).
    by_english = {holiday.value: holiday for holiday in chinese_calendar.Holiday}
    holiday = by_english.get(str(name))
    if holiday is not None and (translation.get_language() or "").startswith("zh"):
        return str(holiday.chinese)
    return str(name)


class WorkCalendar:
    """Answers for many days with one query per year of overrides.

    Build one per computation (a deadline, a count): it reads the overrides as they are
    at that moment and is not meant to be kept across requests.
    """

    def __init__(self) -> None:
        self._years: dict[int, dict[dt.date, bool]] = {}

    def _overrides(self, year: int) -> dict[dt.date, bool]:
        if year not in self._years:
            self._years[year] = dict(
                WorkdayOverride.objects.filter(date__year=year).values_list("date", "is_workday")
            )
        return self._years[year]

    def is_workday(self, day: dt.date) -> bool:
        override = self._overrides(day.year).get(day)
        if override is not None:
            return override
        published = published_status(day)
        if published is not None:
            return published
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, days: int) -> dt.date:
        day = start
        remaining = days
        while remaining > 0:
            day += ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_workday(day):
                count += 1
        return count


def is_workday(day: dt.date) -> bool:
    return WorkCalendar().is_workday(day)


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The day on which ``days`` working days after ``start`` have passed.

    The start day does not count: received on a Friday with a limit of 1, a matter is
    due the next working day.
    """
    return WorkCalendar().add_workdays(start, days)


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    return WorkCalendar().workdays_between(start, end)


@dataclass(frozen=True)
class CalendarDay:
    """One day of a year's calendar page that is not an ordinary weekday or weekend."""

    date: dt.date
    is_workday: bool
    name: str
    source: str  # "override" or "published"
    override: WorkdayOverride | None = None


def special_days(year: int) -> list[CalendarDay]:
    """The year's days that differ from plain Monday-to-Friday, and every override.

    Published holidays on weekdays and make-up working days on weekends come from the
    package; overrides are listed whether or not they change anything.
    """
    overrides = {o.date: o for o in WorkdayOverride.objects.filter(date__year=year)}
    days: dict[dt.date, CalendarDay] = {}
    if year in published_years():
        day = dt.date(year, 1, 1)
        while day.year == year:
            published = published_status(day)
            if published is not None and published != (day.weekday() < 5):
                days[day] = CalendarDay(day, published, published_name(day), "published")
            day += ONE_DAY
    for date, override in overrides.items():
        days[date] = CalendarDay(date, override.is_workday, override.name, "override", override)
    return [days[d] for d in sorted(days)]
