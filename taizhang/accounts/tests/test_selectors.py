"""Who at a unit hears of something: the unit's own staff for a function."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.selectors import roles_carrying, users_at, users_of_person
from taizhang.accounts.services import user_set_active
from taizhang.core.actors import SYSTEM
from taizhang.people.services import person_create
from tests.support import make_user

pytestmark = pytest.mark.django_db


def test_users_at_are_the_units_own_staff_not_everyone_above(tree, personas):
    """A street's clerk is at the street; the district clerk (subtree grant above) is not."""
    at_a = list(users_at(tree.street_a, "problems.view"))
    assert at_a == [personas.street_a]
    assert list(users_at(tree.district, "problems.view")) == [personas.district, personas.personnel]
    assert list(users_at(tree.community_a, "problems.view")) == []


def test_users_at_need_the_function(tree, personas):
    """The auditor's grant on the district carries no ledger function."""
    assert "audit_admin" not in roles_carrying("problems.view")
    assert personas.auditor not in users_at(tree.district, "problems.view")
    assert list(users_at(tree.district, "no.such.function")) == []


def test_listed_grants_and_inactive_accounts(tree, personas):
    """A listed grant naming the unit counts; a deactivated account does not."""
    from taizhang.accounts.models import Grant

    listed = make_user("listed")
    grant = Grant.objects.create(user=listed, role="clerk", scope_kind=ScopeKind.LISTED)
    grant.listed_organizations.add(tree.community_b)
    assert list(users_at(tree.community_b, "problems.view")) == [listed]
    user_set_active(user=listed, active=False, acting_user=SYSTEM)
    assert list(users_at(tree.community_b, "problems.view")) == []


def test_users_of_person(tree):
    """A person's own account, and nothing for a person without one."""
    person = person_create(name="张伟", gender="M", organization=tree.street_a, acting_user=SYSTEM)
    assert list(users_of_person(person)) == []
    user = make_user("zhangwei")
    user.person = person
    user.save(update_fields=["person"])
    assert list(users_of_person(person)) == [user]
    assert list(users_of_person(None)) == []
