"""Reads of persons, positions and 双报到 reports, through the ``PERSON`` and
``COMMUNITY_REPORT`` policies."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization, OrgKind
from taizhang.people.models import (
    CommunityReport,
    Person,
    PersonTransfer,
    Position,
    PositionTitle,
)
from taizhang.people.permissions import (
    COMMUNITY_REPORT,
    PERSON,
    PERSON_TRANSFER,
    can_view_personal,
    current_reports_q,
)

__all__ = ["can_view_personal"]


def person_list(
    *,
    viewer: Actor,
    organization_id: int | None = None,
    q: str = "",
    subtree_of: Organization | None = None,
    external: bool | None = None,
) -> QuerySet[Person]:
    """Persons the viewer sees (members reported to her communities included);
    filters only narrow it."""
    qs = PERSON.queryset(viewer)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if subtree_of is not None:
        lower, upper = subtree_of.subtree_bounds
        qs = qs.filter(organization__path__gte=lower, organization__path__lt=upper)
    if external is not None:
        qs = qs.filter(is_external=external)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.select_related("organization", "membership__branch")


def get_person_for_viewer(viewer: Actor, pk: Any) -> Person:
    """One person with their positions, or the same 404 for missing and hidden."""
    base = Person.objects.select_related("organization", "membership__branch").prefetch_related(
        Prefetch(
            "positions",
            queryset=Position.objects.select_related("organization").order_by("-start_date"),
        )
    )
    return PERSON.get(viewer, pk, base=base)


def person_positions(*, viewer: Actor, person: Person) -> QuerySet[Position]:
    """All positions of a person the viewer sees, past and present, newest first."""
    return (
        Position.objects.filter(person__in=PERSON.queryset(viewer).filter(pk=person.pk))
        .select_related("organization")
        .order_by("-start_date", "-pk")
    )


def person_transfers(*, viewer: Actor, person: Person) -> QuerySet[PersonTransfer]:
    """The person's 调动 history, as far as the viewer sees either end."""
    return (
        PERSON_TRANSFER.queryset(viewer)
        .filter(person=person)
        .select_related("from_org", "to_org")
        .order_by("-transferred_on", "-pk")
    )


def current_positions(*, viewer: Actor, organization: Organization) -> QuerySet[Position]:
    """Positions held now in ``organization``, when the viewer may see its people."""
    today = timezone.localdate()
    if not PERSON.scope(viewer).covers(organization):
        return Position.objects.none()
    return (
        Position.objects.filter(organization=organization, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("person")
        .order_by("title", "person__name")
    )


def community_reports(
    *, viewer: Actor, community: Organization, current: bool = True
) -> QuerySet[CommunityReport]:
    """The 双报到 reports of ``community`` the viewer sees, newest first; only those in
    force today unless ``current`` is False."""
    qs = COMMUNITY_REPORT.queryset(viewer).filter(community=community)
    if current:
        qs = qs.filter(current_reports_q())
    return qs.select_related("person__organization").order_by("-reported_on", "pk")


def get_community_report_for_viewer(viewer: Actor, pk: Any) -> CommunityReport:
    return COMMUNITY_REPORT.get(
        viewer, pk, base=CommunityReport.objects.select_related("community", "person")
    )


# Who may be a linked leader (挂钩领导), one rule for every module: the current holder of
# a leading position in the district committee, a working committee, a subdistrict
# office or a government organ. They hold public office, so every clerk may pick them
# whatever her data scope.
LEADER_TITLES = (
    PositionTitle.SECRETARY,
    PositionTitle.DEPUTY_SECRETARY,
    PositionTitle.LEADER,
    PositionTitle.DIRECTOR,
    PositionTitle.DEPUTY_DIRECTOR,
)
LEADER_ORG_KINDS = (
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.SUBDISTRICT,
    OrgKind.ORGAN,
)


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
