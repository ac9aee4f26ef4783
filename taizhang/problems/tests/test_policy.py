"""The problem policy: work across the tree, origins through their own policy, duties
kept apart, the grid worker's functions, and the audit action of every service."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import ROLES
from taizhang.organizations.models import OrgKind
from taizhang.organizations.policy import unknown_message
from taizhang.problems import permissions, services
from taizhang.problems.forms import ProblemForm
from taizhang.problems.models import ProblemState
from taizhang.problems.permissions import POLICY, can
from taizhang.problems.selectors import get_problem_for_viewer, problem_list
from taizhang.problems.tests.factories import (
    link_person,
    make_pending,
    make_person,
    make_problem,
    png,
)
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db
SUB = ScopeKind.SUBTREE


@pytest.fixture
def bureau(tree):
    """A district bureau: an organ of the district, outside every subdistrict's scope."""
    return make_org(tree.district, "GA", OrgKind.ORGAN)


@pytest.fixture
def bureau_clerk(bureau):
    user = make_user("bureau_clerk", ("clerk", SUB, bureau))
    link_person(user, bureau, "赵局办")
    return user


# --- work across the tree: a bureau as the lead unit ---------------------------------


def test_subdistrict_names_a_bureau_as_lead_unit(tree, personas, bureau, bureau_clerk):
    """The bureau sees the item and works it; the neighbour does not see it."""
    problem = make_problem(tree.street_a, lead_unit=bureau, acting_user=personas.street_a)
    assert problem.lead_unit == bureau
    assert get_problem_for_viewer(bureau_clerk, problem.pk) == problem
    assert problem in problem_list(viewer=bureau_clerk)
    assert POLICY.explain(bureau_clerk, problem)
    with pytest.raises(Http404):
        get_problem_for_viewer(personas.street_b, problem.pk)
    assert can(bureau_clerk, "start", problem)
    services.problem_start(problem=problem, acting_user=bureau_clerk)
    services.problem_submit(
        problem=problem,
        evidence_text="局里已完成审批手续办理",
        files=[png()],
        acting_user=bureau_clerk,
    )
    problem.refresh_from_db()
    assert problem.state == ProblemState.PENDING


def test_naming_a_bureau_grants_nothing_over_its_other_items(tree, personas, bureau, bureau_clerk):
    """street_a cannot see or act on the bureau's own problems, nor create on the bureau;
    the bureau sees none of street_a's other problems."""
    own = make_problem(bureau, title="局里自己的问题")
    make_problem(tree.street_a, lead_unit=bureau, acting_user=personas.street_a)
    other = make_problem(tree.community_a, title="街道另一个问题", acting_user=personas.street_a)
    with pytest.raises(Http404):
        get_problem_for_viewer(personas.street_a, own.pk)
    assert not can(personas.street_a, "start", own)
    with pytest.raises(PermissionDenied):
        services.problem_start(problem=own, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        make_problem(bureau, acting_user=personas.street_a)
    with pytest.raises(Http404):
        get_problem_for_viewer(bureau_clerk, other.pk)


def test_lead_unit_must_be_a_unit_of_the_district_or_in_scope(tree, personas, bureau):
    """A community of another subdistrict cannot lead street_a's item; the form offers
    the bureau as lead unit, never as owning unit."""
    with pytest.raises(PermissionDenied):
        make_problem(tree.street_a, lead_unit=tree.community_b, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        make_problem(tree.street_a, co_units=[tree.community_b], acting_user=personas.street_a)
    form = ProblemForm(viewer=personas.street_a)
    leads = form.fields["lead_unit"].queryset
    assert leads.filter(pk=bureau.pk).exists()
    assert not leads.filter(pk=tree.community_b.pk).exists()
    owners = form.fields["org"].queryset
    assert not owners.filter(pk=bureau.pk).exists()
    assert owners.filter(pk=tree.community_a.pk).exists()


def test_edit_to_a_bureau_lead_unit(tree, personas, bureau, bureau_clerk):
    """Handing an existing item to the bureau: allowed; to B's community: refused."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        services.problem_update(
            problem=problem, lead_unit=tree.community_b, acting_user=personas.street_a
        )
    services.problem_update(problem=problem, lead_unit=bureau, acting_user=personas.street_a)
    assert get_problem_for_viewer(bureau_clerk, problem.pk).lead_unit == bureau


# --- persons: the one rule for persons, the shared leader candidates -----------------


def test_persons_are_checked_with_the_person_policy(tree, personas):
    """A responsible person street_a cannot see is refused with the unknown message; a
    linked leader must be a leader candidate."""
    hidden = make_person(tree.community_b, "乙街道的人")
    with pytest.raises(ValidationError) as refused:
        make_problem(tree.street_a, responsible=hidden, acting_user=personas.street_a)
    assert refused.value.message_dict == {"responsible": [unknown_message()]}
    visible = make_person(tree.community_a, "甲街道的人")
    with pytest.raises(ValidationError) as not_leader:
        make_problem(tree.street_a, linked_leader=visible, acting_user=personas.street_a)
    assert "linked_leader" in not_leader.value.message_dict
    problem = make_problem(tree.street_a, responsible=visible, acting_user=personas.street_a)
    assert problem.responsible == visible


# --- the origin, through the origin model's policy ------------------------------------


def test_origin_resolves_through_its_policy(tree, personas):
    """An origin street_a can see is recorded; a hidden one and a missing one get the
    same refusal; a type that is not a ledger problems are raised from is refused, scoped
    or not (issue 19: any row of any table was readable through the origin)."""
    from taizhang.activities.tests.factories import make_activity

    mine = make_activity(tree.community_a)
    theirs = make_activity(tree.community_b)
    problem = make_problem(
        tree.street_a,
        origin_type="activities.activity",
        origin_id=mine.pk,
        acting_user=personas.street_a,
    )
    assert (problem.origin_type, problem.origin_id) == ("activities.activity", mine.pk)
    messages = []
    for origin_id in (theirs.pk, 999_999):
        with pytest.raises(ValidationError) as refused:
            make_problem(
                tree.street_a,
                origin_type="activities.activity",
                origin_id=origin_id,
                acting_user=personas.street_a,
            )
        messages.append(refused.value.message_dict)
    assert messages[0] == messages[1] == {"origin_id": [unknown_message()]}
    person = make_person(tree.community_a, "甲的人")
    for origin_type, origin_id in (
        ("problems.problemkind", 1),
        ("people.person", person.pk),  # scoped, but not a ledger problems come from
        ("core.auditevent", 1),
        ("accounts.user", personas.street_a.pk),
    ):
        with pytest.raises(ValidationError) as unregistered:
            make_problem(
                tree.street_a,
                origin_type=origin_type,
                origin_id=origin_id,
                acting_user=personas.street_a,
            )
        assert "origin_type" in unregistered.value.message_dict, origin_type


# --- duties kept apart (销号) -----------------------------------------------------------


@pytest.fixture
def district_verifier(personas, tree):
    link_person(personas.district, tree.district, "李验收")
    return personas.district


def test_whoever_raised_it_cannot_close_it_out(tree, district_verifier):
    problem = make_problem(tree.community_a, acting_user=district_verifier)
    services.problem_start(problem=problem, acting_user=SYSTEM)
    services.problem_submit(
        problem=problem, evidence_text="完成改造并经居民确认", files=[png()], acting_user=SYSTEM
    )
    assert permissions.own_work(district_verifier, problem) == "raised"
    assert not can(district_verifier, "verify", problem)
    assert can(district_verifier, "send_back", problem)
    with pytest.raises(ValidationError):
        services.problem_verify(problem=problem, acting_user=district_verifier)
    problem.refresh_from_db()
    assert problem.state == ProblemState.PENDING


def test_whoever_submitted_the_evidence_cannot_close_it_out(tree, district_verifier):
    problem = make_problem(tree.community_a)
    services.problem_start(problem=problem, acting_user=district_verifier)
    services.problem_submit(
        problem=problem,
        evidence_text="完成改造并经居民确认",
        files=[png()],
        acting_user=district_verifier,
    )
    assert permissions.own_work(district_verifier, problem) == "submitted"
    assert not can(district_verifier, "verify", problem)
    with pytest.raises(ValidationError):
        services.problem_verify(problem=problem, acting_user=district_verifier)


def test_someone_else_closes_it_out(tree, personas, district_verifier):
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    assert permissions.own_work(district_verifier, problem) == ""
    assert can(district_verifier, "verify", problem)
    services.problem_verify(problem=problem, acting_user=district_verifier)
    problem.refresh_from_db()
    assert problem.state == ProblemState.CLOSED


def test_a_kind_may_allow_self_close(tree, district_verifier):
    kind = services.problem_kind_create(
        code="own_task", name="本单位自办事项", self_close_allowed=True, acting_user=SYSTEM
    )
    assert AuditEvent.objects.latest("pk").action == "problem_kind.create"
    problem = make_pending(tree.community_a, kind=kind, acting_user=district_verifier)
    assert can(district_verifier, "verify", problem)
    services.problem_verify(problem=problem, acting_user=district_verifier)
    problem.refresh_from_db()
    assert problem.state == ProblemState.CLOSED


def test_grid_worker_records_and_submits_but_never_verifies(tree, personas):
    functions = ROLES["grid_worker"].permissions
    assert {"problems.view", "problems.manage"} <= functions
    assert "problems.verify" not in functions
    worker = make_user("grid_a", ("grid_worker", SUB, tree.grid_a))
    link_person(worker, tree.grid_a, "网格员小周")
    problem = make_pending(tree.grid_a, acting_user=worker)
    assert problem.state == ProblemState.PENDING
    other = make_pending(tree.grid_a)
    assert not can(worker, "verify", other)
    with pytest.raises(PermissionDenied):
        services.problem_verify(problem=other, acting_user=worker)


# --- the audit action of every service ------------------------------------------------


def test_every_service_records_its_audit_action(tree, personas, district_verifier):
    def last() -> str:
        return AuditEvent.objects.latest("pk").action

    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    assert last() == "problem.create"
    services.problem_update(problem=problem, title="新标题", acting_user=personas.street_a)
    assert last() == "problem.update"
    services.problem_start(problem=problem, acting_user=personas.street_a)
    assert last() == "problem.start"
    services.problem_submit(
        problem=problem,
        evidence_text="完成改造并经居民确认",
        files=[png()],
        acting_user=personas.street_a,
    )
    assert last() == "problem.submit"
    services.problem_send_back(problem=problem, reason="照片不清楚", acting_user=district_verifier)
    assert last() == "problem.send_back"
    services.problem_submit(
        problem=problem,
        evidence_text="补充了清晰的照片材料",
        files=[png()],
        acting_user=personas.street_a,
    )
    services.problem_verify(problem=problem, acting_user=district_verifier)
    assert last() == "problem.verify"
    services.problem_reopen(problem=problem, reason="问题复发", acting_user=district_verifier)
    assert last() == "problem.reopen"
    late = make_problem(tree.community_a, raised_on=dt_past(), deadline=dt_past())
    assert services.problem_escalate_overdue() == [late.pk]
    assert last() == "problem.escalate"
    services.problem_kind_create(code="x_topic", name="临时课题", acting_user=SYSTEM)
    assert last() == "problem_kind.create"


def dt_past():
    import datetime as dt

    from django.utils import timezone

    return timezone.localdate() - dt.timedelta(days=3)
