"""The problem ledger's scope written as a union (``selectors.in_scope``) gives the same
rows as the policy's one OR (``POLICY.queryset``), on random trees, problems and grants,
with and without the organization filter. Runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create
from taizhang.core.actors import SYSTEM
from taizhang.organizations.filters import LedgerFilter, subtree_q
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import clear_cache
from taizhang.problems.models import Problem, ProblemKind, ProblemState
from taizhang.problems.permissions import MANAGE, POLICY
from taizhang.problems.selectors import in_scope, problem_list
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db


def _random_tree(rng: random.Random, size: int) -> list[Organization]:
    orgs = [make_org(None, "R0")]
    for n in range(1, size):
        orgs.append(make_org(rng.choice(orgs), f"R{n}"))
    return orgs


def _random_problems(rng: random.Random, orgs: list[Organization], users: list, count: int):
    today = dt.date(2026, 6, 1)
    kind = ProblemKind.objects.first()
    Problem.objects.bulk_create(
        Problem(
            org=rng.choice(orgs),
            lead_unit=rng.choice(orgs),
            title=f"问题{n}",
            kind=kind,
            source="survey",
            category="other",
            deadline=today,
            state=rng.choice(ProblemState.values),
            raised_on=today - dt.timedelta(days=rng.randrange(60)),
            created_by=rng.choice([None, *users]),
        )
        for n in range(count)
    )


def _random_grants(rng: random.Random, user, orgs: list[Organization]) -> None:
    for _ in range(rng.randrange(0, 4)):
        kind = rng.choice([ScopeKind.SUBTREE, ScopeKind.ORG, ScopeKind.LISTED, ScopeKind.OWN])
        grant_create(
            user=user,
            role=rng.choice(["clerk", "viewer", "grid_worker"]),
            scope_kind=kind,
            organization=None if kind in {ScopeKind.OWN, ScopeKind.LISTED} else rng.choice(orgs),
            listed=rng.sample(orgs, 3) if kind == ScopeKind.LISTED else None,
            acting_user=SYSTEM,
        )
    clear_cache(user)


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_union_gives_the_rows_of_the_policy(seed):
    rng = random.Random(seed)
    orgs = _random_tree(rng, 14)
    users = [make_user(f"u{seed}_{n}") for n in range(6)]
    for user in users:
        _random_grants(rng, user, orgs)
    _random_problems(rng, orgs, users, 150)
    compared = 0
    for user in users:
        for permission in (POLICY.view, MANAGE):
            expected = _ids(POLICY.queryset(user, permission))
            assert _ids(in_scope(user, permission)) == expected
            for within in rng.sample(orgs, 4):
                narrowed = _ids(
                    POLICY.queryset(user, permission).filter(subtree_q(within, POLICY.org_fields))
                )
                assert _ids(in_scope(user, permission, within=within)) == narrowed
                compared += 1
        # The list itself, with the ledger's organization filter, as the page reads it.
        within = rng.choice(orgs)
        listed = _ids(problem_list(viewer=user, ledger=LedgerFilter(org=within)))
        assert listed == _ids(POLICY.queryset(user).filter(subtree_q(within, POLICY.org_fields)))
        assert _ids(problem_list(viewer=user)) == _ids(POLICY.queryset(user))
    assert compared == 6 * 2 * 4
    # The data were not trivial: some viewers see some rows, and not all of them.
    sizes = {len(_ids(POLICY.queryset(user))) for user in users}
    assert len(sizes) > 1


def test_the_system_actor_sees_every_problem():
    rng = random.Random(9)
    orgs = _random_tree(rng, 5)
    _random_problems(rng, orgs, [], 20)
    assert _ids(in_scope(SYSTEM)) == _ids(Problem.objects.all())
    assert _ids(in_scope(SYSTEM, within=orgs[-1])) == _ids(
        Problem.objects.filter(subtree_q(orgs[-1], POLICY.org_fields))
    )


def test_a_viewer_without_grants_sees_nothing():
    rng = random.Random(10)
    orgs = _random_tree(rng, 5)
    user = make_user("nobody_at_all")
    _random_problems(rng, orgs, [user], 20)
    assert _ids(in_scope(user)) == set()
    assert _ids(in_scope(user, within=orgs[0])) == set()
