"""Reporting periods: month, quarter, year or a custom range of days (both ends inclusive).

A period knows its predecessor (环比: the period of the same kind just before) and its
counterpart a year earlier (同比), and whether it is made of whole months, in which case
the pre-aggregated monthly figures can serve it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    """A period parameter that cannot be read."""


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter" | "year" | "custom"
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(_("The period ends before it starts."))

    # --- construction -------------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls("month", dt.date(year, month, 1), _month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        return cls("quarter", dt.date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def parse(cls, text: str | None, *, today: dt.date) -> Period:
        """Read ``2026-11``, ``2026-Q3``, ``2026`` or ``2026-01-05..2026-03-20``; empty
        means the current month."""
        text = (text or "").strip()
        try:
            if not text:
                return cls.month(today.year, today.month)
            if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
                return cls.month(int(match[1]), int(match[2]))
            if match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
                return cls.quarter(int(match[1]), int(match[2]))
            if match := re.fullmatch(r"(\d{4})", text):
                return cls.year(int(match[1]))
            if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
                return cls(
                    "custom", dt.date.fromisoformat(match[1]), dt.date.fromisoformat(match[2])
                )
        except ValueError as exc:
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError(_("%(text)s is not a valid period.") % {"text": text}) from exc
        raise PeriodError(
            _("%(text)s is not a period: use 2026-11, 2026-Q3, 2026 or 2026-01-05..2026-03-20.")
            % {"text": text}
        )

    # --- identity -----------------------------------------------------------------
    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {
                "year": self.start.year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == "year":
            return _("Year %(year)d") % {"year": self.start.year}
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def __str__(self) -> str:
        return self.label

    # --- arithmetic ---------------------------------------------------------------
    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == _month_end(self.end.year, self.end.month)

    def months(self) -> list[dt.date]:
        """First days of the months the period touches."""
        result = []
        month = self.start.replace(day=1)
        while month <= self.end:
            result.append(month)
            month = _add_months(month, 1)
        return result

    def previous(self) -> Period:
        """The period just before, of the same kind and length (环比)."""
        if self.kind in ("month", "quarter", "year"):
            span = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = _add_months(self.start, -span)
            end = _month_end(*_ym(_add_months(self.start, -1)))
            return Period(self.kind, start, end)
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period("custom", end - length, end)

    def following(self) -> Period:
        """The period just after, of the same kind and length."""
        if self.kind in ("month", "quarter", "year"):
            span = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = _add_months(self.start, span)
            last = _add_months(start, span - 1)
            return Period(self.kind, start, _month_end(last.year, last.month))
        length = self.end - self.start
        start = self.end + dt.timedelta(days=1)
        return Period("custom", start, start + length)

    def year_ago(self) -> Period:
        """The same period one year earlier (同比)."""
        if self.kind in ("month", "quarter", "year"):
            return Period(
                self.kind,
                self.start.replace(year=self.start.year - 1),
                _month_end(self.end.year - 1, self.end.month),
            )
        return Period("custom", _shift_year(self.start), _shift_year(self.end))

    def trailing_months(self, count: int = 12) -> list[Period]:
        """``count`` months ending with the period's last month, oldest first."""
        last = self.end.replace(day=1)
        return [Period.month(*_ym(_add_months(last, offset))) for offset in range(-count + 1, 1)]


def _ym(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def _shift_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
