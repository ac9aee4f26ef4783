"""Reads of persons and positions through the viewer's data scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from taizhang.organizations.models import OrgKind
from taizhang.organizations.scope import scope_for
from taizhang.people.models import Person, Position, PositionTitle

VIEW = "people.view"
VIEW_PERSONAL = "people.view_personal"


def person_list(
    *, viewer: Any, organization_id: int | None = None, q: str = "", subtree_of: Any = None
) -> QuerySet[Person]:
    qs = Person.objects.filter(scope_for(viewer, VIEW).records_q(org_field="organization"))
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if subtree_of is not None:
        lower, upper = subtree_of.subtree_bounds
        qs = qs.filter(organization__path__gte=lower, organization__path__lt=upper)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.select_related("organization", "membership__branch")


def get_person_for_viewer(viewer: Any, pk: Any) -> Person:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    person = (
        person_list(viewer=viewer)
        .prefetch_related(
            Prefetch(
                "positions",
                queryset=Position.objects.select_related("organization").order_by("-start_date"),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404
    return person


def can_view_personal(viewer: Any, person: Person) -> bool:
    """Whether the viewer may see this person's unmasked personal data."""
    return scope_for(viewer, VIEW_PERSONAL).covers(person.organization)


def current_positions(*, viewer: Any, organization: Any) -> QuerySet[Position]:
    """Positions held now in ``organization``, when the viewer may see its people."""
    today = timezone.localdate()
    scope = scope_for(viewer, VIEW)
    if not scope.covers(organization):
        return Position.objects.none()
    return (
        Position.objects.filter(organization=organization, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("person")
        .order_by("title", "person__name")
    )


# Who may be a linked leader (挂钩领导), one rule for every module: the current holder of
# a leading position in the district committee, a working committee or a government
# organ. They hold public office, so every clerk may pick them whatever her data scope.
LEADER_TITLES = (
    PositionTitle.SECRETARY,
    PositionTitle.DEPUTY_SECRETARY,
    PositionTitle.LEADER,
    PositionTitle.DIRECTOR,
    PositionTitle.DEPUTY_DIRECTOR,
)
LEADER_ORG_KINDS = (OrgKind.DISTRICT_COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.ORGAN)


def leader_candidates() -> QuerySet[Person]:
    """Persons who may be linked leaders, in tree order (projects, problems, …)."""
    today = timezone.localdate()
    holders = Position.objects.filter(
        title__in=LEADER_TITLES,
        organization__kind__in=LEADER_ORG_KINDS,
        start_date__lte=today,
    ).exclude(end_date__lt=today)
    return (
        Person.objects.filter(pk__in=holders.values("person_id"))
        .select_related("organization")
        .order_by("organization__path", "name", "pk")
    )


def is_leader_candidate(person: Person) -> bool:
    return leader_candidates().filter(pk=person.pk).exists()
