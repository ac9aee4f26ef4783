"""The two yearly totals of the activity list (activities held, reported headcount) are
read from the statistics module's stored monthly figures, and equal what the records
give after writes (the change reports keep the stored figures current)."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.activities import selectors, services
from taizhang.activities.models import Activity
from taizhang.activities.selectors import activity_figures
from taizhang.activities.tests.factories import DAY, kind, make_activity
from taizhang.core.actors import SYSTEM
from taizhang.statistics import rollups

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _from_records(org) -> tuple[int, int]:
    rows = Activity.objects.filter(held_on__gte=YEAR[0], held_on__lte=YEAR[1])
    if org is not None:
        lower, upper = org.subtree_bounds
        rows = rows.filter(org__path__gte=lower, org__path__lt=upper)
    return rows.count(), sum(rows.values_list("participants", flat=True))


def test_the_totals_come_from_the_stored_figures_and_follow_writes(tree, personas, monkeypatch):
    make_activity(tree.community_a, headcount=12)
    make_activity(tree.community_b, headcount=30, kind=kind("party_lecture"))
    rollups.refresh_all(selectors.STORED_TOTALS)
    # Writes after the rebuild: the change reports update the stored figures.
    make_activity(tree.grid_a, headcount=7, held_on=DAY + dt.timedelta(days=40))
    moved = make_activity(tree.community_b, headcount=9)
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2025, 12, 30))  # last year
    # Moved to last year: it leaves this year's stored figures.
    services.activity_update(activity=moved, acting_user=SYSTEM, held_on=dt.date(2025, 11, 3))

    # The totals shown are the ones the stored figures gave.
    served = []
    original = selectors._stored_totals

    def spy(*args, **kwargs):
        served.append(result := original(*args, **kwargs))
        return result

    monkeypatch.setattr(selectors, "_stored_totals", spy)
    for viewer, org in (
        (personas.district, None),
        (personas.district, tree.district),
        (personas.district, tree.street_a),
        (personas.street_a, None),
        (personas.street_b, tree.street_b),
    ):
        figures = activity_figures(viewer=viewer, org=org, start=YEAR[0], end=YEAR[1])
        expected = _from_records(org if org is not None else _grant_org(viewer, tree))
        assert (figures.total, figures.participants) == expected
        assert served[-1] == expected  # read from the stored figures
        assert figures.total == sum(row["count"] for row in figures.by_kind)


def _grant_org(viewer, tree):
    return {"district": tree.district, "street_a": tree.street_a}[viewer.username]


def test_without_stored_figures_the_records_serve(tree, personas):
    make_activity(tree.community_a, headcount=12)
    figures = activity_figures(viewer=personas.district, org=None, start=YEAR[0], end=YEAR[1])
    assert (figures.total, figures.participants) == (1, 12)
    assert selectors._stored_totals(personas.district, None, *YEAR) is None
    # A range not of whole months cannot be served by monthly figures either.
    rollups.refresh_all(selectors.STORED_TOTALS)
    assert selectors._stored_totals(personas.district, None, *YEAR) == (1, 12)
    assert selectors._stored_totals(personas.district, None, YEAR[0], DAY) is None
