"""Data scope: which organizations (and records) a viewer may see, and why.

This module is the only place that turns grants into filters. Rules:

* Deny by default: no grant carrying the function means an empty scope.
* A grant gives one role on one organization with a scope kind: that organization only,
  that organization and its subtree, a list of organizations, or the user's own records.
* A user may hold several grants. For a given function (permission) the scope is the
  union of every grant whose role carries it, so the widest grant wins: a subtree grant
  on an organization covers what an org-only grant on it or below it would.
* Subtrees are filtered by one range predicate on the materialized path
  (``path >= p AND path < p || '~'``), which uses the path index on SQLite and
  PostgreSQL alike (ADR 0001). Nothing here is built from request parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from taizhang.core.actors import is_system
from taizhang.organizations.models import Organization, subtree_bounds


class ScopeKind:
    ORG = "org"
    SUBTREE = "subtree"
    LISTED = "listed"
    OWN = "own"


@dataclass(frozen=True)
class GrantFact:
    """What one grant contributes, with the words to explain it."""

    grant_id: int
    role: str
    role_label: str
    kind: str
    org_id: int | None
    org_name: str
    org_path: str
    listed: tuple[tuple[int, str, str], ...] = ()

    def covers(self, org: Organization) -> bool:
        if self.kind == ScopeKind.SUBTREE:
            covered: bool = org.path.startswith(self.org_path)
            return covered
        if self.kind == ScopeKind.ORG:
            return org.pk == self.org_id
        if self.kind == ScopeKind.LISTED:
            return any(org.pk == pk for pk, _path, _name in self.listed)
        return False

    def describe(self) -> str:
        if self.kind == ScopeKind.SUBTREE:
            return _("role %(role)s on %(org)s and everything below it") % {
                "role": self.role_label,
                "org": self.org_name,
            }
        if self.kind == ScopeKind.ORG:
            return _("role %(role)s on %(org)s only") % {
                "role": self.role_label,
                "org": self.org_name,
            }
        if self.kind == ScopeKind.LISTED:
            names = "、".join(name for _pk, _path, name in self.listed)
            return _("role %(role)s on the listed organizations: %(orgs)s") % {
                "role": self.role_label,
                "orgs": names,
            }
        return _("role %(role)s on your own records") % {"role": self.role_label}


@dataclass(frozen=True)
class Scope:
    permission: str
    user_id: int | None
    grants: tuple[GrantFact, ...] = ()
    subtree_paths: tuple[str, ...] = field(default=())
    org_ids: frozenset[int] = field(default_factory=frozenset)
    own_records: bool = False
    # The system actor's scope: every organization, every record (no grant involved).
    unrestricted: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.unrestricted or self.subtree_paths or self.org_ids or self.own_records)

    def org_q(self, prefix: str = "") -> Q:
        """A Q over Organization (or over ``prefix`` + organization fields)."""
        if self.unrestricted:
            return Q()
        q = Q()
        matched = False
        for path in self.subtree_paths:
            lower, upper = subtree_bounds(path)
            q |= Q(**{f"{prefix}path__gte": lower, f"{prefix}path__lt": upper})
            matched = True
        if self.org_ids:
            q |= Q(**{f"{prefix}pk__in": sorted(self.org_ids)})
            matched = True
        return q if matched else Q(pk__in=[])

    def records_q(self, *, org_field: str = "org", owner_field: str | None = None) -> Q:
        """A Q over ledger rows that belong to an organization and maybe an owner."""
        if self.unrestricted:
            return Q()
        org_part = self.org_q(prefix=f"{org_field}__") if not self.is_empty else Q(pk__in=[])
        if self.subtree_paths or self.org_ids:
            q = org_part
            if self.own_records and owner_field:
                q |= Q(**{owner_field: self.user_id})
            return q
        if self.own_records and owner_field:
            return Q(**{owner_field: self.user_id})
        return Q(pk__in=[])

    def covers(self, org: Organization | None) -> bool:
        if org is None:
            return False
        return self.unrestricted or any(fact.covers(org) for fact in self.grants)

    def owns(self, owner_id: int | None) -> bool:
        """Whether an own-records grant lets this viewer see a record owned by ``owner_id``."""
        return self.own_records and owner_id is not None and owner_id == self.user_id

    def explain(self, org: Organization | None = None, *, owner_id: int | None = None) -> list[str]:
        """The grants that let this viewer see ``org`` (or a record owned by ``owner_id``)."""
        reasons = [fact.describe() for fact in self.grants if org is not None and fact.covers(org)]
        if owner_id is not None and owner_id == self.user_id:
            reasons += [fact.describe() for fact in self.grants if fact.kind == ScopeKind.OWN]
        return reasons


def _grant_facts(user: Any) -> list[GrantFact]:
    from taizhang.accounts.models import Grant

    grants = list(
        Grant.objects.filter(user_id=user.pk, is_active=True)
        .select_related("organization")
        .order_by("pk")
    )
    # The listed organizations are read only when a grant lists some (one query for
    # all of them): most users hold org or subtree grants, and this runs per request.
    listed: dict[int, list[Organization]] = {grant.pk: [] for grant in grants}
    listing = [grant.pk for grant in grants if grant.scope_kind == ScopeKind.LISTED]
    if listing:
        through = Grant.listed_organizations.through.objects.filter(grant_id__in=listing)
        for row in through.select_related("organization"):
            listed[row.grant_id].append(row.organization)
    facts = []
    for grant in grants:
        org = grant.organization
        facts.append(
            GrantFact(
                grant_id=grant.pk,
                role=grant.role,
                role_label=str(grant.role_label),
                kind=grant.scope_kind,
                org_id=org.pk if org else None,
                org_name=org.name if org else "",
                org_path=org.path if org else "",
                listed=tuple(
                    (o.pk, o.path, o.name) for o in sorted(listed[grant.pk], key=lambda o: o.path)
                ),
            )
        )
    return facts


def grant_facts(user: Any) -> list[GrantFact]:
    cached = getattr(user, "_taizhang_grant_facts", None)
    if cached is None:
        cached = _grant_facts(user) if user is not None and user.is_authenticated else []
        user._taizhang_grant_facts = cached
    return cached


def scope_for(user: Any, permission: str) -> Scope:
    """The viewer's scope for one function. Cached on the user object per request, with
    the grant facts it is built from (``clear_cache`` forgets both)."""
    if is_system(user):
        return _build_scope(user, permission)
    scopes: dict[str, Scope] | None = getattr(user, "_taizhang_scopes", None)
    if scopes is None:
        scopes = {}
        if user is not None:
            user._taizhang_scopes = scopes
    scope = scopes.get(permission)
    if scope is None:
        scope = scopes[permission] = _build_scope(user, permission)
    return scope


def _build_scope(user: Any, permission: str) -> Scope:
    from taizhang.core.registry import ROLES

    if is_system(user):
        return Scope(permission=permission, user_id=None, unrestricted=True)

    facts = [
        fact
        for fact in grant_facts(user)
        if permission in ROLES.get(fact.role, _NO_ROLE).permissions
    ]
    paths = sorted({f.org_path for f in facts if f.kind == ScopeKind.SUBTREE and f.org_path})
    # Drop subtrees inside other subtrees: one range per disjoint subtree.
    minimal: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    ids: set[int] = set()
    for fact in facts:
        if fact.kind == ScopeKind.ORG and fact.org_id:
            ids.add(fact.org_id)
        elif fact.kind == ScopeKind.LISTED:
            ids.update(pk for pk, _p, _n in fact.listed)
    return Scope(
        permission=permission,
        user_id=getattr(user, "pk", None),
        grants=tuple(facts),
        subtree_paths=tuple(minimal),
        org_ids=frozenset(ids),
        own_records=any(f.kind == ScopeKind.OWN for f in facts),
    )


def functions_of(user: Any) -> list[str]:
    """Every function (permission) any of the user's grants carries."""
    from taizhang.core.registry import ROLES

    return sorted(
        {p for fact in grant_facts(user) for p in ROLES.get(fact.role, _NO_ROLE).permissions}
    )


def has_function(user: Any, permission: str) -> bool:
    """Whether any of the user's grants carries ``permission`` (anywhere in the tree)."""
    scope = scope_for(user, permission)
    return scope.unrestricted or bool(scope.grants)


def visible_organizations(user: Any, permission: str):  # type: ignore[no-untyped-def]
    return Organization.objects.filter(scope_for(user, permission).org_q())


def clear_cache(user: Any) -> None:
    for name in ("_taizhang_grant_facts", "_taizhang_scopes"):
        if hasattr(user, name):
            delattr(user, name)


class _NoRole:
    permissions: frozenset[str] = frozenset()


_NO_ROLE: Any = _NoRole()
