"""The working-day calendar: published holidays and 调休, overrides that win, weekends beyond."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.calendar import (
    WorkCalendar,
    add_workdays,
    is_workday,
    published_years,
    special_days,
    workdays_between,
)
from taizhang.core.calendar_services import workday_override_create, workday_override_delete
from taizhang.core.models import AuditEvent, WorkdayOverride
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))


def test_spring_festival_2026_moves_a_five_day_deadline():
    """Received on Friday 2026-02-13 with 5 working days: Saturday 14 February is a
    make-up working day, 15-23 February the holiday, so it is due on 2026-02-27."""
    assert add_workdays(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert is_workday(D(2026, 2, 14))
    assert not is_workday(D(2026, 2, 16))


def test_plain_weeks_skip_the_weekend():
    """Friday plus one working day is Monday; Friday to Tuesday counts two."""
    assert add_workdays(D(2026, 11, 20), 1) == D(2026, 11, 23)
    assert workdays_between(D(2026, 11, 20), D(2026, 11, 24)) == 2
    assert workdays_between(D(2026, 11, 24), D(2026, 11, 20)) == 0


def test_an_override_making_a_holiday_a_workday_shortens_the_deadline():
    """If the district works on 2026-02-16 (a published holiday), that day counts and
    the deadline comes one working day earlier."""
    workday_override_create(date=D(2026, 2, 16), is_workday=True, name="值班", acting_user=SYSTEM)
    assert is_workday(D(2026, 2, 16))
    assert add_workdays(D(2026, 2, 13), 5) == D(2026, 2, 26)


def test_an_override_making_a_weekday_a_rest_day_lengthens_the_deadline():
    """A local rest day on Wednesday 2026-11-25 pushes a Wednesday + 5 deadline by a day."""
    assert add_workdays(D(2026, 11, 18), 5) == D(2026, 11, 25)
    workday_override_create(date=D(2026, 11, 25), is_workday=False, acting_user=SYSTEM)
    assert add_workdays(D(2026, 11, 18), 5) == D(2026, 11, 26)


def test_beyond_the_published_years_overrides_and_weekends_rule():
    """2027 is past the package's data: weekdays work, weekends rest, overrides apply."""
    beyond = published_years().stop
    new_year = D(beyond, 1, 1)
    assert beyond not in published_years()
    calendar = WorkCalendar()
    weekday = next(
        new_year + dt.timedelta(days=i)
        for i in range(7)
        if (new_year + dt.timedelta(days=i)).weekday() == 0
    )
    assert calendar.is_workday(weekday)
    assert not calendar.is_workday(weekday + dt.timedelta(days=5))
    workday_override_create(date=weekday, is_workday=False, name="元旦", acting_user=SYSTEM)
    workday_override_create(
        date=weekday + dt.timedelta(days=5), is_workday=True, name="元旦调休", acting_user=SYSTEM
    )
    assert not is_workday(weekday)
    assert is_workday(weekday + dt.timedelta(days=5))
    assert [d.name for d in special_days(beyond)] == ["元旦", "元旦调休"]


def test_special_days_list_the_published_schedule():
    """The 2026 page lists Spring Festival rest days on weekdays and its make-up Saturday."""
    days = {d.date: d for d in special_days(2026)}
    assert days[D(2026, 2, 14)].is_workday and days[D(2026, 2, 14)].source == "published"
    assert not days[D(2026, 2, 16)].is_workday
    assert D(2026, 2, 21) not in days  # a Saturday inside the holiday is a rest day anyway


def test_create_and_delete_are_audited(sysadmin):
    """Each change to the calendar is one audit event naming the day."""
    override = workday_override_create(
        date=D(2027, 2, 8), is_workday=False, name="春节", acting_user=sysadmin
    )
    event = AuditEvent.objects.get(action="workday_override.create")
    assert event.changes["date"] == [None, "2027-02-08"]
    assert event.actor_id == sysadmin.pk
    workday_override_delete(override=override, acting_user=sysadmin)
    assert AuditEvent.objects.filter(action="workday_override.delete").count() == 1
    assert not WorkdayOverride.objects.exists()


def test_one_override_per_day():
    """A second override of the same day is refused on the date field."""
    workday_override_create(date=D(2027, 2, 8), is_workday=False, acting_user=SYSTEM)
    with pytest.raises(ValidationError) as err:
        workday_override_create(date=D(2027, 2, 8), is_workday=True, acting_user=SYSTEM)
    assert "date" in err.value.message_dict


def test_a_clerk_may_not_change_the_calendar(personas):
    """Only the system administrator keeps the calendar."""
    with pytest.raises(PermissionDenied):
        workday_override_create(date=D(2027, 2, 8), is_workday=False, acting_user=personas.district)
    with pytest.raises(TypeError):
        workday_override_create(date=D(2027, 2, 8), is_workday=False, acting_user=None)


def test_calendar_page_for_the_system_administrator(client, sysadmin, personas):
    """The system administrator lists a year, adds and removes an override; a clerk gets 403."""
    client.login(username="sysadmin", password=PASSWORD)
    page = client.get("/calendar/?year=2026")
    assert page.status_code == 200
    assert "2026-02-14" in page.content.decode()
    response = client.post(
        "/calendar/",
        {"year": "2027", "date": "2027-02-08", "is_workday": "0", "name": "春节", "note": ""},
    )
    assert response.status_code == 302
    override = WorkdayOverride.objects.get()
    assert "春节" in client.get("/calendar/?year=2027").content.decode()
    assert client.post(f"/calendar/{override.pk}/delete/").status_code == 302
    assert not WorkdayOverride.objects.exists()
    client.logout()
    client.login(username="district", password=PASSWORD)
    assert client.get("/calendar/").status_code == 403
    assert client.post(f"/calendar/{override.pk}/delete/").status_code == 403


def test_published_holidays_are_named_in_the_reader_s_language() -> None:
    from django.utils import translation

    from taizhang.core.calendar import published_name

    with translation.override("zh-hans"):
        assert published_name(dt.date(2026, 2, 16)) == "春节"
    with translation.override("en"):
        assert published_name(dt.date(2026, 2, 16)) == "Spring Festival"
