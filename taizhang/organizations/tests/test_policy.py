"""The policy mechanics every module relies on: ids, cross-tree rules, explanations.

The per-persona matrix over every registered policy is core's conformance test; this
file checks what that matrix does not reach.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404

from taizhang.core.actors import SYSTEM
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy, unknown_message
from taizhang.people.models import Person
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db


def _plain() -> ScopePolicy[Person]:
    return ScopePolicy(
        name="test.person",
        model=Person,
        view="people.view",
        manage="people.manage",
        org_fields=("organization",),
    )


def test_resolve_many_keeps_the_order_and_refuses_one_hidden_id(tree: Any, personas: Any) -> None:
    a1 = make_person(tree.community_a, "甲")
    a2 = make_person(tree.street_a, "乙")
    b1 = make_person(tree.community_b, "丙")
    policy = _plain()
    rows = policy.resolve_many(personas.street_a, [a2.pk, a1.pk], field="ids")
    assert [row.pk for row in rows] == [a2.pk, a1.pk]
    for ids in ([a1.pk, b1.pk], [a1.pk, "x"], [a1.pk, b1.pk + 999]):
        with pytest.raises(ValidationError) as refused:
            policy.resolve_many(personas.street_a, ids, field="ids")
        assert refused.value.message_dict == {"ids": [unknown_message()]}


@pytest.mark.parametrize("pk", ["abc", None, True, "1.5"])
def test_a_malformed_id_is_the_same_404_and_422(pk: Any, tree: Any, personas: Any) -> None:
    make_person(tree.community_a)
    policy = _plain()
    with pytest.raises(Http404):
        policy.get(personas.district, pk)
    with pytest.raises(ValidationError):
        policy.resolve(personas.district, pk, field="person_id")


def test_a_cross_tree_rule_widens_reads_only_as_far_as_it_says(tree: Any, personas: Any) -> None:
    """A rule naming one row of B lets street_a read that row, not its neighbours, and
    gives her no right to change it."""
    shared = make_person(tree.community_b, "共享")
    other = make_person(tree.community_b, "其他")
    rule = CrossTreeRule(
        name="test.shared",
        description="shared with A for the test",
        q=lambda viewer, permission: (
            Q(pk=shared.pk) if permission == "people.view" else Q(pk__in=[])
        ),
        covers=lambda viewer, obj, permission: permission == "people.view" and obj.pk == shared.pk,
    )
    policy = ScopePolicy(
        name="test.person",
        model=Person,
        view="people.view",
        manage="people.manage",
        org_fields=("organization",),
        extra=(rule,),
    )
    seen = set(policy.queryset(personas.street_a).values_list("pk", flat=True))
    assert shared.pk in seen and other.pk not in seen
    assert policy.covers(personas.street_a, shared) and not policy.covers(personas.street_a, other)
    assert policy.get(personas.street_a, shared.pk) == shared
    assert "shared with A for the test" in policy.explain(personas.street_a, shared)
    with pytest.raises(PermissionDenied):
        policy.require(personas.street_a, shared)


def test_explain_names_the_grant(tree: Any, personas: Any) -> None:
    person = make_person(tree.community_a)
    reasons = _plain().explain(personas.street_a, person)
    assert reasons and all("A 组织" in reason for reason in reasons)
    assert _plain().explain(personas.street_b, person) == []


def test_require_org_for_a_new_row(tree: Any, personas: Any) -> None:
    policy = _plain()
    policy.require_org(personas.street_a, tree.community_a)
    policy.require_org(SYSTEM, tree.community_b)
    with pytest.raises(PermissionDenied):
        policy.require_org(personas.street_a, tree.community_b)
    with pytest.raises(PermissionDenied):
        policy.require_org(personas.street_a, None)
    with pytest.raises(TypeError):
        policy.require_org(None, tree.community_a)


def test_anonymous_sees_nothing(tree: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    person = make_person(tree.community_a)
    assert not _plain().queryset(AnonymousUser()).exists()  # type: ignore[arg-type]
    assert not _plain().covers(AnonymousUser(), person)  # type: ignore[arg-type]
