"""Reads of the problem ledger, always through the scope policy (``permissions.POLICY``).

A viewer sees a problem when ``problems.view`` covers its owning organization or its
lead unit (the unit doing the work sees what it must fix), or, with an own-records
grant, when she put it on the ledger. Filters only narrow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import SEGMENT_WIDTH, Organization, OrgKind
from taizhang.organizations.policy import unknown_message
from taizhang.organizations.scope import Scope
from taizhang.people.models import Person, PositionTitle
from taizhang.people.permissions import PERSON
from taizhang.problems.models import (
    OPEN_STATES,
    Instruction,
    InstructionState,
    Problem,
    ProblemState,
    ProblemStep,
    ResearchStage,
    ResearchTopic,
    StepAction,
)
from taizhang.problems.permissions import (
    INSTRUCTION_POLICY,
    MANAGE,
    POLICY,
    RESEARCH_POLICY,
    VERIFY,
)

# Request sort keys → ORDER BY; nothing else reaches order_by.
SORTS: dict[str, tuple[str, ...]] = {
    "raised": ("raised_on", "pk"),
    "-raised": ("-raised_on", "-pk"),
    "deadline": ("deadline", "pk"),
    "-deadline": ("-deadline", "-pk"),
    "state": ("state", "deadline", "pk"),
    "org": ("org__path", "deadline", "pk"),
}
DEFAULT_SORT = "-raised"
# Units that own problems in forms: not the single Party branches of buildings.
OWNER_KINDS_EXCLUDED = (OrgKind.BRANCH, OrgKind.BUILDING, OrgKind.GENERAL_BRANCH, OrgKind.GRID)
# Units of the district any clerk may name as lead unit or co-unit, whatever her scope
# (work across the tree: a subdistrict hands a blocker to a district bureau). Naming one
# shows that item to it and grants the clerk nothing over the unit's other items.
DISTRICT_UNIT_KINDS = (OrgKind.ORGAN, OrgKind.WORKING_COMMITTEE, OrgKind.DISTRICT_COMMITTEE)


def _with_relations(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    return qs.select_related("org", "lead_unit", "kind", "linked_leader", "responsible", "verifier")


def _by_org_fields(orgs: QuerySet[Organization]) -> QuerySet[Problem]:
    """The ids of problems whose owning organization or lead unit is one of ``orgs``,
    as a union of one query per field: each part uses that field's index, where an OR
    across the two joined organizations makes the database scan every problem."""
    org_ids = orgs.values("pk")
    parts = [
        Problem.objects.filter(**{f"{name}_id__in": org_ids}).order_by().values("pk")
        for name in POLICY.org_fields
    ]
    return parts[0].union(*parts[1:])  # type: ignore[return-value]


def _covered(scope: Scope, org: Organization) -> bool:
    """Whether ``org``'s whole subtree lies in the scope's subtrees."""
    return any(org.path.startswith(path) for path in scope.subtree_paths)


def in_scope(
    viewer: Actor | None, permission: str | None = None, *, within: Organization | None = None
) -> QuerySet[Problem]:
    """``POLICY.queryset(viewer, permission)`` (narrowed to ``within``'s subtree on the
    owning organization or the lead unit), the same rows written as ``pk IN (a union)``
    so that each part of "owning unit or lead unit in scope" uses an index.

    When ``within`` lies inside the viewer's subtrees its subtree alone decides (a row
    there is in scope through that field); otherwise both conditions apply."""
    scope = POLICY.scope(viewer, permission)
    rows = Problem.objects.all()
    if POLICY.extra:  # pragma: no cover - the problem policy has no cross-tree rule
        rows = POLICY.queryset(viewer, permission)
        scope = dataclasses.replace(scope, unrestricted=True)
    # The tree has one root (organizations.services): its subtree holds every row, so
    # a filter on it narrows nothing and a subtree grant on it is the whole ledger.
    if within is not None and within.depth == 1:
        within = None
    if any(len(path) == SEGMENT_WIDTH for path in scope.subtree_paths):
        scope = dataclasses.replace(scope, unrestricted=True)
    if within is not None:
        lower, upper = within.subtree_bounds
        rows = rows.filter(
            pk__in=_by_org_fields(Organization.objects.filter(path__gte=lower, path__lt=upper))
        )
        if scope.unrestricted or _covered(scope, within):
            return rows
    if scope.unrestricted:
        return rows
    if scope.subtree_paths or scope.org_ids:
        ids = _by_org_fields(Organization.objects.filter(scope.org_q()))
        if POLICY.owner_field and scope.own_records and scope.user_id is not None:
            own = Problem.objects.filter(**{f"{POLICY.owner_field}_id": scope.user_id})
            ids = ids.union(own.order_by().values("pk"))
        return rows.filter(pk__in=ids)
    if POLICY.owner_field and scope.own_records and scope.user_id is not None:
        return rows.filter(**{f"{POLICY.owner_field}_id": scope.user_id})
    return rows.none()


def mine_q(viewer: Actor) -> Q:
    """What "mine" (与我相关) means on the problem ledger: the viewer's person is the
    linked leader or the responsible person, or the viewer put the problem on it."""
    q = Q(created_by_id=viewer.pk) if viewer.pk is not None else Q(pk__in=[])
    person_id = getattr(viewer, "person_id", None)
    if person_id:
        q |= Q(linked_leader_id=person_id) | Q(responsible_id=person_id)
    return q


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(state__in=OPEN_STATES, deadline__lt=today or timezone.localdate())


def problem_list(
    *,
    viewer: Actor,
    state: str = "",
    kind: int | str | None = None,
    source: str = "",
    category: str = "",
    subtree_of: Organization | None = None,
    overdue: bool = False,
    linked_to_viewer: bool = False,
    awaiting_my_sign_off: bool = False,
    q: str = "",
    sort: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Problem]:
    """Problems in scope, narrowed by the filters and ordered by a fixed sort key.

    ``ledger`` (the shared list filters): organization on the owning org or the lead
    unit, dates on the day the problem was put on the ledger, "mine" as ``mine_q``.
    The scope and the organization filter are written as unions (``in_scope``)."""
    # The organization filter is applied by ``in_scope``; the rest by the ledger filter.
    qs = dataclasses.replace(ledger, org=None).narrow(
        in_scope(viewer, within=ledger.org),
        org_fields=POLICY.org_fields,
        date_field="raised_on",
        mine_q=mine_q(viewer),
    )
    if state in ProblemState.values:
        qs = qs.filter(state=state)
    elif state == "active":
        qs = qs.filter(state__in=OPEN_STATES)
    if kind:
        try:
            qs = qs.filter(kind_id=int(kind))
        except (TypeError, ValueError):
            qs = qs.none()
    if source:
        qs = qs.filter(source=source)
    if category:
        qs = qs.filter(category=category)
    if subtree_of is not None:
        lower, upper = subtree_of.subtree_bounds
        subtree = Organization.objects.filter(path__gte=lower, path__lt=upper)
        qs = qs.filter(pk__in=_by_org_fields(subtree))
    if overdue:
        qs = qs.filter(overdue_q())
    if linked_to_viewer:
        person_id = getattr(viewer, "person_id", None)
        qs = qs.filter(linked_leader_id=person_id) if person_id else qs.none()
    if awaiting_my_sign_off:
        qs = qs.filter(state=ProblemState.PENDING).filter(
            POLICY.scope(viewer, VERIFY).records_q(org_field="lead_unit")
        )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if sort == "urgent":
        # Open items first, the most overdue on top: what a linked leader chases.
        qs = qs.annotate(
            is_closed=Case(When(state=ProblemState.CLOSED, then=1), default=0)
        ).order_by("is_closed", "deadline", "pk")
        return _with_relations(qs)
    return _with_relations(qs).order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def get_problem_for_viewer(viewer: Actor, pk: Any) -> Problem:
    """The problem, or the same 404 whether it is missing or out of scope."""
    base = _with_relations(Problem.objects.all()).select_related("created_by")
    return POLICY.get(viewer, pk, base=base.prefetch_related("co_units"))


def problem_steps(problem: Problem) -> QuerySet[ProblemStep]:
    """The dated history of a problem the caller already read through a selector."""
    return problem.steps.prefetch_related("evidence").order_by("occurred_at", "pk")


def problem_counts(*, viewer: Actor, **filters: Any) -> dict[str, int]:
    """How many problems in scope (and ``filters``) per state, plus ``overdue`` and
    ``total``: one query."""
    rows = (
        problem_list(viewer=viewer, **filters)
        .order_by()
        .aggregate(
            total=Count("pk"),
            overdue=Count("pk", filter=overdue_q()),
            **{state: Count("pk", filter=Q(state=state)) for state in ProblemState.values},
        )
    )
    return {key: value or 0 for key, value in rows.items()}


def problems_for_origin(*, viewer: Actor, origin_type: str, origin_id: int) -> QuerySet[Problem]:
    """Problems raised on one record of another module (a project's blockers)."""
    return problem_list(viewer=viewer, sort="deadline").filter(
        origin_type=origin_type, origin_id=origin_id
    )


def open_blockers_by_origin(
    *, viewer: Actor, origin_type: str, origin_ids: list[int]
) -> dict[int, list[Problem]]:
    """Open problems of many origins at once, grouped by origin id: one query."""
    if not origin_ids:
        return {}
    grouped: dict[int, list[Problem]] = defaultdict(list)
    rows = problem_list(viewer=viewer, state="active", sort="deadline").filter(
        origin_type=origin_type, origin_id__in=origin_ids
    )
    for problem in rows:
        grouped[int(problem.origin_id or 0)].append(problem)
    return dict(grouped)


# --- to-dos (the workbench reads these through ``manifest.py``) ----------------------

# How far ahead a deadline puts a problem on the list of the unit working it.
DUE_SOON_DAYS = 7


def _todo_rows(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    """What a to-do line reads (number, title, deadline): no query per item."""
    return qs.select_related("kind")


def todo_to_verify(*, viewer: Actor) -> QuerySet[Problem]:
    """Problems awaiting sign-off that this viewer may close out: ``problems.verify`` on
    the lead unit, a person of her own who is not the responsible one, and (unless the
    kind allows it) she neither put the item on the ledger nor submitted its evidence
    (``permissions.can(viewer, "verify", …)`` in one query). Most overdue first."""
    person_id = getattr(viewer, "person_id", None)
    if person_id is None:
        return Problem.objects.none()
    last_submitter = Subquery(
        ProblemStep.objects.filter(problem=OuterRef("pk"), action=StepAction.SUBMIT)
        .order_by("-occurred_at", "-pk")
        .values("actor_id")[:1],
        output_field=IntegerField(),
    )
    qs = (
        POLICY.queryset(viewer)
        .filter(state=ProblemState.PENDING)
        .filter(POLICY.scope(viewer, VERIFY).records_q(org_field="lead_unit"))
        .exclude(responsible_id=person_id)
    )
    if viewer.pk is not None:
        qs = qs.annotate(submitted_by=Coalesce(last_submitter, Value(0))).filter(
            Q(kind__self_close_allowed=True)
            | (~Q(created_by_id=viewer.pk) & ~Q(submitted_by=viewer.pk))
        )
    return _todo_rows(qs).order_by("deadline", "submitted_on", "pk")


def todo_to_work_on(*, viewer: Actor, today: dt.date | None = None) -> QuerySet[Problem]:
    """Problems on the ledger or being fixed that the viewer works (``problems.manage`` on
    the owning org or the lead unit) and that are overdue or due within
    ``DUE_SOON_DAYS`` days: to start, or to finish and submit. Most overdue first."""
    day = today or timezone.localdate()
    return _todo_rows(
        POLICY.queryset(viewer, MANAGE).filter(
            state__in=(ProblemState.OPEN, ProblemState.IN_PROGRESS),
            deadline__lte=day + dt.timedelta(days=DUE_SOON_DAYS),
        )
    ).order_by("deadline", "pk")


def todo_escalated_to_me(*, viewer: Actor) -> QuerySet[Problem]:
    """Problems escalated past their deadline and not closed out whose linked leader is
    the viewer's person (挂钩领导督办), among those she may see. Most overdue first."""
    person_id = getattr(viewer, "person_id", None)
    if person_id is None:
        return Problem.objects.none()
    return _todo_rows(
        POLICY.queryset(viewer).filter(
            linked_leader_id=person_id, state__in=OPEN_STATES, escalated_on__isnull=False
        )
    ).order_by("deadline", "pk")


def _current_positions_q(prefix: str = "positions__") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}start_date__lte": today}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today})
    )


def responsible_candidates(*, viewer: Actor) -> QuerySet[Person]:
    """Office holders the viewer may see (the one rule for persons, ``PERSON``) who can
    answer for a problem."""
    return (
        PERSON.queryset(viewer)
        .filter(_current_positions_q())
        .exclude(positions__title=PositionTitle.BUILDING_LEADER)
        .filter(positions__title__isnull=False)
        .select_related("organization")
        .distinct()
        .order_by("organization__path", "name", "pk")
    )


def owner_choices(*, viewer: Actor, permission: str = MANAGE) -> QuerySet[Organization]:
    """Organizations the viewer may put problems on (units, not single branches)."""
    return POLICY.org_choices(viewer, permission).exclude(kind__in=OWNER_KINDS_EXCLUDED)


def unit_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Lead units and co-units the viewer may name: the owners she may put problems on,
    and the units of the district (organs, working committees, the district committee)."""
    return (
        Organization.objects.filter(
            Q(pk__in=owner_choices(viewer=viewer).values("pk")) | Q(kind__in=DISTRICT_UNIT_KINDS)
        )
        .exclude(kind__in=OWNER_KINDS_EXCLUDED)
        .order_by("path")
    )


def pick(choices: QuerySet[Any], pk: Any, *, field: str) -> Any:
    """One row of a choice set named by id in a payload: the same ``ValidationError`` (API:
    422) whether it does not exist or is not offered to this viewer."""
    row = choices.filter(pk=pk).first() if isinstance(pk, int) else None
    if row is None:
        raise ValidationError({field: unknown_message()})
    return row


# --- 领导交办: leaders' instructions ----------------------------------------------------


def instruction_list(
    *, viewer: Actor | None, state: str = "", overdue: bool = False, q: str = ""
) -> QuerySet[Instruction]:
    """The instructions the viewer sees, with the number of problems raised from each
    and of those still open (one query)."""
    raised = Problem.objects.filter(
        origin_type="problems.instruction", origin_id=OuterRef("pk")
    ).order_by()
    rows = (
        INSTRUCTION_POLICY.queryset(viewer)
        .select_related("org", "leader")
        .annotate(
            problem_count=Coalesce(
                Subquery(raised.values("origin_id").annotate(n=Count("pk")).values("n")), 0
            ),
            open_count=Coalesce(
                Subquery(
                    raised.filter(state__in=OPEN_STATES)
                    .values("origin_id")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
    )
    if state:
        rows = rows.filter(state=state)
    if overdue:
        rows = rows.filter(state=InstructionState.OPEN, deadline__lt=timezone.localdate())
    if q:
        rows = rows.filter(title__icontains=q)
    return rows.order_by("-state", "deadline", "-pk")  # being handled (open) first


def get_instruction_for_viewer(viewer: Actor | None, pk: Any) -> Instruction:
    return INSTRUCTION_POLICY.get(
        viewer, pk, base=Instruction.objects.select_related("org", "leader")
    )


def instruction_problems_for_viewer(viewer: Actor | None, instruction: Any) -> QuerySet[Any]:
    """The problems raised from the instruction that the viewer sees."""
    return (
        POLICY.queryset(viewer)
        .filter(origin_type="problems.instruction", origin_id=instruction.pk)
        .select_related("org", "lead_unit")
        .order_by("-raised_on", "-pk")
    )


def todo_instructions_due(*, viewer: Actor | None, within_days: int = 7) -> QuerySet[Any]:
    """Instructions being handled in the viewer's manage scope that are overdue or due
    within a week, soonest first."""
    soon = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        INSTRUCTION_POLICY.queryset(viewer, MANAGE)
        .filter(state=InstructionState.OPEN, deadline__lte=soon)
        .select_related("leader")
        .order_by("deadline", "pk")
    )


# --- 调研课题: research topics -----------------------------------------------------------


def research_list(*, viewer: Actor | None, stage: str = "", q: str = "") -> QuerySet[ResearchTopic]:
    """The research topics the viewer sees, with the number of problems raised from each
    and of outcomes adopted (one query)."""
    raised = Problem.objects.filter(
        origin_type="problems.researchtopic", origin_id=OuterRef("pk")
    ).order_by()
    rows = (
        RESEARCH_POLICY.queryset(viewer)
        .select_related("org", "lead_leader")
        .annotate(
            problem_count=Coalesce(
                Subquery(raised.values("origin_id").annotate(n=Count("pk")).values("n")), 0
            ),
            outcome_count=Count("outcomes", distinct=True),
        )
    )
    if stage:
        rows = rows.filter(stage=stage)
    if q:
        rows = rows.filter(title__icontains=q)
    return rows.order_by("-chosen_on", "-pk")


def research_stage_counts(*, viewer: Actor | None, q: str = "") -> list[tuple[str, str, int]]:
    """(stage, label, how many of the viewer's topics are at it), in the flow's order."""
    rows = RESEARCH_POLICY.queryset(viewer)
    if q:
        rows = rows.filter(title__icontains=q)
    counted = dict(rows.order_by().values_list("stage").annotate(n=Count("pk")))
    return [(value, str(label), counted.get(value, 0)) for value, label in ResearchStage.choices]


def get_research_for_viewer(viewer: Actor | None, pk: Any) -> ResearchTopic:
    return RESEARCH_POLICY.get(
        viewer, pk, base=ResearchTopic.objects.select_related("org", "lead_leader")
    )


def research_problems_for_viewer(viewer: Actor | None, topic: Any) -> QuerySet[Any]:
    """The problems raised from the research topic that the viewer sees."""
    return (
        POLICY.queryset(viewer)
        .filter(origin_type="problems.researchtopic", origin_id=topic.pk)
        .select_related("org", "lead_unit")
        .order_by("-raised_on", "-pk")
    )
