"""The 挂账销号 lifecycle moves only through services, each step dated and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.problems import services
from taizhang.problems.models import Problem, ProblemKind, ProblemState, StepAction
from taizhang.problems.tests.factories import (
    link_person,
    make_pending,
    make_person,
    make_problem,
    png,
)
from tests.files import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier(personas, tree):
    link_person(personas.district, tree.district, "李验收")
    return personas.district


def test_create_puts_problem_on_ledger_with_step_and_audit(tree, personas):
    """Creating records state 挂账, a dated 'raise' step and one audit event with the diff."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    assert problem.state == ProblemState.OPEN
    assert problem.kind.code == "problem"
    assert problem.lead_unit == tree.community_a
    assert [s.action for s in problem.steps.all()] == [StepAction.RAISE]
    event = AuditEvent.objects.get(action="problem.create")
    assert event.changes["title"] == [None, "老旧小区雨污管网混接"]
    assert event.actor_id == personas.street_a.pk


def test_create_outside_scope_is_refused(tree, personas):
    """A clerk of subdistrict A cannot put a problem on subdistrict B's ledger."""
    with pytest.raises(PermissionDenied):
        make_problem(tree.community_b, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        make_problem(tree.community_a, lead_unit=tree.community_b, acting_user=personas.street_a)
    assert not Problem.objects.exists()


def test_create_records_origin_generically(tree, personas):
    """The origin is stored as type and id, so other modules' records need no FK."""
    problem = make_problem(
        tree.street_a, source="meeting", origin=tree.grid_a, acting_user=personas.street_a
    )
    assert (problem.origin_type, problem.origin_id) == (
        "organizations.organization",
        tree.grid_a.pk,
    )
    assert problem.origin_label == str(tree.grid_a)


def test_create_refuses_unknown_origin(tree, personas):
    """An origin type or id that does not resolve is a validation error."""
    with pytest.raises(ValidationError):
        make_problem(tree.street_a, origin_type="nowhere.thing", origin_id=1, acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        make_problem(
            tree.street_a,
            origin_type="organizations.organization",
            origin_id=999999,
            acting_user=SYSTEM,
        )


def test_full_lifecycle_dates_every_step(tree, personas, verifier):
    """挂账 → 整改中 → 待验收 → 销号: each step is dated, the verifier and date recorded."""
    responsible = make_person(tree.community_a, "王责任")
    problem = make_problem(tree.community_a, responsible=responsible, acting_user=personas.street_a)
    problem = services.problem_start(
        problem=problem, measures="分批改造", acting_user=personas.street_a
    )
    assert problem.state == ProblemState.IN_PROGRESS
    problem = services.problem_submit(
        problem=problem,
        evidence_text="完成改造并经居民代表确认",
        files=[png()],
        acting_user=personas.street_a,
    )
    assert problem.state == ProblemState.PENDING
    assert problem.submitted_on == timezone.localdate()
    problem = services.problem_verify(problem=problem, note="同意销号", acting_user=verifier)
    assert problem.state == ProblemState.CLOSED
    assert problem.closed_on == timezone.localdate()
    assert problem.verifier == verifier.person
    steps = list(problem.steps.all())
    assert [s.action for s in steps] == ["raise", "start", "submit", "verify"]
    assert all(s.occurred_at for s in steps)
    assert steps[2].evidence.count() == 1
    actions = list(
        AuditEvent.objects.filter(object_type="problems.problem").values_list("action", flat=True)
    )
    assert actions == ["problem.create", "problem.start", "problem.submit", "problem.verify"]
    assert AuditEvent.objects.get(action="problem.verify").changes["state"] == ["pending", "closed"]


def test_submit_without_evidence_text_is_refused(tree, personas):
    """Submitting needs a written account of what was done."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_start(problem=problem, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.problem_submit(
            problem=problem, evidence_text="  ", files=[png()], acting_user=personas.street_a
        )
    problem.refresh_from_db()
    assert problem.state == ProblemState.IN_PROGRESS


def test_submit_without_attachment_is_refused(tree, personas):
    """Submitting needs at least one evidence file."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_start(problem=problem, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.problem_submit(
            problem=problem,
            evidence_text="完成改造并经居民代表确认",
            files=[],
            acting_user=personas.street_a,
        )


def test_closing_without_evidence_is_refused(tree, personas, verifier):
    """A problem with no evidence cannot be closed out, even if it sits in 待验收."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    Problem.objects.filter(pk=problem.pk).update(state=ProblemState.PENDING)  # bypass on purpose
    with pytest.raises(ValidationError, match="without evidence"):
        services.problem_verify(problem=problem, acting_user=verifier)
    problem.refresh_from_db()
    assert problem.state == ProblemState.PENDING


def test_closing_a_closed_problem_is_refused(tree, personas, verifier):
    """A closed problem cannot be closed again; nothing changes and no event is added."""
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    services.problem_verify(problem=problem, acting_user=verifier)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="already closed"):
        services.problem_verify(problem=problem, acting_user=verifier)
    assert AuditEvent.objects.count() == before


def test_responsible_person_cannot_sign_off(tree, personas, verifier):
    """The verifier must not be the responsible person."""
    problem = make_pending(tree.community_a, responsible=verifier.person, acting_user=verifier)
    with pytest.raises(ValidationError, match="responsible person"):
        services.problem_verify(problem=problem, acting_user=verifier)


def test_sign_off_needs_the_right_on_the_lead_unit(tree, personas):
    """A clerk of the neighbouring subdistrict holds no sign-off on A's lead unit."""
    link_person(personas.street_b, tree.street_b, "赵邻居")
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        services.problem_verify(problem=problem, acting_user=personas.street_b)


def test_sign_off_needs_a_named_person(tree, personas):
    """A user not linked to a person cannot sign off: the verifier is a person."""
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    with pytest.raises(ValidationError, match="named verifier"):
        services.problem_verify(problem=problem, acting_user=personas.street_a)


def test_send_back_needs_reason_and_returns_to_work(tree, personas, verifier):
    """A verifier sends a problem back with a reason; it returns to 整改中."""
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.problem_send_back(problem=problem, reason="", acting_user=verifier)
    problem = services.problem_send_back(
        problem=problem, reason="缺少整改后照片", acting_user=verifier
    )
    assert problem.state == ProblemState.IN_PROGRESS
    assert problem.steps.last().note == "缺少整改后照片"


def test_reopen_needs_reason_and_counts(tree, personas, verifier):
    """重新挂账: a closed problem goes back on the ledger with a reason, counted."""
    problem = make_pending(tree.community_a, acting_user=personas.street_a)
    problem = services.problem_verify(problem=problem, acting_user=verifier)
    with pytest.raises(ValidationError):
        services.problem_reopen(problem=problem, reason=" ", acting_user=verifier)
    problem = services.problem_reopen(problem=problem, reason="问题反弹", acting_user=verifier)
    assert problem.state == ProblemState.OPEN
    assert problem.reopen_count == 1
    assert problem.closed_on is None and problem.verifier is None


def test_reopen_an_open_problem_is_refused(tree, personas, verifier):
    """Only a closed problem can be reopened."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.problem_reopen(problem=problem, reason="x", acting_user=verifier)


def test_start_twice_is_refused(tree, personas):
    """A problem already being fixed cannot be started again."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_start(problem=problem, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.problem_start(problem=problem, acting_user=personas.street_a)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.pdf", pdf_bytes("x" * (26 * 1024 * 1024)), "larger than 25 MB"),
        ("run.exe", b"MZ\x90\x00", "only PDF"),
        ("fake.pdf", b"<html>", "does not look like"),
    ],
)
def test_evidence_files_are_checked(tree, personas, name, content, message):
    """Evidence over the upload limit, of another type, or not matching its name is
    refused (core.uploads)."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_start(problem=problem, acting_user=personas.street_a)
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError, match=message):
        services.problem_submit(
            problem=problem,
            evidence_text="完成改造并经居民代表确认",
            files=[upload],
            acting_user=personas.street_a,
        )


def test_update_changes_details_and_audits_the_diff(tree, personas):
    """Editing details records the changed fields only."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    new_deadline = problem.deadline + dt.timedelta(days=10)
    services.problem_update(problem=problem, deadline=new_deadline, acting_user=personas.street_a)
    event = AuditEvent.objects.get(action="problem.update")
    assert event.changes == {"deadline": [str(problem.deadline), str(new_deadline)]}


def test_escalation_flags_overdue_once(tree, personas):
    """Overdue open problems are escalated once, with a step each and one audit event."""
    today = timezone.localdate()
    late = make_problem(
        tree.community_a,
        raised_on=today - dt.timedelta(days=60),
        deadline=today - dt.timedelta(days=3),
    )
    make_problem(tree.community_a, title="未到期")
    assert services.problem_escalate_overdue(today=today) == [late.pk]
    assert services.problem_escalate_overdue(today=today) == []
    late.refresh_from_db()
    assert late.escalated_on == today and late.is_overdue
    assert late.steps.filter(action=StepAction.ESCALATE).count() == 1
    assert AuditEvent.objects.filter(action="problem.escalate").count() == 1


def test_kind_dictionary_can_be_extended(personas):
    """System jobs (and system administrators) add kinds to the dictionary."""
    kind = services.problem_kind_create(code="pilot", name="试点事项", acting_user=SYSTEM)
    assert ProblemKind.objects.filter(pk=kind.pk, name="试点事项").exists()
    with pytest.raises(PermissionDenied):
        services.problem_kind_create(code="x", name="x", acting_user=personas.street_a)
