"""Subsidy policies kept by the system administrator: page and API allowed to him, 403
for clerks, audited; a deactivated policy takes no new payment (form, service, API) but
stays on the payments made under it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.investment.forms import SubsidyForm
from taizhang.investment.models import SubsidyPolicy
from taizhang.investment.services import subsidy_create, subsidy_policy_set_active
from taizhang.investment.tests.factories import days_ago, subsidy_policy
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_page_is_the_system_administrators(client, sysadmin, personas):
    """The system administrator opens the list and a policy; a clerk gets 403."""
    policy = subsidy_policy("稳岗补贴")
    urls = [reverse("investment:policies"), reverse("investment:policy_edit", args=[policy.pk])]
    login(client, sysadmin)
    assert [client.get(u).status_code for u in urls] == [200, 200]
    client.logout()
    login(client, personas.district)
    assert [client.get(u).status_code for u in urls] == [403, 403]
    assert client.post(reverse("investment:policy_active", args=[policy.pk])).status_code == 403


def test_add_edit_deactivate(client, sysadmin):
    """Each write through the page is one audit event."""
    login(client, sysadmin)
    r = client.post(
        reverse("investment:policies"),
        {"name": "技改补助", "issued_by": "区工信局", "sort_order": 10},
    )
    assert r.status_code == 302
    policy = SubsidyPolicy.objects.get(name="技改补助")
    r = client.post(
        reverse("investment:policy_edit", args=[policy.pk]),
        {"name": "工业企业技术改造补助", "issued_by": "区工信局", "sort_order": 10},
    )
    assert r.status_code == 302
    client.post(reverse("investment:policy_active", args=[policy.pk]))
    policy.refresh_from_db()
    assert policy.name == "工业企业技术改造补助" and not policy.is_active
    assert actions()[-3:] == [
        "subsidy_policy.create",
        "subsidy_policy.update",
        "subsidy_policy.deactivate",
    ]


def test_deactivated_policy_not_offered_but_kept(tree, personas):
    """A deactivated policy leaves the payment form and is refused by the service; the
    payments made under it keep it."""
    policy = subsidy_policy("人才安居补贴")
    paid = subsidy_create(
        org=tree.street_a,
        policy=policy,
        enterprise="甲公司",
        amount=50_000,
        paid_on=days_ago(2),
        acting_user=SYSTEM,
    )
    subsidy_policy_set_active(policy=policy, active=False, acting_user=SYSTEM)
    paid.refresh_from_db()
    assert paid.policy == policy
    assert policy not in SubsidyForm(viewer=personas.street_a).fields["policy"].queryset
    with pytest.raises(ValidationError) as err:
        subsidy_create(
            org=tree.street_a,
            policy=policy,
            enterprise="乙公司",
            amount=50_000,
            paid_on=days_ago(1),
            acting_user=SYSTEM,
        )
    assert "policy" in err.value.message_dict


def test_policies_api(client, tree, sysadmin, personas):
    """Create, patch, deactivate; payments by name refuse a deactivated policy; a clerk
    reads the active list but cannot change it."""
    headers = bearer(client, sysadmin)
    made = client.post(
        "/api/v1/investment/subsidy-policies",
        data={"name": "稳岗补贴"},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    patched = client.patch(
        f"/api/v1/investment/subsidy-policies/{pk}",
        data={"issued_by": "区人社局"},
        content_type="application/json",
        **headers,
    )
    assert patched.json()["issued_by"] == "区人社局"
    clerk = bearer(client, personas.street_a)
    payment = {
        "org_id": tree.street_a.pk,
        "policy": "稳岗补贴",
        "enterprise": "甲公司",
        "amount": 1000,
        "paid_on": days_ago(1).isoformat(),
    }
    paid = client.post(
        "/api/v1/investment/subsidies", data=payment, content_type="application/json", **clerk
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["policy"] == "稳岗补贴"
    off = client.post(f"/api/v1/investment/subsidy-policies/{pk}/deactivate", **headers)
    assert off.json()["is_active"] is False
    refused = client.post(
        "/api/v1/investment/subsidies", data=payment, content_type="application/json", **clerk
    )
    assert refused.status_code == 422
    assert client.get("/api/v1/investment/subsidy-policies", **clerk).json() == []
    assert len(client.get("/api/v1/investment/subsidy-policies/all", **headers).json()) == 1
    assert (
        client.post(f"/api/v1/investment/subsidy-policies/{pk}/reactivate", **clerk).status_code
        == 403
    )
