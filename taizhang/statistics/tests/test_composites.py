"""Composite scores (综合考评, ADR 0059): the rule, the owner-only weights, scope on the
pages, one audit event per write."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.versions import version_of
from taizhang.statistics import services
from taizhang.statistics.composites import (
    composite_create,
    composite_ranking,
    composite_weights_set,
    composites_for,
)
from taizhang.statistics.indicators import Standing, composite_rank, indicator_scores, rank
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_manual_indicator

YEAR = Period.year(2026)


def _org(pk: int) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, path=f"{pk:04d}")


def _ranked(rows, direction="higher", min_cases=1):
    standings = [
        Standing(org=_org(pk), target=target, actual=actual, cases=cases)
        for pk, target, actual, cases in rows
    ]
    return rank(standings, direction=direction, min_cases=min_cases)


# --- the rule (pure) ---------------------------------------------------------------------


def test_on_targets_the_score_is_the_completion_rate_at_most_100():
    standings = _ranked(
        [
            (1, Decimal(10), Decimal(8), 1),
            (2, Decimal(10), Decimal(12), 1),
            (3, None, Decimal(9), 1),
        ]
    )
    assert indicator_scores(standings, direction="higher") == {
        1: Decimal("80.0"),
        2: Decimal(100),
        3: Decimal(0),  # no target: not ranked on completion, scores nothing
    }


def test_without_targets_the_value_is_set_against_the_best_unit():
    higher = _ranked([(1, None, Decimal(50), 1), (2, None, Decimal(25), 1), (3, None, None, 0)])
    assert indicator_scores(higher, direction="higher") == {
        1: Decimal(100),
        2: Decimal(50),
        3: Decimal(0),
    }
    lower = _ranked([(1, None, Decimal(2), 1), (2, None, Decimal(4), 1)], direction="lower")
    assert indicator_scores(lower, direction="lower") == {1: Decimal(100), 2: Decimal(50)}
    zero = _ranked([(1, None, Decimal(0), 1), (2, None, Decimal(5), 1)], direction="lower")
    assert indicator_scores(zero, direction="lower") == {1: Decimal(100), 2: Decimal(0)}


def test_too_few_cases_score_nothing_on_that_indicator():
    standings = _ranked([(1, None, Decimal(90), 1), (2, None, Decimal(45), 5)], min_cases=3)
    assert indicator_scores(standings, direction="higher") == {1: Decimal(0), 2: Decimal(100)}


def test_the_composite_is_the_weighted_sum_and_ties_share_a_rank():
    on_target = _ranked([(1, Decimal(10), Decimal(8), 1), (2, Decimal(10), Decimal(12), 1)])
    on_value = _ranked([(1, None, Decimal(50), 1), (2, None, Decimal(25), 1)])
    rows = composite_rank(
        [(1, Decimal(60), "higher", on_target), (2, Decimal(40), "higher", on_value)]
    )
    assert [(r.org.pk, r.score, r.rank) for r in rows] == [
        (1, Decimal("88.00"), 1),  # 60% × 80 + 40% × 100
        (2, Decimal("80.00"), 2),  # 60% × 100 + 40% × 50
    ]
    assert [p.points for p in rows[0].parts] == [Decimal("48.00"), Decimal("40.00")]
    tied = composite_rank(
        [
            (
                1,
                Decimal(50),
                "higher",
                _ranked([(1, None, Decimal(4), 1), (2, None, Decimal(2), 1)]),
            ),
            (
                2,
                Decimal(50),
                "higher",
                _ranked([(1, None, Decimal(1), 1), (2, None, Decimal(2), 1)]),
            ),
        ]
    )
    assert [(r.org.pk, r.score, r.rank) for r in tied] == [
        (1, Decimal("75.00"), 1),
        (2, Decimal("75.00"), 1),
    ]


def test_a_unit_ranked_on_no_member_is_listed_last_without_a_rank():
    first = _ranked([(1, None, Decimal(4), 1), (2, None, None, 0), (3, None, Decimal(1), 1)])
    second = _ranked([(1, None, Decimal(1), 1), (2, None, None, 0), (3, None, None, 0)])
    rows = composite_rank([(1, Decimal(50), "higher", first), (2, Decimal(50), "higher", second)])
    assert [(r.org.pk, r.score, r.rank) for r in rows] == [
        (1, Decimal("100.00"), 1),
        (3, Decimal("12.50"), 2),  # ranked on one member: 0 on the other
        (2, Decimal("0.00"), None),
    ]
    assert len(rows[1].missing) == 1


# --- services, scope and audit -------------------------------------------------------------


@pytest.fixture
def setup(tree, personas):
    """Two district indicators with targets/values for both subdistricts, and a composite."""
    completion = make_manual_indicator(SYSTEM, tree.district, name="党员志愿服务覆盖率")
    volume = make_manual_indicator(SYSTEM, tree.district, name="为民办实事件数", unit="件")
    for org, target, done, count in [
        (tree.street_a, 10, 8, 50),
        (tree.street_b, 10, 12, 25),
    ]:
        services.target_set(
            acting_user=SYSTEM, indicator=completion, org=org, period=YEAR, target=Decimal(target)
        )
        for indicator, value in [(completion, done), (volume, count)]:
            services.actual_enter(
                acting_user=SYSTEM,
                indicator=indicator,
                org=org,
                period=YEAR,
                value=Decimal(value),
                cases=1,
                evidence="台账",
            )
    composite = composite_create(
        acting_user=personas.district, owner=tree.district, name="争先晋位综合考评", year=2026
    )
    return SimpleNamespace(composite=composite, completion=completion, volume=volume)


@pytest.mark.django_db
def test_the_owner_sets_the_weights_and_the_units_are_ranked(tree, personas, setup):
    composite_weights_set(
        acting_user=personas.district,
        composite=setup.composite,
        weights={setup.completion: Decimal(60), setup.volume: Decimal(40)},
    )
    members, rows = composite_ranking(personas.district, setup.composite, tree.district)
    assert [m.indicator for m in members] == [setup.completion, setup.volume]
    scores = {r.org: (r.score, r.rank) for r in rows}
    assert scores[tree.street_a] == (Decimal("88.00"), 1)
    assert scores[tree.street_b] == (Decimal("80.00"), 2)
    created = AuditEvent.objects.get(action="statistics.composite_create")
    assert created.object_id == str(setup.composite.pk)
    weights = AuditEvent.objects.get(action="statistics.composite_weights_set")
    assert weights.changes["weights"] == [
        None,
        {"党员志愿服务覆盖率": "60", "为民办实事件数": "40"},
    ]


@pytest.mark.django_db
def test_weights_sum_to_100_over_two_indicators_at_least(tree, personas, setup):
    def weigh(weights):
        composite_weights_set(
            acting_user=personas.district, composite=setup.composite, weights=weights
        )

    with pytest.raises(ValidationError, match="100"):
        weigh({setup.completion: Decimal(60), setup.volume: Decimal(30)})
    with pytest.raises(ValidationError):
        weigh({setup.completion: Decimal(100)})
    with pytest.raises(ValidationError):
        weigh({setup.completion: Decimal("60.005"), setup.volume: Decimal("39.995")})
    below = make_manual_indicator(SYSTEM, tree.street_a, name="街道自设指标")
    with pytest.raises(ValidationError, match="街道自设指标"):
        weigh({setup.completion: Decimal(50), below: Decimal(50)})
    assert not setup.composite.members.exists()
    assert not AuditEvent.objects.filter(action="statistics.composite_weights_set").exists()


@pytest.mark.django_db
def test_a_ranked_unit_reads_the_composite_but_cannot_weigh_it(tree, personas, setup):
    assert setup.composite in composites_for(personas.street_a)
    with pytest.raises(PermissionDenied):
        composite_weights_set(
            acting_user=personas.street_a,
            composite=setup.composite,
            weights={setup.completion: Decimal(10), setup.volume: Decimal(90)},
        )
    with pytest.raises(PermissionDenied):
        composite_create(acting_user=personas.street_b, owner=tree.street_a, name="考评", year=2026)
    own = composite_create(
        acting_user=personas.street_a, owner=tree.street_a, name="考评", year=2026
    )
    assert own not in composites_for(personas.street_b)  # a sibling subdistrict's
    with pytest.raises(ValidationError):
        composite_create(acting_user=personas.street_a, owner=tree.street_a, name="考评", year=2026)


@pytest.mark.django_db
def test_a_stale_weights_form_is_refused(tree, personas, setup):
    seen = version_of(setup.composite)
    composite_weights_set(
        acting_user=personas.district,
        composite=setup.composite,
        weights={setup.completion: Decimal(50), setup.volume: Decimal(50)},
        version=seen,
    )
    with pytest.raises(ValidationError):
        composite_weights_set(
            acting_user=personas.district,
            composite=setup.composite,
            weights={setup.completion: Decimal(70), setup.volume: Decimal(30)},
            version=seen,
        )


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pages_rank_weigh_and_keep_to_scope(client, tree, personas, setup):
    url = reverse("statistics:composite_detail", args=[setup.composite.pk])
    client.force_login(personas.district)
    page = client.get(url)
    assert page.status_code == 200 and 'id="weights"' in page.content.decode()
    response = client.post(
        url,
        {
            "version": version_of(setup.composite),
            f"w{setup.completion.pk}": "60",
            f"w{setup.volume.pk}": "40",
        },
    )
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert 'id="composite-ranking"' in body and "88.00" in body and "80.00" in body
    bad = client.post(url, {f"w{setup.completion.pk}": "60", f"w{setup.volume.pk}": "30"})
    assert bad.status_code == 422
    listing = client.get(reverse("statistics:composites")).content.decode()
    assert "争先晋位综合考评" in listing
    client.force_login(personas.street_a)
    seen = client.get(url).content.decode()
    # The subdistrict reads the composite for its own units, and cannot weigh it.
    assert 'id="composite-ranking"' in seen and tree.community_a.short_name in seen
    table = seen[seen.index('id="composite-ranking"') :]
    assert "88.00" not in table and f">{tree.street_b.short_name}<" not in table
    assert 'id="weights"' not in seen
    assert client.post(url, {f"w{setup.completion.pk}": "10"}).status_code == 404
    own = composite_create(acting_user=SYSTEM, owner=tree.street_a, name="街道考评", year=2026)
    client.force_login(personas.street_b)
    assert client.get(reverse("statistics:composite_detail", args=[own.pk])).status_code == 404


@pytest.mark.django_db
def test_the_api_reads_the_composite_and_its_ranking(client, tree, personas, setup):
    from tests.support import bearer

    composite_weights_set(
        acting_user=SYSTEM,
        composite=setup.composite,
        weights={setup.completion: Decimal(60), setup.volume: Decimal(40)},
    )
    headers = bearer(client, personas.district)
    listed = client.get("/api/v1/statistics/composites", **headers).json()
    assert [(c["name"], [m["weight"] for m in c["members"]]) for c in listed] == [
        ("争先晋位综合考评", ["60.00", "40.00"])
    ]
    url = f"/api/v1/statistics/composites/{setup.composite.pk}/ranking"
    rows = {r["org_id"]: r for r in client.get(url, **headers).json()}
    assert (rows[tree.street_a.pk]["score"], rows[tree.street_a.pk]["rank"]) == ("88.00", 1)
    assert [p["points"] for p in rows[tree.street_b.pk]["parts"]] == ["60.00", "20.00"]
    own = composite_create(acting_user=SYSTEM, owner=tree.street_a, name="街道考评", year=2026)
    other = bearer(client, personas.street_b)
    response = client.get(f"/api/v1/statistics/composites/{own.pk}/ranking", **other)
    assert response.status_code == 404
