"""Which accounts a security administrator manages (``permissions.account_q``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from taizhang.accounts.models import User
from taizhang.accounts.permissions import accounts_managed
from taizhang.accounts.services import (
    user_create,
    user_set_active,
)
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec_district(tree):
    return make_user("sec_d", ("security_admin", "subtree", tree.district))


@pytest.fixture
def sec_a(tree):
    return make_user("sec_a", ("security_admin", "subtree", tree.street_a))


def _latest() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


# --- whose accounts ------------------------------------------------------------------


def test_which_accounts_a_subdistrict_security_admin_manages(tree, personas, sec_a):
    """Hers: accounts whose grants lie in A, whose person is kept in A, or that she
    created. Not hers: B's, the district's, accounts with a grant in A and one in B,
    accounts nobody anchors in A, and her own."""
    in_a_person = user_create(
        username="person_a",
        password=PASSWORD,
        person=make_person(tree.community_a, "李四"),
        acting_user=SYSTEM,
    )
    mixed = make_user("mixed", ("clerk", "org", tree.community_a), ("clerk", "org", tree.street_b))
    created = user_create(username="hers", password="Initial-Pass-2026", acting_user=sec_a)
    person_b = user_create(
        username="person_b",
        password=PASSWORD,
        person=make_person(tree.community_b, "赵六"),
        acting_user=SYSTEM,
    )
    seen = set(accounts_managed(sec_a).values_list("username", flat=True))
    assert seen == {"street_a", "person_a", "hers"}
    assert {
        mixed.username,
        person_b.username,
        "street_b",
        "district",
        "nobody",
        "sec_a",
    }.isdisjoint(seen)
    assert in_a_person.username in seen and created.username in seen


def test_a_district_security_admin_manages_every_account_but_her_own(tree, personas, sec_district):
    seen = set(accounts_managed(sec_district).values_list("username", flat=True))
    assert seen == set(User.objects.exclude(pk=sec_district.pk).values_list("username", flat=True))


def test_clerks_and_other_administrators_manage_no_account(tree, personas):
    system = make_user("sys", ("system_admin", "subtree", tree.district))
    for actor in (personas.district, personas.auditor, system):
        assert not accounts_managed(actor).exists()
        with pytest.raises(PermissionDenied):
            user_set_active(user=personas.street_a, active=False, acting_user=actor)
