"""Monthly figures equal the records: after a refresh (checked against brute force on
random trees) and after every write the services report (``core.changes``; there are no
model signals), bulk writes, moves and deletes included. A write nobody reports is what
``check`` names."""

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
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.registry import METRICS
from taizhang.organizations.models import Organization
from taizhang.organizations.services import organization_move
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure
from taizhang.statistics.periods import Period
from taizhang.statistics.selectors import subtree_total
from tests.support import make_org

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


def _activity(org, day, people=5):
    return Activity(
        org=org,
        kind=kind(),
        title="t",
        held_on=day,
        attendance_mode=AttendanceMode.HEADCOUNT,
        participants=people,
    )


@pytest.mark.django_db
def test_writes_through_services_keep_figures_current(tree, personas):
    """Create, move the unit to another branch, re-date and delete: the figures follow
    what the services report, with no model signal."""
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

    with rows_changing(Activity, [activity]):
        activity.delete()
    assert subtree_total("activities.count", tree.district, Period.month(2026, 4)) == 0
    assert rollups.check() == []


@pytest.mark.django_db
def test_the_listener_follows_reported_bulk_writes_moves_and_deletes(tree):
    """The listener itself: bulk-created rows reported with ``rows_written``, a
    ``QuerySet.update`` moving rows to another organization and month inside
    ``rows_changing``, and a reported delete. Each keeps own and subtree figures equal
    to the records, the old organization's included."""
    rollups.refresh_all(["activities.count", "activities.headcount"])
    march, april = Period.month(2026, 3), Period.month(2026, 4)
    made = Activity.objects.bulk_create(
        [_activity(tree.community_a, dt.date(2026, 3, day), 10) for day in (2, 3, 4)]
    )
    assert subtree_total("activities.count", tree.district, march) == 0  # not reported yet
    rows_written(Activity, [row.pk for row in made])
    assert subtree_total("activities.count", tree.district, march) == 3
    assert subtree_total("activities.headcount", tree.street_a, march) == 30
    assert rollups.check() == []

    moved = [made[0].pk, made[1].pk]
    with rows_changing(Activity, moved):
        Activity.objects.filter(pk__in=moved).update(
            org=tree.community_b, held_on=dt.date(2026, 4, 9)
        )
    assert subtree_total("activities.count", tree.street_a, march) == 1
    assert subtree_total("activities.count", tree.street_b, april) == 2
    assert subtree_total("activities.count", tree.district, march) == 1
    own = MonthlyFigure.objects.get(
        metric="activities.count", org=tree.community_a, month=march.start
    )
    assert own.own_rows == 1
    assert rollups.check() == []

    with rows_changing(Activity, moved):
        Activity.objects.filter(pk__in=moved).delete()
    assert subtree_total("activities.count", tree.street_b, april) == 0
    assert subtree_total("activities.headcount", tree.district, april) == 0
    assert rollups.check() == []


@pytest.mark.django_db
def test_check_names_a_write_that_was_not_reported(tree):
    rollups.refresh(COUNT)
    make_activity(tree.grid_a, headcount=3, held_on=dt.date(2026, 3, 5))  # reported
    assert rollups.check(["activities.count"]) == []
    Activity.objects.bulk_create([_activity(tree.community_b, dt.date(2026, 3, 6))])  # not
    problems = rollups.check(["activities.count"])
    assert len(problems) == 3  # B1, B and the district: every figure the row should move
    assert any(f"org {tree.district.pk} 2026-03: stored 1.00 (1 rows)" in p for p in problems)
    assert any(f"org {tree.community_b.pk} 2026-03" in p for p in problems)


@pytest.mark.django_db
def test_check_names_a_tampered_figure(tree):
    rollups.refresh(COUNT)
    make_activity(tree.grid_a, headcount=3, held_on=dt.date(2026, 3, 5))
    MonthlyFigure.objects.filter(metric="activities.count", org=tree.district).update(
        value=Decimal(7)
    )
    problems = rollups.check(["activities.count"])
    assert len(problems) == 1 and f"org {tree.district.pk} 2026-03" in problems[0]


@pytest.mark.django_db
def test_metrics_never_refreshed_are_not_maintained(tree):
    """Before the first refresh nothing is stored, so nothing can be half right."""
    made = make_activity(tree.grid_a, headcount=3)
    rows_written(Activity, [made])
    assert not MonthlyFigure.objects.exists()


@pytest.mark.django_db
def test_a_report_of_a_model_no_metric_counts_is_ignored(tree, personas):
    rollups.refresh_all()
    before = MonthlyFigure.objects.count()
    rows_written(Organization, [tree.street_a])
    assert MonthlyFigure.objects.count() == before
    assert rollups.check() == []
