"""Every registered scope policy answers the same way in every layer.

For each policy, a row is booked on subdistrict A itself and one on a community below
it; six fixed personas ask for it through the policy's reads (queryset, ``covers``), a
single object (``get``: 404), API/form id resolution (``resolve``: the same 422 message
for a hidden and a missing id), form choices (``org_choices``) and writes (``require``).
The expected answer is worked out from the personas' grants and the roles' functions
alone, without ``organizations/scope.py``.

A module supplies its rows with ``policypolicy_samples()`` in its ``tests/factories.py``:
``{policy name: make(org) -> row booked on org}``. A policy without a sample fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.registry import POLICIES, ROLES
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from tests.support import make_tree, make_user, policy_samples


@dataclass(frozen=True)
class Persona:
    name: str
    role: str
    kind: str
    org: str  # attribute of the tree


PERSONAS = (
    Persona("district", "clerk", ScopeKind.SUBTREE, "district"),
    Persona("street_a", "clerk", ScopeKind.SUBTREE, "street_a"),
    Persona("street_b", "clerk", ScopeKind.SUBTREE, "street_b"),
    Persona("org_only", "clerk", ScopeKind.ORG, "street_a"),
    Persona("sysadmin_a", "system_admin", ScopeKind.SUBTREE, "street_a"),
    Persona("security_a", "security_admin", ScopeKind.SUBTREE, "street_a"),
)
PLACES = ("street_a", "community_a")


def _expected(persona: Persona, permission: str, tree: Any, org: Organization) -> bool:
    """What the persona's one grant allows, from the role catalogue and the tree."""
    if permission not in ROLES[persona.role].permissions:
        return False
    granted: Organization = getattr(tree, persona.org)
    if persona.kind == ScopeKind.ORG:
        return org.pk == granted.pk
    return org.path.startswith(granted.path)


def test_every_policy_has_a_sample() -> None:
    """A policy the conformance matrix cannot exercise is a policy nobody checked."""
    assert POLICIES, "no scope policy is registered"
    missing = sorted(set(POLICIES) - set(policy_samples()))
    assert missing == []


@pytest.fixture
def world(db: Any) -> tuple[Any, dict[str, Any]]:
    tree = make_tree()
    users = {
        p.name: make_user(f"conf_{p.name}", (p.role, p.kind, getattr(tree, p.org)))
        for p in PERSONAS
    }
    return tree, users


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_policy_conformance(policy_name: str, world: tuple[Any, dict[str, Any]]) -> None:
    tree, users = world
    policy = POLICIES[policy_name]
    make = policy_samples()[policy_name]
    rows = {place: make(getattr(tree, place)) for place in PLACES}
    missing_id = max(row.pk for row in rows.values()) + 10_000
    checked = 0
    for persona in PERSONAS:
        user = users[persona.name]
        for place, row in rows.items():
            org = getattr(tree, place)
            sees = _expected(persona, policy.view, tree, org)
            manages = _expected(persona, policy.manage, tree, org)
            where = f"{policy_name} {persona.name} {place}"
            # Reads: the queryset and the in-Python answer agree with the grants.
            assert policy.queryset(user).filter(pk=row.pk).exists() is sees, where
            assert policy.covers(user, row) is sees, where
            # A single object: the same 404 for hidden and missing.
            if sees:
                assert policy.get(user, row.pk).pk == row.pk, where
            else:
                with pytest.raises(Http404):
                    policy.get(user, row.pk)
            with pytest.raises(Http404):
                policy.get(user, missing_id)
            # Id resolution (API and forms): one message for hidden and missing.
            if sees:
                assert policy.resolve(user, row.pk, field="ref").pk == row.pk, where
            else:
                with pytest.raises(ValidationError) as hidden:
                    policy.resolve(user, row.pk, field="ref")
                assert hidden.value.message_dict == {"ref": [unknown_message()]}, where
            with pytest.raises(ValidationError) as absent:
                policy.resolve(user, missing_id, field="ref")
            assert absent.value.message_dict == {"ref": [unknown_message()]}, where
            # Writes and the choices a form offers.
            if manages:
                policy.require(user, row)
            else:
                with pytest.raises(PermissionDenied):
                    policy.require(user, row)
            offered = policy.org_choices(user).filter(pk=org.pk).exists()
            assert offered is manages, where
            checked += 1
    # The system actor passes every check; a missing actor is refused outright.
    for row in rows.values():
        policy.require(SYSTEM, row)
        assert policy.queryset(SYSTEM).filter(pk=row.pk).exists()
        with pytest.raises(TypeError):
            policy.require(None, row)
    assert checked == len(PERSONAS) * len(PLACES)
