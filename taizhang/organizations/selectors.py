"""Reads of the organization tree, always through the ORGANIZATION policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from taizhang.core.actors import Actor
from taizhang.organizations.models import Grouping, GroupingMembership, Organization
from taizhang.organizations.permissions import GROUPING, ORGANIZATION, VIEW

PICK_LIMIT = 20


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


def organization_table(
    *, viewer: Actor, subtree_of: Organization | None = None, q: str = ""
) -> QuerySet[Organization]:
    """The units of the tree page's export: the viewer's scope, within the chosen unit's
    subtree, matching the search box (name, short name or code), in tree order."""
    qs = ORGANIZATION.queryset(viewer)
    if subtree_of is not None:
        lower, upper = subtree_of.subtree_bounds
        qs = qs.filter(path__gte=lower, path__lt=upper)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__iexact=q))
    return qs.order_by("path")


def get_organization_for_viewer(viewer: Actor, pk: Any) -> Organization:
    """The organization, or the same 404 whether it is missing or out of scope."""
    return ORGANIZATION.get(viewer, pk)


def _with_has_children(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    return qs.annotate(has_children=Exists(Organization.objects.filter(parent_id=OuterRef("pk"))))


def organization_roots(*, viewer: Actor, permission: str = VIEW) -> list[Organization]:
    """The top-most organizations of the viewer's scope (for ``permission``): where the
    tree browser and the picker's tree start."""
    qs = ORGANIZATION.queryset(viewer, permission).order_by("path")
    orgs = list(_with_has_children(qs).filter(pk__in=_root_ids(viewer, permission)))
    return sorted(orgs, key=lambda o: (o.depth, o.sort_order, o.path))


def organization_children_in(
    *, viewer: Actor, parent: Organization, permission: str
) -> list[Organization]:
    """Children of ``parent`` where the viewer holds ``permission``, with whether each
    has children (the picker's tree)."""
    qs = ORGANIZATION.queryset(viewer, permission).filter(parent_id=parent.pk)
    return list(_with_has_children(qs).order_by("sort_order", "path"))


def _root_ids(viewer: Actor, permission: str = VIEW) -> list[int]:
    # The one read that needs the scope's parts, not only its filter: where each
    # granted subtree starts.
    scope = ORGANIZATION.scope(viewer, permission)
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


@dataclass(frozen=True)
class Found:
    """One search hit, with the names of its visible ancestors (root first) so units of
    the same name can be told apart."""

    org: Organization
    ancestors: tuple[str, ...]

    @property
    def path_label(self) -> str:
        return " › ".join(self.ancestors)


def organization_search(
    *,
    viewer: Actor,
    q: str,
    permission: str = VIEW,
    open_only: bool = False,
    limit: int = PICK_LIMIT,
    within: QuerySet[Organization] | None = None,
) -> list[Found]:
    """Organizations where ``viewer`` holds ``permission`` (or, given ``within``, among
    those), matching ``q`` in name, short name or code; exact code matches first. Two
    queries, whatever the number of hits."""
    q = q.strip()
    if not q:
        return []
    base = ORGANIZATION.queryset(viewer, permission) if within is None else within
    qs = base.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__iexact=q))
    if open_only:
        qs = qs.filter(closed_on__isnull=True)
    hits = sorted(
        qs.order_by("depth", "path")[: limit * 2],
        key=lambda o: (o.code.lower() != q.lower(), o.name != q, o.depth, o.path),
    )[:limit]
    wanted = {p for org in hits for p in org.ancestor_paths()}
    names = dict(
        organization_list(viewer=viewer).filter(path__in=wanted).values_list("path", "short_name")
    )
    return [Found(org, tuple(names[p] for p in org.ancestor_paths() if p in names)) for org in hits]


def organization_pick_one(
    *, viewer: Actor, text: str, permission: str, open_only: bool = True
) -> list[Organization]:
    """What a typed value names without JavaScript: the organization with that code, or
    else those with exactly that name or short name (several: the caller asks to choose)."""
    text = text.strip()
    if not text:
        return []
    qs = ORGANIZATION.queryset(viewer, permission)
    if open_only:
        qs = qs.filter(closed_on__isnull=True)
    by_code = list(qs.filter(code=text))
    if by_code:
        return by_code
    return list(qs.filter(Q(name=text) | Q(short_name=text)).order_by("path")[:PICK_LIMIT])


# --- groupings -----------------------------------------------------------------------


def grouping_list(*, viewer: Actor, owner: Organization | None = None) -> QuerySet[Grouping]:
    qs = GROUPING.queryset(viewer).select_related("owner")
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.order_by("name", "pk")


def get_grouping_for_viewer(viewer: Actor, pk: Any) -> Grouping:
    return GROUPING.get(viewer, pk, base=Grouping.objects.select_related("owner"))


def _current_q(on: dt.date) -> Q:
    return (Q(joined_on__isnull=True) | Q(joined_on__lte=on)) & (
        Q(left_on__isnull=True) | Q(left_on__gt=on)
    )


def grouping_memberships(*, viewer: Actor, grouping: Grouping) -> list[GroupingMembership]:
    """Every membership, current and past, of units ``viewer`` may see: a grouping
    never reveals an organization outside the viewer's scope."""
    visible = organization_list(viewer=viewer).values("pk")
    return list(
        GroupingMembership.objects.filter(grouping=grouping, organization__in=visible)
        .select_related("organization")
        .order_by("left_on", "joined_on", "pk")
    )


def grouping_member_ids(grouping: Grouping | int, *, on: dt.date) -> list[int]:
    """The ids of the organizations that were members on ``on`` (joined on or before
    it, not yet left). For other modules attributing work or figures to a grouping:
    the caller has already read the grouping through ``GROUPING`` and scopes its own
    rows through its own policy."""
    grouping_id = grouping if isinstance(grouping, int) else grouping.pk
    return sorted(
        GroupingMembership.objects.filter(_current_q(on), grouping_id=grouping_id).values_list(
            "organization_id", flat=True
        )
    )


def groupings_of(*, viewer: Actor, organization: Organization, on: dt.date) -> list[Grouping]:
    """The groupings ``organization`` belongs to on ``on``, among those ``viewer`` sees."""
    member_of = GroupingMembership.objects.filter(_current_q(on), organization=organization)
    return list(grouping_list(viewer=viewer).filter(pk__in=member_of.values("grouping_id")))
