"""The accounts module's to-do ``accounts.locked``: accounts locked after repeated
failed logins, for the security administrator who manages them, until unlocked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import ScopeKind, User
from taizhang.accounts.services import user_unlock
from taizhang.core.registry import TODOS
from taizhang.workbench.selectors import todo_groups
from tests.support import make_user

pytestmark = pytest.mark.django_db

KIND = "accounts.locked"


def _lock(user: User, minutes: int = 30) -> None:
    User.objects.filter(pk=user.pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=minutes), failed_logins=5
    )


def _titles(viewer):
    group = next((g for g in todo_groups(viewer=viewer) if g.kind.name == KIND), None)
    return [item.title for item in group.items] if group else None


def test_a_locked_account_waits_for_its_security_administrator(tree, personas):
    security = make_user("security", ("security_admin", ScopeKind.SUBTREE, tree.district))
    sec_b = make_user("sec_b", ("security_admin", ScopeKind.SUBTREE, tree.street_b))
    _lock(personas.street_a)
    assert _titles(security) == ["street_a（street_a）"]
    group = next(g for g in todo_groups(viewer=security) if g.kind.name == KIND)
    assert group.items[0].url == reverse("accounts:user_detail", args=[personas.street_a.pk])
    # The security administrator of street B does not manage street A's clerk.
    assert not _titles(sec_b)
    # A clerk holds no grants.manage: the kind is not even hers.
    assert KIND not in {g.kind.name for g in todo_groups(viewer=personas.district)}
    assert TODOS[KIND].permission == "grants.manage"


def test_unlocked_or_expired_locks_leave_the_list(tree, personas):
    security = make_user("security", ("security_admin", ScopeKind.SUBTREE, tree.district))
    _lock(personas.street_a)
    _lock(personas.street_b, minutes=-1)  # the lock has run out
    assert _titles(security) == ["street_a（street_a）"]
    user_unlock(user=User.objects.get(pk=personas.street_a.pk), acting_user=security)
    assert not _titles(security)
