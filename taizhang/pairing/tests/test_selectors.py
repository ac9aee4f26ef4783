"""Reads of pairing follow the viewer's scope; the headline figure is computed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from taizhang.core.actors import SYSTEM
from taizhang.pairing.selectors import (
    get_pair_for_viewer,
    pair_list,
    pair_rows,
    partnership_list,
    villages_over,
)
from taizhang.pairing.services import partnership_create
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from tests.support import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(tree):
    organ = make_organ(tree)
    return {
        "a": make_pair(organ, tree.community_a),
        "b": make_pair(organ, tree.community_b),
    }


def _villages(qs):
    return sorted(p.village.code for p in qs)


def test_district_sees_all_pairs(personas, pairs):
    """The district clerk sees every pair."""
    assert _villages(pair_list(viewer=personas.district)) == ["A1", "B1"]


def test_street_a_sees_her_subdistrict(personas, pairs):
    """A's clerk sees the pair of her community only."""
    assert _villages(pair_list(viewer=personas.street_a)) == ["A1"]


def test_street_b_gets_404_and_no_counts_from_a(personas, pairs, tree):
    """B's clerk: A's pair is a 404; A's village is absent from the list and the headline."""
    make_income(tree.community_a, FIRST_YEAR + 1, 600_000)
    make_income(tree.community_b, FIRST_YEAR + 1, 510_000)
    with pytest.raises(Http404):
        get_pair_for_viewer(personas.street_b, pairs["a"].pk)
    assert _villages(pair_list(viewer=personas.street_b)) == ["B1"]
    assert villages_over(viewer=personas.street_b, year=FIRST_YEAR + 1) == 1
    assert villages_over(viewer=personas.district, year=FIRST_YEAR + 1) == 2


def test_helper_sees_the_pairs_it_helps(tree, pairs):
    """A clerk of the helping organ sees its pairs even though the villages are elsewhere."""
    from tests.support import make_user

    organ = pairs["a"].helper
    clerk = make_user("organ_clerk", ("clerk", "subtree", organ))
    assert _villages(pair_list(viewer=clerk)) == ["A1", "B1"]


def test_villages_over_counts_confirmed_values_once(tree, personas, pairs):
    """Drafts, values under 50万元 and unpaired villages do not count; two pairs count once."""
    second_helper = make_organ(tree, "JG2")
    make_pair(second_helper, tree.community_a)  # A1 has two helpers
    make_income(tree.community_a, THIS_YEAR - 1, 500_000)  # exactly the target counts
    make_income(tree.community_b, THIS_YEAR - 1, 499_999)
    unpaired = make_org(tree.street_a, "A2")
    make_income(unpaired, THIS_YEAR - 1, 900_000)
    draft_village = make_org(tree.street_b, "B2")
    make_pair(second_helper, draft_village)
    make_income(draft_village, THIS_YEAR - 1, 800_000, confirm=False)
    assert villages_over(viewer=personas.district, year=THIS_YEAR - 1) == 1


def test_pair_rows_say_when_the_target_was_reached(tree, pairs):
    """A village over its target in year 2 reached it ahead of the year-3 target."""
    make_income(tree.community_a, FIRST_YEAR, 300_000)
    make_income(tree.community_a, FIRST_YEAR + 1, 560_000)
    rows = pair_rows([pairs["a"], pairs["b"]], [FIRST_YEAR, FIRST_YEAR + 1, THIS_YEAR])
    assert [c.value if c else None for c in rows[0].cells] == [300_000, 560_000, None]
    assert rows[0].reached_in == FIRST_YEAR + 1 and rows[0].early
    assert not rows[1].reached


def test_partnerships_are_scoped(tree, personas):
    """B's clerk does not see A's partnership."""
    partnership_create(
        org=tree.street_a,
        kind="agreement",
        partner="某商会",
        title="战略合作协议",
        signed_on=dt.date(FIRST_YEAR, 1, 1),
        acting_user=SYSTEM,
    )
    assert partnership_list(viewer=personas.street_a).count() == 1
    assert partnership_list(viewer=personas.street_b).count() == 0


def test_metrics_read_the_right_fields(tree, personas, pairs):
    """Each pairing metric's rows carry its org and date fields; values match the selectors."""
    from django.db.models import Sum

    from taizhang.core.registry import METRICS

    make_income(tree.community_a, FIRST_YEAR, 560_000)
    make_income(tree.community_b, FIRST_YEAR, 300_000)
    make_income(tree.community_b, FIRST_YEAR + 1, 900_000, confirm=False)
    names = sorted(name for name in METRICS if name.startswith("pairing."))
    assert names == [
        "pairing.agreements",
        "pairing.ambassadors",
        "pairing.assistance_funds",
        "pairing.assistance_projects",
        "pairing.assistance_projects_done",
        "pairing.collective_income",
        "pairing.pairs",
        "pairing.pairs_active",
        "pairing.villages_over_target",
    ]
    for name in names:
        metric = METRICS[name]
        rows = metric.queryset().values(f"{metric.org_field}__path", metric.date_field)
        list(rows)  # the fields exist and join
    over = METRICS["pairing.villages_over_target"]
    year_end = dt.date(FIRST_YEAR, 12, 31)
    assert over.queryset().filter(**{over.date_field: year_end}).count() == villages_over(
        viewer=personas.district, year=FIRST_YEAR
    )
    income = METRICS["pairing.collective_income"]
    total = income.queryset().aggregate(total=Sum(income.value))["total"]
    assert total == 860_000  # the draft is left out
