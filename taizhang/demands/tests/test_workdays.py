"""Working days skip weekends and the fixed statutory holidays."""

import datetime as dt

from taizhang.demands.workdays import add_working_days, is_working_day, working_days_between


def test_friday_plus_one_is_monday():
    """Received on a Friday with a one-day limit, the demand is due on Monday."""
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)


def test_five_working_days_span_a_weekend():
    """Five working days from a Wednesday end the next Wednesday."""
    assert add_working_days(dt.date(2026, 11, 18), 5) == dt.date(2026, 11, 25)


def test_national_day_is_not_a_working_day():
    """1-3 October are holidays even on weekdays."""
    assert not is_working_day(dt.date(2026, 10, 1))
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 5)


def test_between_counts_working_days_after_start():
    """From a Friday to the next Tuesday is two working days."""
    assert working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 24)) == 2
    assert working_days_between(dt.date(2026, 11, 24), dt.date(2026, 11, 20)) == 0
