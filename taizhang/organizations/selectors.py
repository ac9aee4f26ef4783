"""Reads of the organization tree, always through the ORGANIZATION policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION


def organization_list(
    *, viewer: Actor, parent_id: int | None = None, kind: str | None = None, q: str = ""
) -> QuerySet[Organization]:
    """Organizations in scope; filters only narrow the scope, never widen it."""
    qs = ORGANIZATION.queryset(viewer)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("path")


def get_organization_for_viewer(viewer: Actor, pk: Any) -> Organization:
    """The organization, or the same 404 whether it is missing or out of scope."""
    return ORGANIZATION.get(viewer, pk)


def _with_has_children(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    return qs.annotate(has_children=Exists(Organization.objects.filter(parent_id=OuterRef("pk"))))


def organization_roots(*, viewer: Actor) -> list[Organization]:
    """The top-most organizations of the viewer's scope: where the tree browser starts."""
    orgs = list(
        _with_has_children(organization_list(viewer=viewer)).filter(pk__in=_root_ids(viewer))
    )
    return sorted(orgs, key=lambda o: (o.depth, o.sort_order, o.path))


def _root_ids(viewer: Actor) -> list[int]:
    # The one read that needs the scope's parts, not only its filter: where each
    # granted subtree starts.
    scope = ORGANIZATION.scope(viewer)
    roots = list(scope.subtree_paths)
    ids = Organization.objects.filter(path__in=roots).values_list("pk", flat=True)
    listed = Organization.objects.filter(pk__in=sorted(scope.org_ids)).only("path")
    extra = [o.pk for o in listed if not any(o.path.startswith(p) for p in roots)]
    return [*ids, *extra]


def organization_children(*, viewer: Actor, parent: Organization) -> list[Organization]:
    """Children of ``parent`` that are in scope, with whether each has children."""
    qs = organization_list(viewer=viewer, parent_id=parent.pk)
    return list(_with_has_children(qs).order_by("sort_order", "path"))


def organization_breadcrumbs(*, viewer: Actor, org: Organization) -> list[Organization]:
    """The ancestors of ``org`` that the viewer may see, root first."""
    return list(organization_list(viewer=viewer).filter(path__in=org.ancestor_paths()))


def organization_version_at(org: Organization, on: Any) -> Any:
    """The dated version (name, parent) of ``org`` valid on ``on``."""
    return (
        org.versions.filter(valid_from__lte=on)
        .exclude(valid_to__isnull=False, valid_to__lte=on)
        .order_by("-valid_from")
        .first()
    )
