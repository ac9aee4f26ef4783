"""Who may set a target, enter an actual or write an indicator, through the services,
the pages and the API: each allowed case and each refused one.

A target is the decision of the organization that set the indicator: a ranked unit
must never set its own (issue 19: a subdistrict turned the district's target of 143
into 1 and ranked first at 13,200 %). A manual actual is the ranked unit's own figure.
Grid workers get nothing in statistics.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.statistics import permissions, selectors, services
from taizhang.statistics.models import IndicatorEntry, IndicatorTarget
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_indicator, make_manual_indicator
from tests.support import bearer, make_user

YEAR = Period.year(2026)


@pytest.fixture
def district_indicator(tree, personas):
    indicator = make_manual_indicator(personas.district, tree.district)
    services.target_set(
        acting_user=personas.district,
        indicator=indicator,
        org=tree.street_a,
        period=YEAR,
        target=Decimal(143),
    )
    return indicator


@pytest.fixture
def grid_worker(tree):
    return make_user("grid", ("grid_worker", ScopeKind.SUBTREE, tree.street_a))


@pytest.fixture
def owner_clerk(tree):
    """A clerk of the district organization itself (no subtree)."""
    return make_user("owner_only", ("clerk", ScopeKind.ORG, tree.district))


def _target(indicator, org):
    return IndicatorTarget.objects.get(indicator=indicator, org=org, period_start=YEAR.start)


def _set(user, indicator, org, value):
    return services.target_set(
        acting_user=user, indicator=indicator, org=org, period=YEAR, target=Decimal(value)
    )


def _enter(user, indicator, org, value=90):
    return services.actual_enter(
        acting_user=user,
        indicator=indicator,
        org=org,
        period=YEAR,
        value=Decimal(value),
        cases=10,
        evidence="登记表",
    )


# --- targets ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_ranked_unit_cannot_set_its_own_target(tree, personas, district_indicator):
    """The issue 19 exploit, through the service: refused, nothing changes or is audited."""
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        _set(personas.street_a, district_indicator, tree.street_a, 1)
    with pytest.raises(PermissionDenied):  # nor one of its own children's
        _set(personas.street_a, district_indicator, tree.community_a, 1)
    assert _target(district_indicator, tree.street_a).target == 143
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_ranked_unit_cannot_set_its_own_target_on_the_page_or_the_api(
    client, tree, personas, district_indicator
):
    client.force_login(personas.street_a)
    url = f"/statistics/indicators/{district_indicator.pk}/"
    page = client.get(url, {"period": "2026", "org": tree.district.pk})
    assert page.status_code == 404  # the district is outside her statistics scope
    own = client.get(url, {"period": "2026"})
    assert all(row["can_target"] is False for row in own.context["rows"])
    posted = client.post(
        url,
        {"action": "target", "unit": tree.community_a.pk, "org": tree.street_a.pk,
         "period": "2026", "target": "1"},
    )  # fmt: skip
    assert posted.status_code == 302
    assert not IndicatorTarget.objects.filter(org=tree.community_a).exists()
    response = client.post(
        f"/api/v1/statistics/indicators/{district_indicator.pk}/targets",
        {"org_id": tree.street_a.pk, "period": "2026", "target": "1"},
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 403
    assert _target(district_indicator, tree.street_a).target == 143


@pytest.mark.django_db
def test_the_owner_sets_targets_for_the_units_below(
    client, tree, personas, district_indicator, owner_clerk
):
    """Allowed: a manager of the owner (subtree or the owner alone), the system actor;
    and through the API for the district clerk."""
    _set(personas.district, district_indicator, tree.street_a, 150)
    assert _target(district_indicator, tree.street_a).target == 150
    _set(owner_clerk, district_indicator, tree.street_b, 120)
    assert _target(district_indicator, tree.street_b).target == 120
    _set(SYSTEM, district_indicator, tree.community_a, 10)
    assert _target(district_indicator, tree.community_a).set_by is None
    response = client.post(
        f"/api/v1/statistics/indicators/{district_indicator.pk}/targets",
        {"org_id": tree.street_a.pk, "period": "2026", "target": "143"},
        content_type="application/json",
        **bearer(client, personas.district),
    )
    assert response.status_code == 200
    assert _target(district_indicator, tree.street_a).target == 143


@pytest.mark.django_db
def test_a_subdistrict_sets_targets_on_its_own_indicator(tree, personas):
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    _set(personas.street_a, own, tree.community_a, 7)
    assert _target(own, tree.community_a).target == 7
    with pytest.raises(PermissionDenied):  # the neighbour
        _set(personas.street_b, own, tree.community_a, 1)


@pytest.mark.django_db
def test_the_page_offers_the_target_form_to_the_owner_only(
    client, tree, personas, district_indicator
):
    client.force_login(personas.district)
    page = client.get(f"/statistics/indicators/{district_indicator.pk}/", {"period": "2026"})
    assert page.context["can_manage"] is True
    assert all(row["can_target"] for row in page.context["rows"])
    assert 'name="target"' in page.content.decode()


# --- actuals ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ranked_unit_enters_its_own_actual(client, tree, personas, district_indicator):
    entry = _enter(personas.street_a, district_indicator, tree.street_a)
    assert entry.entered_by == personas.street_a
    _enter(personas.street_a, district_indicator, tree.community_a, 30)  # below her: allowed
    _enter(personas.district, district_indicator, tree.street_b, 70)  # the owner: allowed
    client.force_login(personas.street_a)
    page = client.get(f"/statistics/indicators/{district_indicator.pk}/", {"period": "2026"})
    assert [row["can_enter"] for row in page.context["rows"]] == [True]
    assert [row["can_target"] for row in page.context["rows"]] == [False]


@pytest.mark.django_db
def test_a_neighbour_cannot_enter_an_actual(client, tree, personas, district_indicator):
    with pytest.raises(PermissionDenied):
        _enter(personas.street_b, district_indicator, tree.street_a)
    assert not IndicatorEntry.objects.exists()


# --- grid workers -----------------------------------------------------------------------


@pytest.mark.django_db
def test_grid_workers_get_nothing_in_statistics(
    client, tree, personas, district_indicator, grid_worker
):
    with pytest.raises(PermissionDenied):
        _set(grid_worker, district_indicator, tree.community_a, 1)
    with pytest.raises(PermissionDenied):
        _enter(grid_worker, district_indicator, tree.community_a)
    with pytest.raises(PermissionDenied):
        make_indicator(grid_worker, tree.community_a)
    with pytest.raises(PermissionDenied):
        services.briefing_generate(acting_user=grid_worker, org=tree.community_a, period=YEAR)
    assert list(selectors.indicators_for(grid_worker)) == []
    client.force_login(grid_worker)
    for url in ("/statistics/", "/statistics/indicators/",
                f"/statistics/indicators/{district_indicator.pk}/"):  # fmt: skip
        assert client.get(url).status_code == 403
    response = client.post(
        f"/api/v1/statistics/indicators/{district_indicator.pk}/targets",
        {"org_id": tree.community_a.pk, "period": "2026", "target": "1"},
        content_type="application/json",
        **bearer(client, grid_worker),
    )
    assert response.status_code == 403
    assert _target(district_indicator, tree.street_a).target == 143


# --- the policies -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_target_policy_reads_on_the_unit_and_manages_from_the_owner(
    tree, personas, district_indicator
):
    target = _target(district_indicator, tree.street_a)
    policy = permissions.INDICATOR_TARGET
    assert policy.covers(personas.street_a, target)  # she sees her target
    assert not policy.covers(personas.street_b, target)
    assert not policy.can_manage(personas.street_a, target)  # but does not manage it
    assert policy.can_manage(personas.district, target)
    assert not policy.queryset(personas.street_a, permissions.MANAGE).exists()
    assert policy.queryset(personas.district, permissions.MANAGE).get() == target
    assert permissions.can(personas.street_a, "view", target)
    assert not permissions.can(personas.street_a, "manage", target)
    assert not permissions.can(personas.street_a, "set_target", district_indicator)
    assert permissions.can(personas.district, "set_target", district_indicator)


@pytest.mark.django_db
def test_an_indicator_set_above_is_read_but_never_managed_below(tree, personas, district_indicator):
    policy = permissions.INDICATOR
    assert policy.covers(personas.street_a, district_indicator)
    assert not policy.can_manage(personas.street_a, district_indicator)
    assert not policy.queryset(personas.street_a, permissions.MANAGE).exists()
    with pytest.raises(PermissionDenied):
        policy.require(personas.street_a, district_indicator)
    assert permissions.SET_ABOVE.description in policy.explain(
        personas.street_a, district_indicator
    )
    assert permissions.can(personas.street_a, "view", district_indicator)
    assert not permissions.can(personas.street_a, "manage", district_indicator)
    assert not permissions.can(personas.street_a, "view", object())
