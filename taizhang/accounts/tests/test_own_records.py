"""The "own records" scope kind: offered when granting, explained, and honoured by a
policy that names its owner field (the ledgers pass ``owner_field="created_by"``)."""

from __future__ import annotations

import pytest

from taizhang.accounts.forms import GrantForm
from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.organizations.policy import ScopePolicy
from taizhang.problems.models import Problem
from taizhang.problems.tests.factories import make_problem
from tests.support import bearer, make_user

pytestmark = pytest.mark.django_db

# Built here on an existing ledger model so the test does not depend on how any one
# module declares its policy; the ledgers' own policies name the same owner field.
OWNED: ScopePolicy[Problem] = ScopePolicy(
    name="test.owned_problem",
    model=Problem,
    view="problems.view",
    manage="problems.manage",
    org_fields=("org",),
    owner_field="created_by",
)


@pytest.fixture
def own_clerk(tree):
    return make_user("own_clerk", ("clerk", ScopeKind.OWN, tree.grid_a))


def _problem(org, created_by):
    problem = make_problem(org, title=f"问题 {org.code}", acting_user=SYSTEM)
    Problem.objects.filter(pk=problem.pk).update(created_by=created_by)
    problem.refresh_from_db()
    return problem


def test_own_records_grant_sees_exactly_what_she_created(tree, personas, own_clerk):
    """Her rows in A and B are hers to see and manage; a neighbour's row in her own grid
    is not, and her grant's organization gives her nothing by itself."""
    mine_a = _problem(tree.grid_a, own_clerk)
    mine_b = _problem(tree.community_b, own_clerk)
    theirs = _problem(tree.grid_a, personas.street_a)
    nobodys = _problem(tree.grid_a, None)
    assert set(OWNED.queryset(own_clerk)) == {mine_a, mine_b}
    for row in (mine_a, mine_b):
        assert OWNED.covers(own_clerk, row) and OWNED.can_manage(own_clerk, row)
        OWNED.require(own_clerk, row)
        assert OWNED.explain(own_clerk, row)
    for row in (theirs, nobodys):
        assert not OWNED.covers(own_clerk, row)
        assert OWNED.explain(own_clerk, row) == []
    # Creating needs an organization to book on: an own-records grant offers none.
    assert not OWNED.org_choices(own_clerk).exists()
    # An ordinary clerk of A still sees A's rows, whoever created them.
    assert set(OWNED.queryset(personas.street_a)) == {mine_a, theirs, nobodys}


def test_grant_form_offers_own_records(tree):
    """The security administrator can give an own-records grant."""
    security = make_user("sec", ("security_admin", ScopeKind.SUBTREE, tree.district))
    kinds = dict(GrantForm(viewer=security).fields["scope_kind"].choices)
    assert ScopeKind.OWN in kinds and ScopeKind.LISTED not in kinds


def test_me_and_explain_describe_own_records(client, tree, own_clerk):
    """/me says the grant is on her own records, per function."""
    data = client.get("/api/v1/me", **bearer(client, own_clerk)).json()
    (grant,) = data["grants"]
    assert grant["scope_kind"] == ScopeKind.OWN
    assert "本人记录" in grant["explanation"] or "own records" in grant["explanation"]
    problems = {f["permission"]: f for f in data["functions"]}["problems.view"]
    assert problems["own_records"] is True
    assert problems["subtree_roots"] == [] and problems["organization_ids"] == []
