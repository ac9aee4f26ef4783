"""The system administrator's demand dictionaries: categories with time limits and
routing, delegated services. Allowed to the system administrator, 403 for clerks,
audited, deactivated categories kept on old demands but no longer offered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.demands import services
from taizhang.demands.forms import DelegatedServiceForm, DemandForm
from taizhang.demands.models import DelegatedService, DemandCategory, RoutingRule
from taizhang.demands.tests.factories import make_category, make_demand
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))


@pytest.fixture
def category(tree):
    return make_category(tree.district, code="property", name="物业管理")


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("demands:dictionaries", []),
        ("demands:categories", []),
        ("demands:delegated_create", []),
    ],
)
def test_configuration_pages_are_the_system_administrators(
    client, sysadmin, personas, url_name, args
):
    """The system administrator opens every dictionary page; a clerk gets 403."""
    assert login(client, sysadmin).get(reverse(url_name, args=args)).status_code == 200
    client.logout()
    assert login(client, personas.district).get(reverse(url_name, args=args)).status_code == 403


def test_the_delegated_list_opens_for_the_system_administrator_and_clerks(
    client, tree, sysadmin, personas
):
    """Issue 12: the system administrator got 403 on the delegated-services page; now he
    sees it with edit links, and a clerk still reads it without them."""
    services.delegated_service_create(
        org=tree.street_a, name="居住证办理", delegated_on=dt.date(2026, 3, 1), acting_user=SYSTEM
    )
    page = login(client, sysadmin).get(reverse("demands:delegated"))
    assert page.status_code == 200
    assert "居住证办理" in page.content.decode()
    assert reverse("demands:delegated_create") in page.content.decode()
    client.logout()
    page = login(client, personas.street_a).get(reverse("demands:delegated"))
    assert page.status_code == 200
    assert reverse("demands:delegated_create") not in page.content.decode()
    client.logout()
    assert login(client, personas.nobody).get(reverse("demands:delegated")).status_code == 403


def test_category_create_edit_and_deactivate(client, tree, sysadmin):
    """Create, edit and deactivate a category through the pages; each is one audit event."""
    login(client, sysadmin)
    response = client.post(
        reverse("demands:categories"),
        {
            "code": "noise",
            "name": "噪声扰民",
            "default_org": tree.street_a.pk,
            "time_limit_days": 3,
            "sort_order": 5,
        },
    )
    assert response.status_code == 302
    category = DemandCategory.objects.get(code="noise")
    response = client.post(
        reverse("demands:category_edit", args=[category.pk]),
        {
            "name": "噪声扰民",
            "default_org": tree.street_a.pk,
            "time_limit_days": 7,
            "sort_order": 5,
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.time_limit_days == 7
    update = AuditEvent.objects.get(action="demand_category.update")
    assert update.changes == {"time_limit_days": [3, 7]}
    client.post(reverse("demands:category_active", args=[category.pk]))
    category.refresh_from_db()
    assert not category.is_active
    client.post(reverse("demands:category_active", args=[category.pk]))
    category.refresh_from_db()
    assert category.is_active
    assert actions()[-4:] == [
        "demand_category.create",
        "demand_category.update",
        "demand_category.deactivate",
        "demand_category.reactivate",
    ]


def test_a_clerk_cannot_post_to_the_dictionaries(client, tree, personas, category):
    """POSTs by a clerk are refused before any write (the refusals themselves are
    recorded as access.denied)."""
    login(client, personas.district)
    before = AuditEvent.objects.exclude(action="access.denied").count()
    assert client.post(reverse("demands:category_active", args=[category.pk])).status_code == 403
    assert (
        client.post(
            reverse("demands:categories"),
            {"code": "x", "name": "x", "default_org": tree.district.pk, "time_limit_days": 3},
        ).status_code
        == 403
    )
    assert AuditEvent.objects.exclude(action="access.denied").count() == before
    assert AuditEvent.objects.filter(action="access.denied", actor=personas.district).count() == 2
    category.refresh_from_db()
    assert category.is_active


def test_deactivated_category_not_offered_but_kept_on_old_demands(tree, personas, category):
    """A deactivated category leaves the intake and delegated forms; demands filed under
    it, and a delegated service pointing to it, keep it."""
    demand = make_demand(tree.community_a, category)
    service = services.delegated_service_create(
        org=tree.street_a,
        name="物业纠纷调解",
        category=category,
        delegated_on=dt.date(2026, 3, 1),
        acting_user=SYSTEM,
    )
    services.demand_category_deactivate(category=category, acting_user=SYSTEM)
    demand.refresh_from_db()
    assert demand.category == category
    intake = DemandForm(viewer=personas.district)
    assert category not in intake.fields["category"].queryset
    assert category not in DelegatedServiceForm(viewer=SYSTEM).fields["category"].queryset
    kept = DelegatedServiceForm(viewer=SYSTEM, service=service)
    assert category in kept.fields["category"].queryset


def test_routing_rules_added_and_removed_on_the_category_page(client, tree, sysadmin, category):
    """A rule sends an area's demands elsewhere; removing it is audited too."""
    login(client, sysadmin)
    response = client.post(
        reverse("demands:rule_create", args=[category.pk]),
        {"rule-area": tree.street_a.pk, "rule-handling_org": tree.street_a.pk},
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert services.route(category, tree.community_a) == tree.street_a
    assert client.post(reverse("demands:rule_delete", args=[rule.pk])).status_code == 302
    assert not RoutingRule.objects.exists()
    assert services.route(category, tree.community_a) == tree.district
    assert actions()[-2:] == ["routing_rule.set", "routing_rule.delete"]


def test_delegated_service_create_edit_delete(client, tree, sysadmin, category):
    """The delegated list is kept on its page: add, correct, remove, each audited."""
    login(client, sysadmin)
    response = client.post(
        reverse("demands:delegated_create"),
        {"org": tree.street_a.pk, "name": "老年优待证", "delegated_on": "2026-03-01"},
    )
    assert response.status_code == 302
    service = DelegatedService.objects.get()
    response = client.post(
        reverse("demands:delegated_edit", args=[service.pk]),
        {
            "org": tree.street_a.pk,
            "name": "老年人优待证",
            "category": category.pk,
            "delegated_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.name == "老年人优待证" and service.category == category
    assert client.post(reverse("demands:delegated_delete", args=[service.pk])).status_code == 302
    assert not DelegatedService.objects.exists()
    assert actions()[-3:] == [
        "delegated_service.create",
        "delegated_service.update",
        "delegated_service.delete",
    ]


def test_delegated_service_only_on_a_subdistrict(client, tree, sysadmin):
    """The form offers subdistricts (working committees), not communities."""
    form = DelegatedServiceForm(viewer=sysadmin)
    offered = set(form.fields["org"].queryset)
    assert tree.street_a in offered and tree.community_a not in offered


def test_dictionaries_api(client, tree, sysadmin, personas, category):
    """The API mirrors the pages: list, create, patch, deactivate; rules and delegated
    services; a clerk gets 403 and an unknown organization a 422."""
    headers = bearer(client, sysadmin)
    base = "/api/v1/demands/dictionaries"
    listed = client.get(f"{base}/categories", **headers)
    assert listed.status_code == 200 and listed.json()[0]["code"] == "property"
    created = client.post(
        f"{base}/categories",
        data={
            "code": "noise",
            "name": "噪声",
            "default_org_id": tree.street_a.pk,
            "time_limit_days": 3,
        },
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    patched = client.patch(
        f"{base}/categories/{pk}",
        data={"time_limit_days": 4},
        content_type="application/json",
        **headers,
    )
    assert patched.json()["time_limit_days"] == 4
    assert client.post(f"{base}/categories/{pk}/deactivate", **headers).json()["is_active"] is False
    rule = client.put(
        f"{base}/categories/{pk}/rules",
        data={"area_id": tree.street_b.pk, "handling_org_id": tree.street_b.pk},
        content_type="application/json",
        **headers,
    )
    assert rule.status_code == 200, rule.content
    assert client.delete(f"{base}/rules/{rule.json()['id']}", **headers).status_code == 204
    bad = client.post(
        f"{base}/delegated-services",
        data={"org_id": 999999, "name": "x", "delegated_on": "2026-03-01"},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    made = client.post(
        f"{base}/delegated-services",
        data={"org_id": tree.street_a.pk, "name": "居住证", "delegated_on": "2026-03-01"},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201, made.content
    assert client.get(f"{base}/delegated-services", **headers).json()[0]["name"] == "居住证"
    refused = client.post(
        f"{base}/delegated-services",
        data={
            "org_id": tree.street_a.pk,
            "name": "y",
            "category_id": pk,
            "delegated_on": "2026-03-01",
        },
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422  # the category was deactivated above
    clerk = bearer(client, personas.district)
    assert client.get(f"{base}/categories", **clerk).status_code == 403
    assert {"demand_category.create", "demand_category.update", "routing_rule.delete"} <= set(
        actions()
    )


def test_the_hub_links_every_dictionary(client, sysadmin, personas):
    """字典管理: one nav entry for the system administrator, one page linking the
    demand, calendar, activity, problem and subsidy-policy dictionaries."""
    page = login(client, sysadmin).get(reverse("demands:dictionaries")).content.decode()
    for name in [
        "demands:categories",
        "demands:delegated",
        "core:calendar",
        "activities:dictionaries",
        "problems:kinds",
        "investment:policies",
    ]:
        assert reverse(name) in page
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("demands:dictionaries") in home
    client.logout()
    home = login(client, personas.district).get(reverse("core:home")).content.decode()
    assert reverse("demands:dictionaries") not in home
