"""The daily run: deadline reminders at their working-day boundaries, and the digest.

The to-dos come from a kind registered for the test (``core.registry.TODOS``): each
organization of the small tree stands for one item, due on the day the test sets.
Days are in 2027, beyond the packaged State Council schedule, so only weekends and the
overrides the tests enter decide what a working day is. 2027-03-01 is a Monday.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from taizhang.core import registry
from taizhang.core.actors import SYSTEM
from taizhang.core.calendar_services import workday_override_create
from taizhang.core.models import Job, JobStatus
from taizhang.core.registry import TodoKind
from taizhang.organizations.models import Organization
from taizhang.reminders import services
from taizhang.reminders.models import Message
from taizhang.reminders.services import DIGEST, DUE_SOON, reminders_daily

MON = dt.date(2027, 3, 1)
TUE, WED, THU, FRI = (MON + dt.timedelta(days=n) for n in range(1, 5))
SAT, SUN = MON + dt.timedelta(days=5), MON + dt.timedelta(days=6)
NEXT_MON, NEXT_TUE, NEXT_WED = (MON + dt.timedelta(days=n) for n in (7, 8, 9))


@pytest.fixture
def due(monkeypatch, tree) -> dict[int, dt.date | None]:
    """A to-do kind for clerks whose items are street A's organizations; the test fills
    ``due`` (organization pk → deadline) and only those are on the list."""
    deadlines: dict[int, dt.date | None] = {}

    def items(viewer: Any) -> Any:
        return Organization.objects.filter(pk__in=list(deadlines)).order_by("pk")

    kind = TodoKind(
        name="test.items",
        label="Test items",
        permission="problems.view",
        items=items,
        title=lambda org: f"事项 {org.code}",
        url=lambda org: f"/organizations/{org.pk}/",
        why="Because.",
        due=lambda org: deadlines.get(org.pk),
    )
    monkeypatch.setattr(registry, "TODOS", {kind.name: kind})
    monkeypatch.setattr(services, "TODOS", {kind.name: kind})
    return deadlines


def _reminded(user: Any) -> list[str]:
    return list(
        Message.objects.filter(recipient=user, rule=DUE_SOON)
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_exactly_n_working_days_ahead_fires_n_plus_one_does_not(tree, personas, due):
    """Default N = 2: on Monday, Wednesday's item is reminded, Thursday's is not."""
    due[tree.street_a.pk] = WED
    due[tree.community_a.pk] = THU
    reminders_daily(today=MON)
    assert _reminded(personas.street_a) == ["Due in 2 working days: 事项 A"]


def test_due_today_fires(tree, personas, due):
    due[tree.street_a.pk] = MON
    reminders_daily(today=MON)
    assert _reminded(personas.street_a) == ["Due today: 事项 A"]


def test_a_weekend_between_does_not_count(tree, personas, due):
    """On Friday, next Tuesday is 2 working days ahead (Monday, Tuesday); Wednesday 3."""
    due[tree.street_a.pk] = NEXT_TUE
    due[tree.community_a.pk] = NEXT_WED
    reminders_daily(today=FRI)
    assert _reminded(personas.street_a) == ["Due in 2 working days: 事项 A"]


def test_a_holiday_override_between_counts_as_rest(tree, personas, due):
    """Tuesday declared a rest day: from Monday, Thursday is 2 working days ahead."""
    workday_override_create(date=TUE, is_workday=False, note="调休", acting_user=SYSTEM)
    due[tree.street_a.pk] = THU
    reminders_daily(today=MON)
    assert _reminded(personas.street_a) == ["Due in 2 working days: 事项 A"]


def test_a_working_saturday_override_counts(tree, personas, due):
    """Saturday declared a working day (调休上班): from Friday, Monday is 2 ahead, Tuesday 3."""
    workday_override_create(date=SAT, is_workday=True, note="调休上班", acting_user=SYSTEM)
    due[tree.street_a.pk] = NEXT_MON
    due[tree.community_a.pk] = NEXT_TUE
    reminders_daily(today=FRI)
    assert _reminded(personas.street_a) == ["Due in 2 working days: 事项 A"]


def test_reminded_once_per_item_never_the_next_day(tree, personas, due):
    due[tree.street_a.pk] = WED
    reminders_daily(today=MON)
    reminders_daily(today=TUE)
    reminders_daily(today=WED)
    assert len(_reminded(personas.street_a)) == 1
    # The digest, though, comes every day.
    assert Message.objects.filter(recipient=personas.street_a, rule=DIGEST).count() == 3


def test_overdue_items_are_in_the_digest_not_reminded(tree, personas, due):
    due[tree.street_a.pk] = FRI - dt.timedelta(days=7)
    due[tree.community_a.pk] = None  # no deadline at all
    reminders_daily(today=MON)
    reminders_daily(today=TUE)
    assert _reminded(personas.street_a) == []
    digest = Message.objects.filter(recipient=personas.street_a, rule=DIGEST).first()
    assert digest is not None
    assert digest.title == "Today: 2 to-dos waiting for you"
    assert "Test items: 2" in digest.body
    assert "Past their deadline: 1" in digest.body
    assert "Unread messages:" in digest.body
    assert digest.url == "/workbench/"


def test_the_rule_decides_how_many_days(tree, personas, due):
    row = services.rule_for(DUE_SOON)
    assert row is not None
    services.reminder_rule_update(
        rule=row, enabled=True, days_before=0, to_webhook=True, acting_user=SYSTEM
    )
    due[tree.street_a.pk] = TUE
    due[tree.community_a.pk] = MON
    reminders_daily(today=MON)
    assert _reminded(personas.street_a) == ["Due today: 事项 A1"]


def test_switched_off_no_reminders_but_the_digest(tree, personas, due):
    row = services.rule_for(DUE_SOON)
    assert row is not None
    services.reminder_rule_update(
        rule=row, enabled=False, days_before=2, to_webhook=True, acting_user=SYSTEM
    )
    due[tree.street_a.pk] = MON
    reminders_daily(today=MON)
    assert _reminded(personas.street_a) == []
    assert Message.objects.filter(recipient=personas.street_a, rule=DIGEST).count() == 1


def test_no_digest_without_to_dos(tree, personas, due):
    """The auditor holds no function behind the kind; nobody holds an empty list."""
    reminders_daily(today=MON)
    assert not Message.objects.exists()
    due[tree.street_a.pk] = THU
    reminders_daily(today=MON)
    assert not Message.objects.filter(recipient=personas.auditor).exists()
    assert not Message.objects.filter(recipient=personas.nobody).exists()


def test_command_queues_a_background_job(tree, personas, due, django_capture_on_commit_callbacks):
    """``taizhang reminders daily`` starts a job the worker runs (immediate in tests)."""
    due[tree.street_a.pk] = WED
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reminders", "daily", "--date", MON.isoformat())
    job = Job.objects.get(kind="reminders.daily")
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["reminded"] >= 1
    assert _reminded(personas.street_a) == ["Due in 2 working days: 事项 A"]


def test_command_skips_a_rest_day(tree, personas, due, capsys):
    due[tree.street_a.pk] = NEXT_MON
    call_command("reminders", "daily", "--date", SUN.isoformat())
    assert "not a working day" in capsys.readouterr().out
    assert not Job.objects.exists()
    assert not Message.objects.exists()
