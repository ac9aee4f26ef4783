"""Indicators: targets, actuals from a metric or with evidence, and the ranking of units
with the minimum-case rule; scope and audit on every write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.activities.tests.factories import make_activity
from taizhang.core.models import AuditEvent
from taizhang.statistics import selectors, services
from taizhang.statistics.indicators import Standing, rank
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_indicator
from tests.support import PASSWORD, make_org

YEAR = Period.year(2026)


def _s(name, actual, cases, target=None):
    return Standing(org=name, target=target, actual=actual, cases=cases)


def test_rank_higher_is_better_with_ties_and_too_few_cases():
    rows = rank(
        [
            _s("a", Decimal(5), 9),
            _s("b", Decimal(8), 9),
            _s("c", Decimal(5), 9),
            _s("d", Decimal(99), 1),
        ],
        direction="higher",
        min_cases=3,
    )
    assert [(r.org, r.rank, r.ranked) for r in rows] == [
        ("b", 1, True),
        ("a", 2, True),
        ("c", 2, True),
        ("d", None, False),
    ]


def test_rank_on_completion_and_lower_is_better():
    by_completion = rank(
        [_s("a", Decimal(50), 5, Decimal(100)), _s("b", Decimal(30), 5, Decimal(40))],
        direction="higher",
        min_cases=1,
    )
    assert [r.org for r in by_completion] == ["b", "a"]  # 75% beats 50%
    lower = rank(
        [_s("a", Decimal(3), 5), _s("b", Decimal(1), 5), _s("c", None, 0)],
        direction="lower",
        min_cases=1,
    )
    assert [(r.org, r.rank, r.reason) for r in lower] == [
        ("b", 1, ""),
        ("a", 2, ""),
        ("c", None, "no_value"),
    ]


@pytest.fixture
def indicator(tree, personas):
    return make_indicator(personas.district, tree.district, min_cases=2)


@pytest.mark.django_db
def test_metric_indicator_ranks_children_from_the_records(tree, personas, indicator):
    street_c = make_org(tree.district, "C")
    for day in (3, 9, 15):
        make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 4, day))
    make_activity(tree.community_b, headcount=5, held_on=dt.date(2026, 4, 1))
    make_activity(tree.community_b, headcount=5, held_on=dt.date(2026, 5, 1))
    make_activity(street_c, headcount=5, held_on=dt.date(2026, 5, 1))  # one case only
    services.target_set(
        acting_user=personas.district,
        indicator=indicator,
        org=tree.street_b,
        period=YEAR,
        target=Decimal(2),
    )
    rows = selectors.ranking(personas.district, indicator, tree.district, YEAR)
    table = [(r.org.code, r.actual, r.cases, r.rank, r.reason) for r in rows]
    # B has a target, so units are ranked on completion; A has none and is not ranked.
    assert table == [
        ("B", 2, 2, 1, ""),
        ("A", 3, 3, None, "no_target"),
        ("C", 1, 1, None, "too_few_cases"),
    ]
    services.target_set(
        acting_user=personas.district,
        indicator=indicator,
        org=tree.street_a,
        period=YEAR,
        target=Decimal(6),
    )
    rows = selectors.ranking(personas.district, indicator, tree.district, YEAR)
    assert [(r.org.code, r.rank, r.completion) for r in rows][:2] == [
        ("B", 1, Decimal("100.0")),
        ("A", 2, Decimal("50.0")),
    ]
    assert rows[-1].ranked is False


@pytest.mark.django_db
def test_manual_actual_needs_evidence_and_is_audited(tree, personas):
    manual = make_indicator(
        personas.district,
        tree.district,
        name="志愿服务覆盖率",
        unit="%",
        source="manual",
        metric="anything",
    )
    assert manual.metric == ""
    with pytest.raises(ValidationError) as error:
        services.actual_enter(
            acting_user=personas.street_a,
            indicator=manual,
            org=tree.street_a,
            period=YEAR,
            value=Decimal(90),
            cases=10,
            evidence="  ",
        )
    assert "evidence" in error.value.message_dict
    services.actual_enter(
        acting_user=personas.street_a,
        indicator=manual,
        org=tree.street_a,
        period=YEAR,
        value=Decimal(90),
        cases=10,
        evidence="登记表",
    )
    rows = selectors.ranking(personas.district, manual, tree.district, YEAR)
    assert [(r.org.code, r.actual, r.rank) for r in rows] == [("A", 90, 1), ("B", None, None)]
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("pk"))
    assert actions.count("statistics.indicator_create") == 1
    assert actions.count("statistics.actual_enter") == 1


@pytest.mark.django_db
def test_scope_on_writes(tree, personas, indicator):
    with pytest.raises(PermissionDenied):
        services.target_set(
            acting_user=personas.street_b,
            indicator=indicator,
            org=tree.street_a,
            period=YEAR,
            target=Decimal(3),
        )
    with pytest.raises(PermissionDenied):
        make_indicator(personas.street_b, tree.district, name="x", source="manual", metric="")
    with pytest.raises(ValidationError):
        make_indicator(personas.district, tree.district, name="x", metric="no.such")


@pytest.mark.django_db
def test_pages(client, tree, personas, indicator):
    client.login(username="street_a", password=PASSWORD)
    listing = client.get("/statistics/indicators/")
    assert listing.status_code == 200 and "集中学习场次" in listing.content.decode()
    page = client.get(f"/statistics/indicators/{indicator.pk}/", {"period": "2026"})
    assert page.status_code == 200
    assert page.context["parent"] == tree.street_a  # the district is outside her scope
    # The district set this indicator: its targets are the district's to set.
    assert page.context["can_manage"] is False and 'name="target"' not in page.content.decode()
    target = {"action": "target", "unit": tree.community_a.pk, "org": tree.street_a.pk,
              "period": "2026", "target": "12"}  # fmt: skip
    refused = client.post(f"/statistics/indicators/{indicator.pk}/", target)
    assert refused.status_code == 302
    assert not indicator.targets.exists()
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    response = client.post(f"/statistics/indicators/{own.pk}/", target)
    assert response.status_code == 302
    assert own.targets.get(org=tree.community_a).target == 12
    other = client.post(
        f"/statistics/indicators/{indicator.pk}/",
        {**target, "unit": tree.community_b.pk, "org": tree.street_b.pk},
    )
    assert other.status_code == 404
    assert not indicator.targets.filter(org=tree.community_b).exists()


@pytest.mark.django_db
def test_api(client, tree, personas, indicator):
    from tests.support import bearer

    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 4, 3))
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 4, 4))
    headers = bearer(client, personas.district)
    listed = client.get("/api/v1/statistics/indicators", **headers).json()
    assert [i["name"] for i in listed] == ["集中学习场次"]
    ranking = client.get(
        f"/api/v1/statistics/indicators/{indicator.pk}/ranking", {"period": "2026"}, **headers
    ).json()
    assert [(r["org"], r["actual"], r["rank"]) for r in ranking][0] == ("A 组织", "2", 1)
    assert ranking[1]["not_ranked_because"] == "too_few_cases"
    outsider = bearer(client, personas.street_b)
    response = client.get(
        f"/api/v1/statistics/indicators/{indicator.pk}/ranking",
        {"org_id": tree.street_a.pk},
        **outsider,
    )
    assert response.status_code == 404
