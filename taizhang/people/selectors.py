"""Reads of persons and positions through the viewer's data scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from taizhang.organizations.scope import scope_for
from taizhang.people.models import Person, Position

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
