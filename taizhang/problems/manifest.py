"""What the problem ledger registers: its scope policy, functions, navigation, metrics,
project panels and to-do kinds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_audit_review,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
    register_todo,
)
from taizhang.problems.models import (
    Instruction,
    InstructionState,
    Problem,
    ProblemSource,
    ProblemState,
    ResearchOutcome,
    ResearchTopic,
)
from taizhang.problems.permissions import (
    INSTRUCTION_POLICY,
    MANAGE,
    POLICY,
    RESEARCH_POLICY,
    VERIFY,
    VIEW,
)
from taizhang.problems.selectors import (
    open_blockers_by_origin,
    overdue_q,
    problems_for_origin,
    todo_escalated_to_me,
    todo_to_verify,
    todo_to_work_on,
)

register_permission("problems.view", _("View the problem ledger"))
register_permission("problems.manage", _("Put problems on the ledger and record their progress"))
register_permission("problems.verify", _("Sign off and close out problems (销号)"))
register_permission("problems.configure", _("Extend the problem kinds"))
grant_to_roles("problems.view", "clerk", "secretary", "leader", "viewer")
grant_to_roles("problems.manage", "clerk", "secretary")
grant_to_roles("problems.verify", "clerk", "secretary", "leader")
grant_to_roles("problems.configure", "system_admin")
# A grid worker records problems and submits their evidence; signing off and closing
# out (销号) stay with others (duties kept apart).
grant_to_roles("problems.view", "grid_worker")
grant_to_roles("problems.manage", "grid_worker")

register_policy(POLICY)
register_policy(INSTRUCTION_POLICY)
register_policy(RESEARCH_POLICY)

register_nav(_("Problems"), "problems:list", "problems.view", order=40)


def _create_url(obj: Any) -> str:
    query = urlencode({"origin_type": obj._meta.label_lower, "origin_id": obj.pk})
    return f"{reverse('problems:create')}?{query}"


def _holds(viewer: Actor | None, permission: str) -> bool:
    return viewer is not None and bool(POLICY.scope(viewer, permission).grants)


def project_blockers(viewer: Actor | None, obj: Any) -> dict[str, Any] | None:
    """The problems raised on one record (a key project), scoped to the viewer."""
    if viewer is None or not _holds(viewer, VIEW):
        return None
    problems = list(
        problems_for_origin(viewer=viewer, origin_type=obj._meta.label_lower, origin_id=obj.pk)
    )
    can_raise = _holds(viewer, MANAGE)
    return {
        "problems": problems,
        "open_count": sum(1 for p in problems if p.state != ProblemState.CLOSED),
        "create_url": _create_url(obj) if can_raise else "",
    }


def linked_projects_blockers(viewer: Actor | None, objs: Any) -> dict[str, Any] | None:
    """Open blockers of every listed record, grouped by record, in one query."""
    items = list(objs or [])
    if viewer is None or not items or not _holds(viewer, VIEW):
        return None
    origin_type = items[0]._meta.label_lower
    grouped = open_blockers_by_origin(
        viewer=viewer, origin_type=origin_type, origin_ids=[int(o.pk) for o in items]
    )
    rows = [(obj, grouped[int(obj.pk)]) for obj in items if int(obj.pk) in grouped]
    return {"rows": rows, "total": sum(len(problems) for _obj, problems in rows)}


register_slot("projects.project_detail", "problems/_slot_project_detail.html", project_blockers)
register_slot(
    "projects.linked_projects", "problems/_slot_linked_projects.html", linked_projects_blockers
)


# To-dos (workbench): what waits for the viewer, each kind scoped by POLICY.
def _todo_title(problem: Problem) -> str:
    return f"{problem.number} {problem.title}"


def _todo_url(problem: Problem) -> str:
    return reverse("problems:detail", args=[problem.pk])


def _todo_due(problem: Problem) -> Any:
    return problem.deadline


register_todo(
    TodoKind(
        name="problems.to_verify",
        label=_("Problems waiting for your sign-off"),
        permission=VERIFY,
        items=lambda viewer: todo_to_verify(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_("Evidence was submitted: verify it and close the problem out, or send it back."),
        due=_todo_due,
        order=10,
    )
)
register_todo(
    TodoKind(
        name="problems.to_work_on",
        label=_("Problems to fix, overdue or due within a week"),
        permission=MANAGE,
        items=lambda viewer: todo_to_work_on(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_(
            "Your unit owns or leads this problem and its deadline is near or past: "
            "start the work, or submit the evidence for sign-off."
        ),
        due=_todo_due,
        order=20,
    )
)
register_todo(
    TodoKind(
        name="problems.escalated_to_me",
        label=_("Overdue problems escalated to you"),
        permission=VIEW,
        items=lambda viewer: todo_escalated_to_me(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_(
            "You are the linked leader and the problem is past its deadline: "
            "press the lead unit to get it fixed."
        ),
        due=_todo_due,
        order=15,
    )
)

register_metric(
    Metric(
        name="problems.raised",
        sentence=_("listed {value} problems"),
        label=_("Problems put on the ledger"),
        unit=_("items"),
        queryset=lambda: Problem.objects.all(),
        org_field="org",
        date_field="raised_on",
        permission=VIEW,
        definition=_(
            "Count of problem rows (all kinds), dated by the day they were put on the ledger."
        ),
    )
)
register_metric(
    Metric(
        name="problems.closed",
        sentence=_("closed {value} problems with evidence"),
        label=_("Problems closed out"),
        unit=_("items"),
        queryset=lambda: Problem.objects.filter(state=ProblemState.CLOSED),
        org_field="org",
        date_field="closed_on",
        permission=VIEW,
        definition=_(
            "Count of problem rows now closed out (销号), dated by the sign-off day. "
            "A reopened problem leaves this count until it is closed again."
        ),
    )
)
register_metric(
    Metric(
        name="problems.overdue",
        sentence=_("{value} problems are past their deadline"),
        additive=False,
        label=_("Overdue problems"),
        unit=_("items"),
        queryset=lambda: Problem.objects.filter(overdue_q()),
        org_field="org",
        date_field="deadline",
        permission=VIEW,
        definition=_(
            "Count of problem rows not closed out whose deadline is before today "
            "(evaluated when read), dated by the deadline."
        ),
    )
)

# Figures per kind (issue 15): parts of the problems put on the ledger and closed out,
# printed in a briefing as （其中为民办实事项目12件）. The kinds are the
# shipped dictionary's codes (problems/dictionaries.py); a kind an administrator adds is
# counted in the totals only. 调研课题 have their own flow and figures (below,
# ``problems.research_*``): the ``survey_topic`` kind is not counted apart here, so a
# briefing does not count them twice.
KIND_FIGURES = (
    (
        "practical_matter",
        _("{value} practical matters for the people"),
        _("Practical matters for the people started"),
        _("Practical matters for the people completed"),
        _("matters"),
    ),
    (
        "secretary_led",
        _("{value} secretary-led projects"),
        _("Secretary-led projects started"),
        _("Secretary-led projects completed"),
        _("items"),
    ),
)


def _of_kind(code: str, **narrower: Any) -> Callable[[], QuerySet[Problem]]:
    return lambda: Problem.objects.filter(kind__code=code, **narrower)


for _code, _sentence, _started, _done, _unit in KIND_FIGURES:
    register_metric(
        Metric(
            name=f"problems.raised_{_code}",
            sentence=_sentence,
            label=_started,
            unit=_unit,
            queryset=_of_kind(_code),
            org_field="org",
            date_field="raised_on",
            permission=VIEW,
            definition=_(
                "Count of the problem rows of this kind, dated by the day they were put "
                "on the ledger; a part of the problems put on the ledger."
            ),
            part_of="problems.raised",
        )
    )
    register_metric(
        Metric(
            name=f"problems.closed_{_code}",
            sentence=_sentence,
            label=_done,
            unit=_unit,
            queryset=_of_kind(_code, state=ProblemState.CLOSED),
            org_field="org",
            date_field="closed_on",
            permission=VIEW,
            definition=_(
                "Count of the problem rows of this kind now closed out (销号), dated by the "
                "sign-off day; a part of the problems closed out."
            ),
            part_of="problems.closed",
        )
    )

# 现场解决: problems raised and solved there and then during a visit, a part of those
# closed out (销号问题7个（其中现场解决3个）).
register_metric(
    Metric(
        name="problems.closed_on_spot",
        sentence=_("{value} solved on the spot"),
        label=_("Problems solved on the spot"),
        unit=_("items"),
        queryset=lambda: Problem.objects.filter(state=ProblemState.CLOSED, solved_on_spot=True),
        org_field="org",
        date_field="closed_on",
        permission=VIEW,
        definition=_(
            "Count of the closed-out problems marked as solved on the spot during a visit, "
            "dated by the sign-off day; a part of the problems closed out."
        ),
        part_of="problems.closed",
    )
)

# 领导交办 (issue 15): the instructions a unit received and completed, and the problems
# put on the ledger from one (a part of those listed: 新挂账问题15个（其中领导交办2个）).
register_metric(
    Metric(
        name="problems.raised_instruction",
        sentence=_("{value} from leaders' instructions"),
        label=_("Problems from leaders' instructions"),
        unit=_("items"),
        queryset=lambda: Problem.objects.filter(source=ProblemSource.INSTRUCTION),
        org_field="org",
        date_field="raised_on",
        permission=VIEW,
        definition=_(
            "Count of the problem rows whose source is a leader's instruction, dated by "
            "the day they were put on the ledger; a part of the problems put on the ledger."
        ),
        part_of="problems.raised",
    )
)
register_metric(
    Metric(
        name="problems.instructions",
        sentence=_("received {value} instructions from leaders"),
        label=_("Leaders' instructions received"),
        unit=pgettext_lazy("instruction", "items"),
        queryset=lambda: Instruction.objects.all(),
        org_field="org",
        date_field="issued_on",
        permission=VIEW,
        definition=_(
            "Count of the leaders' instructions (领导批示/交办) to the unit, dated by the "
            "day of the instruction."
        ),
    )
)
register_metric(
    Metric(
        name="problems.instructions_done",
        sentence=_("completed {value} instructions from leaders"),
        label=_("Leaders' instructions completed"),
        unit=pgettext_lazy("instruction", "items"),
        queryset=lambda: Instruction.objects.filter(state=InstructionState.DONE),
        org_field="org",
        date_field="done_on",
        permission=VIEW,
        definition=_(
            "Count of the leaders' instructions completed (办结) with their result, dated "
            "by the day of completion."
        ),
    )
)

# 调研课题 (issue 15): topics taken up, reports written, outcomes adopted, each its own
# figure (新立调研课题4个，形成调研报告2篇，成果转化3项).
register_metric(
    Metric(
        name="problems.research_topics",
        sentence=_("took up {value} research topics"),
        label=_("Research topics taken up"),
        unit=pgettext_lazy("research", "topics"),
        queryset=lambda: ResearchTopic.objects.all(),
        org_field="org",
        date_field="chosen_on",
        permission=VIEW,
        definition=_(
            "Count of the research topics (调研课题) of the unit, dated by the day the topic "
            "was chosen."
        ),
    )
)
register_metric(
    Metric(
        name="problems.research_reports",
        sentence=_("produced {value} research reports"),
        label=_("Research reports produced"),
        unit=pgettext_lazy("research", "reports"),
        queryset=lambda: ResearchTopic.objects.filter(report_on__isnull=False),
        org_field="org",
        date_field="report_on",
        permission=VIEW,
        definition=_(
            "Count of the research topics with a recorded report (调研报告), dated by the "
            "report date."
        ),
    )
)
register_metric(
    Metric(
        name="problems.research_outcomes",
        sentence=_("turned {value} research findings into practice"),
        label=_("Research outcomes adopted"),
        unit=pgettext_lazy("research", "outcomes"),
        queryset=lambda: ResearchOutcome.objects.all(),
        org_field="topic__org",
        date_field="adopted_on",
        permission=VIEW,
        definition=_(
            "Count of the outcomes adopted from research topics (成果转化: a policy "
            "document, a mechanism), dated by the day of adoption."
        ),
    )
)


def _instructions_due(viewer: Actor) -> QuerySet[Any]:
    from taizhang.problems.selectors import todo_instructions_due

    return todo_instructions_due(viewer=viewer)


register_todo(
    TodoKind(
        name="problems.instructions_due",
        label=_("Leaders' instructions due"),
        permission=MANAGE,
        items=_instructions_due,
        title=lambda instruction: f"{instruction.leader.name}：{instruction.title}",
        url=lambda instruction: reverse("problems:instruction_detail", args=[instruction.pk]),
        why=_(
            "A leader's instruction to your unit is overdue or due within a week: put its "
            "problems on the ledger and close them out, then report the result."
        ),
        due=lambda instruction: instruction.deadline,
        order=12,
    )
)

# Excel: the ledger's export and its import read the same columns (problems/imports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.problems.exports import EXPORT  # noqa: E402
from taizhang.problems.imports import IMPORTER  # noqa: E402

register_export(EXPORT)
register_importer(IMPORTER)

# Reminders (core.notify): what the ledger tells people, and when.
from taizhang.core.notify import Rule, register_rule  # noqa: E402

register_rule(
    Rule(
        code="problems.escalated",
        label=_("A problem is escalated to its linked leader"),
        description=_("Sent to the linked leader when an open problem passes its deadline."),
    )
)
register_rule(
    Rule(
        code="problems.sent_back",
        label=_("A problem is sent back"),
        description=_("Sent to the responsible person and whoever submitted the evidence."),
    )
)

# What the audit administrator reads (core.audit_review).
register_audit_review("problem_kind.*", _("Problem kinds"))


# The person pickers of the problems forms (issue 18): the candidates each field accepts.
from taizhang.core.registry import PersonSource, register_person_source  # noqa: E402
from taizhang.people.selectors import leader_candidates  # noqa: E402
from taizhang.problems.selectors import responsible_candidates  # noqa: E402

register_person_source(
    PersonSource("problems.linked_leader", "problems.manage", lambda viewer: leader_candidates())
)
register_person_source(
    PersonSource(
        "problems.responsible",
        "problems.manage",
        lambda viewer: responsible_candidates(viewer=viewer),
    )
)

# The co-units picker (issue 18): any unit the forms offer as lead or co-unit.
from taizhang.core.registry import OrgSource, register_org_source  # noqa: E402
from taizhang.problems.selectors import unit_choices  # noqa: E402

register_org_source(
    OrgSource("problems.co_units", "problems.manage", lambda viewer: unit_choices(viewer=viewer))
)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "problem_ids": _("Problem numbers"),
    },
    object_type="problems.problem",
)
register_audit_fields(
    {
        "occurred_on": _("Date reached"),
        "outcome": _("What was adopted"),
        "adopted_on": _("Adopted on"),
    },
    object_type="problems.researchtopic",
)
