"""Reads of the problem ledger, always through the viewer's data scope.

A viewer sees a problem when ``problems.view`` covers its owning organization or its
lead unit (the unit doing the work sees what it must fix). Filters only narrow.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.scope import scope_for
from taizhang.people.models import Person, PositionTitle
from taizhang.problems.models import OPEN_STATES, Problem, ProblemState, ProblemStep

VIEW = "problems.view"
VERIFY = "problems.verify"
MANAGE = "problems.manage"

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
LEADER_TITLES = (
    PositionTitle.LEADER,
    PositionTitle.SECRETARY,
    PositionTitle.DEPUTY_SECRETARY,
)
# Units that own problems in forms: not the single Party branches of buildings.
OWNER_KINDS_EXCLUDED = (OrgKind.BRANCH, OrgKind.BUILDING, OrgKind.GENERAL_BRANCH, OrgKind.GRID)


def _scope_q(viewer: Any, permission: str = VIEW) -> Q:
    scope = scope_for(viewer, permission)
    return scope.records_q(org_field="org") | scope.records_q(org_field="lead_unit")


def _with_relations(qs: QuerySet[Problem]) -> QuerySet[Problem]:
    return qs.select_related("org", "lead_unit", "kind", "linked_leader", "responsible", "verifier")


def overdue_q(today: dt.date | None = None) -> Q:
    return Q(state__in=OPEN_STATES, deadline__lt=today or timezone.localdate())


def problem_list(
    *,
    viewer: Any,
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
) -> QuerySet[Problem]:
    """Problems in scope, narrowed by the filters and ordered by a fixed sort key."""
    qs = Problem.objects.filter(_scope_q(viewer))
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
        qs = qs.filter(
            Q(org__path__gte=lower, org__path__lt=upper)
            | Q(lead_unit__path__gte=lower, lead_unit__path__lt=upper)
        )
    if overdue:
        qs = qs.filter(overdue_q())
    if linked_to_viewer:
        person_id = getattr(viewer, "person_id", None)
        qs = qs.filter(linked_leader_id=person_id) if person_id else qs.none()
    if awaiting_my_sign_off:
        qs = qs.filter(state=ProblemState.PENDING).filter(
            scope_for(viewer, VERIFY).records_q(org_field="lead_unit")
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


def get_problem_for_viewer(viewer: Any, pk: Any) -> Problem:
    """The problem, or the same 404 whether it is missing or out of scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    problem = (
        problem_list(viewer=viewer)
        .filter(pk=pk)
        .select_related("verifier", "created_by")
        .prefetch_related("co_units")
        .first()
    )
    if problem is None:
        raise Http404
    return problem


def problem_steps(problem: Problem) -> QuerySet[ProblemStep]:
    """The dated history of a problem the caller already read through a selector."""
    return problem.steps.prefetch_related("evidence").order_by("occurred_at", "pk")


def problem_counts(*, viewer: Any, **filters: Any) -> dict[str, int]:
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


def problems_for_origin(*, viewer: Any, origin_type: str, origin_id: int) -> QuerySet[Problem]:
    """Problems raised on one record of another module (a project's blockers)."""
    return problem_list(viewer=viewer, sort="deadline").filter(
        origin_type=origin_type, origin_id=origin_id
    )


def open_blockers_by_origin(
    *, viewer: Any, origin_type: str, origin_ids: list[int]
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


def _current_positions_q(prefix: str = "positions__") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}start_date__lte": today}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today})
    )


def leader_candidates() -> QuerySet[Person]:
    """District and subdistrict leaders: who can be a linked leader (挂钩领导).

    They hold public office, so every clerk may pick them whatever her data scope.
    """
    return (
        Person.objects.filter(
            _current_positions_q(),
            positions__title__in=LEADER_TITLES,
            positions__organization__depth__lte=2,
        )
        .select_related("organization")
        .distinct()
        .order_by("organization__path", "name", "pk")
    )


def is_leader_candidate(person: Person) -> bool:
    return leader_candidates().filter(pk=person.pk).exists()


def responsible_candidates(*, viewer: Any) -> QuerySet[Person]:
    """Office holders in the viewer's scope who can answer for a problem."""
    scope = scope_for(viewer, VIEW)
    return (
        Person.objects.filter(
            scope.records_q(org_field="organization"),
            _current_positions_q(),
        )
        .exclude(positions__title=PositionTitle.BUILDING_LEADER)
        .filter(positions__title__isnull=False)
        .select_related("organization")
        .distinct()
        .order_by("organization__path", "name", "pk")
    )


def owner_choices(*, viewer: Any, permission: str = MANAGE) -> QuerySet[Organization]:
    """Organizations the viewer may put problems on (units, not single branches)."""
    return (
        Organization.objects.filter(scope_for(viewer, permission).org_q())
        .exclude(kind__in=OWNER_KINDS_EXCLUDED)
        .order_by("path")
    )
