"""Monthly figures equal the records: after a refresh (checked against brute force on
random trees) and after every write made through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taizhang.activities.models import Activity, AttendanceMode
from taizhang.activities.services import activity_update
from taizhang.activities.tests.factories import kind, make_activity
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS
from taizhang.core.testing import make_org
from taizhang.organizations.models import Organization
from taizhang.organizations.services import organization_move
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure
from taizhang.statistics.periods import Period
from taizhang.statistics.selectors import subtree_total

EXAMPLES = itertools.count()
COUNT = METRICS["activities.count"]
HEADCOUNT = METRICS["activities.headcount"]

# A random tree: each new node picks its parent among the nodes made before it.
trees = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12)
rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=12),  # node index (modulo tree size)
        st.integers(min_value=1, max_value=14),  # month offset from 2025-12
        st.integers(min_value=0, max_value=500),  # participants
    ),
    max_size=40,
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(parents=trees, records=rows)
def test_refresh_equals_brute_force_on_random_trees(parents, records):
    # Examples share one test transaction: each builds its own root with fresh codes.
    prefix = f"X{next(EXAMPLES)}"
    root = Organization.objects.filter(parent=None).first() or make_org(None, "ROOT")
    nodes = [make_org(root, prefix)]
    for index, choice in enumerate(parents):
        nodes.append(make_org(nodes[choice % len(nodes)], f"{prefix}N{index}"))
    group_study = kind()
    made = []
    for node_index, month_offset, people in records:
        year, month = divmod(11 + month_offset, 12)
        made.append(
            Activity(
                org=nodes[node_index % len(nodes)],
                kind=group_study,
                title="t",
                held_on=dt.date(2025 + year, month + 1, 15),
                attendance_mode=AttendanceMode.HEADCOUNT,
                participants=people,
            )
        )
    Activity.objects.bulk_create(made)
    rollups.refresh(COUNT)
    rollups.refresh(HEADCOUNT)

    periods = [Period.year(2026), Period.quarter(2026, 1), Period.month(2026, 2)]
    for org in nodes:
        for period in periods:
            inside = [
                a
                for a in made
                if a.org.path.startswith(org.path) and period.start <= a.held_on <= period.end
            ]
            assert subtree_total(COUNT.name, org, period) == len(inside)
            assert subtree_total(HEADCOUNT.name, org, period) == sum(a.participants for a in inside)
    assert rollups.check() == []


@pytest.mark.django_db
def test_writes_through_services_keep_figures_current(tree, personas):
    """Create, move the unit to another branch, re-date and delete: the figures follow."""
    rollups.refresh_all(["activities.count", "activities.headcount"])
    march = Period.month(2026, 3)
    activity = make_activity(tree.grid_a, headcount=30, held_on=dt.date(2026, 3, 5))
    assert subtree_total("activities.count", tree.district, march) == 1
    assert subtree_total("activities.headcount", tree.street_a, march) == 30

    organization_move(organization=tree.community_a, new_parent=tree.street_b, acting_user=SYSTEM)
    assert subtree_total("activities.count", tree.street_a, march) == 0
    assert subtree_total("activities.count", tree.street_b, march) == 1
    assert rollups.check() == []

    activity_update(activity=activity, acting_user=personas.district, held_on=dt.date(2026, 4, 1))
    assert subtree_total("activities.count", tree.district, march) == 0
    assert subtree_total("activities.count", tree.district, Period.month(2026, 4)) == 1
    assert rollups.check() == []

    activity.delete()
    assert subtree_total("activities.count", tree.district, Period.month(2026, 4)) == 0
    assert rollups.check() == []


@pytest.mark.django_db
def test_check_names_a_stale_figure(tree):
    rollups.refresh(COUNT)
    make_activity(tree.grid_a, headcount=3, held_on=dt.date(2026, 3, 5))  # kept current
    assert rollups.check(["activities.count"]) == []
    MonthlyFigure.objects.filter(metric="activities.count", org=tree.district).update(
        value=Decimal(7)
    )
    problems = rollups.check(["activities.count"])
    assert len(problems) == 1 and f"org {tree.district.pk} 2026-03" in problems[0]


@pytest.mark.django_db
def test_metrics_never_refreshed_are_not_maintained(tree):
    """Before the first refresh nothing is stored, so nothing can be half right."""
    make_activity(tree.grid_a, headcount=3)
    assert not MonthlyFigure.objects.exists()
