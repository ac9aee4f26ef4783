"""The right to unmasked personal data needs a second administrator (issue 19: one
security administrator alone gave a subdistrict clerk the district's personal data).
The grant waits, inactive and shown as waiting; another administrator who manages that
part of the tree approves or refuses it; each step is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from taizhang.accounts.models import Grant, ScopeKind
from taizhang.accounts.services import grant_approve, grant_create
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from tests.support import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(tree):
    first = make_user("sec_one", ("security_admin", ScopeKind.SUBTREE, tree.district))
    second = make_user("sec_two", ("security_admin", ScopeKind.SUBTREE, tree.district))
    street = make_user("sec_a", ("security_admin", ScopeKind.SUBTREE, tree.street_a))
    return first, second, street


def _personal_data(tree, personas, by):
    return grant_create(
        user=personas.street_a,
        role="personnel",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.district,
        acting_user=by,
    )


def test_one_administrator_alone_gives_no_personal_data(tree, personas, admins):
    first, _second, _street = admins
    grant = _personal_data(tree, personas, first)
    assert (grant.is_active, grant.awaiting_approval) == (False, True)
    assert not personas.street_a.has_function("people.view_personal")
    event = AuditEvent.objects.filter(action="grant.create").latest("pk")
    assert event.changes["awaiting_approval"] == [None, True]
    # She cannot approve her own grant.
    with pytest.raises(ValidationError):
        grant_approve(grant=grant, approve=True, acting_user=first)
    assert not Grant.objects.get(pk=grant.pk).is_active


def test_a_second_administrator_approves_and_the_right_takes_effect(tree, personas, admins):
    first, second, _street = admins
    grant = _personal_data(tree, personas, first)
    approved = grant_approve(grant=grant, approve=True, acting_user=second)
    assert approved.is_active and not approved.awaiting_approval
    assert approved.approved_by == second
    personas.street_a.refresh_from_db()
    assert personas.street_a.has_function("people.view_personal")
    assert AuditEvent.objects.filter(action="grant.approve", actor=second).exists()
    with pytest.raises(ValidationError):  # approved once only
        grant_approve(grant=grant, approve=True, acting_user=second)


def test_a_refused_grant_stays_inactive_and_a_narrower_admin_cannot_decide(tree, personas, admins):
    from django.core.exceptions import PermissionDenied

    first, second, street = admins
    grant = _personal_data(tree, personas, first)
    with pytest.raises(PermissionDenied):  # street A's administrator: not the district's
        grant_approve(grant=grant, approve=True, acting_user=street)
    refused = grant_approve(grant=grant, approve=False, acting_user=second)
    assert (refused.is_active, refused.awaiting_approval, refused.approved_by) == (
        False,
        False,
        None,
    )
    assert AuditEvent.objects.filter(action="grant.refuse", actor=second).exists()


def test_ordinary_roles_and_the_setup_need_no_second_administrator(tree, personas, admins):
    first, _second, _street = admins
    clerk = grant_create(
        user=personas.street_b,
        role="viewer",
        scope_kind=ScopeKind.SUBTREE,
        organization=tree.street_b,
        acting_user=first,
    )
    assert clerk.is_active and not clerk.awaiting_approval
    setup = _personal_data(tree, personas, SYSTEM)
    assert setup.is_active and not setup.awaiting_approval


def test_the_page_shows_the_waiting_grant_and_the_second_admin_approves_it(
    client, tree, personas, admins
):
    first, second, _street = admins
    grant = _personal_data(tree, personas, first)
    url = reverse("accounts:user_detail", args=[personas.street_a.pk])
    approve = reverse("accounts:grant_approve", args=[personas.street_a.pk, grant.pk])
    client.force_login(first)
    page = client.get(url).content.decode()
    assert "待第二名管理员批准" in page and approve not in page
    client.force_login(second)
    page = client.get(url).content.decode()
    assert approve in page
    answer = client.post(approve, {"decision": "approve"})
    assert answer.status_code == 302
    assert Grant.objects.get(pk=grant.pk).is_active
