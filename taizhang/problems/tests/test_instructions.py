"""领导交办 (issue 15 §2): a named leader's instruction to a unit, with a deadline and the
problems it gave rise to, tracked to completion; its scope, audit, pages and figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, version_of
from taizhang.people.models import PositionTitle
from taizhang.problems import services
from taizhang.problems.models import InstructionState, ProblemSource
from taizhang.problems.permissions import INSTRUCTION_POLICY
from taizhang.problems.selectors import instruction_list, todo_instructions_due
from taizhang.problems.tests.factories import make_instruction, make_problem
from taizhang.projects.tests.factories import make_person
from taizhang.statistics import briefings
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def leader(tree):
    return make_person(tree.district, "钱书记", PositionTitle.LEADER)


@pytest.fixture
def instruction(tree, personas, leader):
    return make_instruction(tree.street_a, leader=leader, acting_user=personas.district)


def test_recording_checks_the_leader_the_dates_and_the_scope(tree, personas, leader):
    clerk = make_person(tree.street_a, "普通干部", PositionTitle.CLERK)
    with pytest.raises(ValidationError) as not_a_leader:
        make_instruction(tree.street_a, leader=clerk, acting_user=personas.district)
    assert "linked_leader" in not_a_leader.value.message_dict
    with pytest.raises(ValidationError) as backwards:
        make_instruction(
            tree.street_a,
            leader=leader,
            deadline=TODAY - dt.timedelta(days=30),
            acting_user=personas.district,
        )
    assert "deadline" in backwards.value.message_dict
    with pytest.raises(PermissionDenied):  # street A's clerk cannot record one for street B
        make_instruction(tree.street_b, leader=leader, acting_user=personas.street_a)
    made = make_instruction(tree.street_a, leader=leader, acting_user=personas.district)
    event = AuditEvent.objects.get(action="instruction.create", object_id=str(made.pk))
    assert event.changes["title"][1] == made.title


def test_the_handling_unit_sees_it_a_sibling_does_not(instruction, personas):
    assert INSTRUCTION_POLICY.covers(personas.street_a, instruction)
    assert INSTRUCTION_POLICY.can_manage(personas.street_a, instruction)
    assert not INSTRUCTION_POLICY.covers(personas.street_b, instruction)
    assert list(instruction_list(viewer=personas.street_b)) == []
    with pytest.raises(PermissionDenied):
        services.instruction_complete(
            instruction=instruction, result="已办", acting_user=personas.street_b
        )


def test_completion_waits_for_its_problems_to_be_closed_out(instruction, tree, personas):
    problem = make_problem(
        tree.street_a,
        title="加装电梯资金缺口",
        source=ProblemSource.INSTRUCTION,
        origin_type="problems.instruction",
        origin_id=instruction.pk,
        acting_user=personas.street_a,
    )
    assert problem.origin_label == instruction.title
    row = instruction_list(viewer=personas.street_a).get(pk=instruction.pk)
    assert (row.problem_count, row.open_count) == (1, 1)
    with pytest.raises(ValidationError) as waiting:
        services.instruction_complete(
            instruction=instruction, result="已落实", acting_user=personas.street_a
        )
    assert "加装电梯资金缺口" in waiting.value.messages[0]
    problem.state = "closed"  # closed out through the ledger (its own tests cover that)
    problem.save(update_fields=["state"])
    done = services.instruction_complete(
        instruction=instruction, result="已落实加装电梯12部。", acting_user=personas.street_a
    )
    assert done.state == InstructionState.DONE and done.done_on == TODAY
    assert AuditEvent.objects.filter(action="instruction.complete").count() == 1
    with pytest.raises(ValidationError):
        services.instruction_update(instruction=done, title="改名", acting_user=personas.district)


def test_a_result_is_needed_and_a_stale_edit_is_refused(instruction, personas):
    with pytest.raises(ValidationError):
        services.instruction_complete(
            instruction=instruction, result=" ", acting_user=personas.street_a
        )
    seen = version_of(instruction)
    services.instruction_update(
        instruction=instruction, title="新标题", version=seen, acting_user=personas.district
    )
    with pytest.raises(StaleEdit):
        services.instruction_update(
            instruction=instruction, title="另一个", version=seen, acting_user=personas.street_a
        )


def test_a_due_instruction_is_a_to_do_of_the_handling_unit(tree, personas, leader):
    due = make_instruction(
        tree.street_a,
        leader=leader,
        deadline=TODAY + dt.timedelta(days=3),
        acting_user=personas.district,
    )
    make_instruction(  # far off: not yet a to-do
        tree.street_a,
        leader=leader,
        title="远期事项",
        deadline=TODAY + dt.timedelta(days=60),
        acting_user=personas.district,
    )
    assert [i.pk for i in todo_instructions_due(viewer=personas.street_a)] == [due.pk]
    assert list(todo_instructions_due(viewer=personas.street_b)) == []


def test_the_pages_record_raise_and_complete(client, tree, personas, leader):
    client.login(username="district", password=PASSWORD)
    response = client.post(
        reverse("problems:instruction_create"),
        {
            "title": "研究解决学校周边交通拥堵",
            "leader": leader.pk,
            "org": tree.street_a.pk,
            "content": "请交警、教育部门会同街道拿出方案。",
            "issued_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "deadline": (TODAY + dt.timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    instruction = INSTRUCTION_POLICY.model.objects.get(title="研究解决学校周边交通拥堵")
    page = client.get(reverse("problems:instruction_detail", args=[instruction.pk]))
    assert page.status_code == 200 and "请交警" in page.content.decode()
    # Raising a problem from it starts from the instruction.
    form = client.get(page.context["raise_url"]).context["form"]
    assert form.initial["org"] == tree.street_a and form.initial["linked_leader"] == leader
    assert form.initial["source"] == ProblemSource.INSTRUCTION
    assert form.initial["origin_type"] == "problems.instruction"
    refused = client.post(reverse("problems:instruction_complete", args=[instruction.pk]), {})
    assert refused.status_code == 422
    response = client.post(
        reverse("problems:instruction_complete", args=[instruction.pk]),
        {"result": "已实行错峰放学并增设临时停车点。", "done_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    instruction.refresh_from_db()
    assert instruction.state == InstructionState.DONE
    client.logout()
    client.login(username="street_b", password=PASSWORD)
    hidden = client.get(reverse("problems:instruction_detail", args=[instruction.pk]))
    assert hidden.status_code == 404


def test_the_briefing_counts_instructions_and_the_problems_from_them(
    instruction, tree, personas, leader
):
    make_problem(
        tree.street_a,
        title="电梯加装协调",
        source=ProblemSource.INSTRUCTION,
        origin_type="problems.instruction",
        origin_id=instruction.pk,
        acting_user=personas.street_a,
    )
    make_problem(tree.street_a, title="普通问题", acting_user=personas.street_a)
    day = instruction.issued_on
    with translation.override("zh-hans"):
        sections = briefings.compose(
            personas.district, tree.district, Period.month(day.year, day.month)
        )
        text = briefings.paragraph_text(next(s for s in sections if s.module == "problems"))
    if TODAY.month == day.month:  # the problems were raised today
        assert "新挂账问题2个（其中领导交办1个" in text
    assert "承接领导交办事项1件" in text
