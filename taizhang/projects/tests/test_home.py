"""The projects module on the workbench: monthly progress to report, and a linked
leader's projects on his home page.

``projects.progress_due``: a project under way (not yet completed) that the viewer
manages, with no progress report this month, from a week before the month's progress
day (the 25th by default) to the month's end. ``core.home.first`` shows a linked leader
his linked projects, behind-schedule ones first, with their open blockers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.projects.models import Stage
from taizhang.projects.services import progress_report_create
from taizhang.projects.tests.factories import make_leader_user, make_project
from taizhang.projects.todos import linked_summary, progress_day, todo_progress_due
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

DAY_20 = dt.date(2026, 11, 20)


def _names(qs):
    return sorted(p.name for p in qs)


def test_progress_day_is_the_25th_or_the_months_last(settings):
    assert progress_day(dt.date(2026, 11, 3)) == dt.date(2026, 11, 25)
    settings.TAIZHANG_PROJECT_PROGRESS_DAY = 31
    assert progress_day(dt.date(2026, 2, 3)) == dt.date(2026, 2, 28)


def test_progress_due_from_a_week_before_the_day(tree, personas):
    """On the 17th the project is not yet listed; on the 18th it is."""
    make_project(tree.street_a, "进展项目", stage=Stage.CONSTRUCTION)
    assert not todo_progress_due(viewer=personas.street_a, today=dt.date(2026, 11, 17)).exists()
    assert _names(todo_progress_due(viewer=personas.street_a, today=dt.date(2026, 11, 18))) == [
        "进展项目"
    ]


def test_a_report_this_month_takes_it_off_and_last_months_does_not(tree, personas):
    project = make_project(tree.street_a, "进展项目", stage=Stage.CONSTRUCTION)
    progress_report_create(
        project=project,
        reported_on=dt.date(2026, 10, 28),
        text="上月进展",
        late_reason="补录上月进展",
        acting_user=SYSTEM,
    )
    assert _names(todo_progress_due(viewer=personas.street_a, today=DAY_20)) == ["进展项目"]
    progress_report_create(
        project=project,
        reported_on=dt.date(2026, 11, 19),
        text="本月进展",
        late_reason="补录本月进展",
        acting_user=SYSTEM,
    )
    assert not todo_progress_due(viewer=personas.street_a, today=DAY_20).exists()


def test_only_managed_projects_under_way(tree, personas):
    """Completed projects report no monthly progress; the neighbour and a view-only
    leader get nothing."""
    make_project(tree.street_a, "在建项目", stage=Stage.CONSTRUCTION)
    make_project(tree.street_a, "已竣工项目", stage=Stage.COMPLETED)
    leader = make_leader_user(tree)
    assert _names(todo_progress_due(viewer=personas.street_a, today=DAY_20)) == ["在建项目"]
    assert _names(todo_progress_due(viewer=personas.district, today=DAY_20)) == ["在建项目"]
    assert not todo_progress_due(viewer=personas.street_b, today=DAY_20).exists()
    assert not todo_progress_due(viewer=leader, today=DAY_20).exists()


def test_linked_summary_puts_projects_behind_schedule_first(tree, personas):
    leader = make_leader_user(tree)
    assert linked_summary(viewer=leader) is None  # nothing linked: no panel
    assert linked_summary(viewer=personas.district) is None  # no person: no panel
    make_project(tree.street_a, "大项目", linked_leader=leader.person, total_investment=9_000)
    late = make_project(
        tree.street_b, "滞后项目", linked_leader=leader.person, total_investment=1_000
    )
    from taizhang.projects.services import project_schedule_set

    project_schedule_set(
        project=late,
        planned={Stage.STARTED: dt.date(2026, 1, 5)},
        acting_user=SYSTEM,
    )
    summary = linked_summary(viewer=leader, limit=5)
    assert summary is not None
    assert [p.name for p in summary["projects"]] == ["滞后项目", "大项目"]
    assert (summary["count"], summary["overdue"], summary["total_investment"]) == (2, 1, 10_000)


def test_the_leaders_home_page_shows_them(client, tree):
    leader = make_leader_user(tree)
    make_project(tree.street_a, "挂钩的项目", linked_leader=leader.person)
    client.login(username=leader.username, password=PASSWORD)
    page = client.get(reverse("core:home")).content.decode()
    assert 'id="home-linked-projects"' in page
    assert "挂钩的项目" in page
    assert reverse("projects:mine") in page
