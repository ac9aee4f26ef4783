"""Scope policies: who may see and touch the rows of one model, asked one way only.

A module declares one ``ScopePolicy`` per model it owns, next to its action rules in
``permissions.py``, and registers it in its ``manifest.py``. Every layer goes through
it (ADR 0043):

* selectors start from ``policy.queryset(viewer)``;
* a single object comes from ``policy.get(viewer, pk)``: one 404 for missing and hidden;
* an id named in an API payload or a form comes from ``policy.resolve(viewer, pk,
  field=…)``: one 422 (``ValidationError``) with the same message for missing and hidden;
* services call ``policy.require(acting_user, obj)`` (or ``require_org``) before writing;
* form and picker choices come from ``policy.queryset`` or ``org_choices``.

A policy is built on ``organizations/scope.py``, which stays the only code that turns
grants into filters. It names the function that reads (``view``) and the one that
writes (``manage``), the organization fields that count (a problem is seen through its
owning organization *or* its lead unit), and optionally the field that makes a record
"own" for an own-records grant. Work that crosses the tree is allowed only through
``extra``: a named rule that widens the read filter, never by skipping the policy.
Checks are skipped for the explicit system actor alone (``core.actors.SYSTEM``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, require_actor
from taizhang.core.registry import Label
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import Scope, scope_for

M = TypeVar("M", bound=models.Model)

# The organization field that means "the row is an organization itself".
SELF = "self"


def unknown_message() -> str:
    """The one message for an id that does not exist or is outside the data scope."""
    return str(_("No such record in your data scope."))


def _follow(obj: Any, path: str) -> Any:
    target = obj
    for hop in path.split("__"):
        if target is None:
            return None
        target = getattr(target, hop, None)
    return target


@dataclass(frozen=True)
class CrossTreeRule:
    """Work that crosses the tree, allowed explicitly: ``q(viewer, permission)`` returns
    the extra rows the rule lets ``viewer`` read (a Q over the policy's model), and
    ``covers(viewer, obj, permission)`` says the same of one object in Python."""

    name: str
    description: Label  # a lazy translation: explain() renders it per request
    q: Callable[[Any, str], Q]
    covers: Callable[[Any, Any, str], bool]


@dataclass(frozen=True)
class ScopePolicy(Generic[M]):
    """The data scope of one model's rows."""

    name: str
    model: type[M]
    view: str
    manage: str
    org_fields: tuple[str, ...] = ("org",)
    owner_field: str | None = None
    extra: tuple[CrossTreeRule, ...] = field(default=())
    # Rows read where they are booked but managed from elsewhere: an indicator's target
    # is booked on the ranked unit and set from the indicator's owner.
    manage_fields: tuple[str, ...] = ()

    def _fields(self, permission: str) -> tuple[str, ...]:
        if permission == self.manage and self.manage_fields:
            return self.manage_fields
        return self.org_fields

    # --- reads ---------------------------------------------------------------------

    def scope(self, viewer: Actor | None, permission: str | None = None) -> Scope:
        return scope_for(viewer, permission or self.view)

    def _field_q(self, scope: Scope, org_field: str) -> Q:
        if org_field == SELF:
            return scope.org_q() if not scope.is_empty else Q(pk__in=[])
        return scope.records_q(org_field=org_field)

    def q(self, viewer: Actor | None, permission: str | None = None) -> Q:
        """The rows of the model ``viewer`` may see (or act on, with ``permission``)."""
        permission = permission or self.view
        scope = self.scope(viewer, permission)
        if scope.unrestricted:
            return Q()
        q = Q(pk__in=[])
        for org_field in self._fields(permission):
            q |= self._field_q(scope, org_field)
        if self.owner_field and scope.own_records and scope.user_id is not None:
            q |= Q(**{self.owner_field: scope.user_id})
        if viewer is not None and getattr(viewer, "is_authenticated", False):
            for rule in self.extra:
                q |= rule.q(viewer, permission)
        return q

    def queryset(
        self,
        viewer: Actor | None,
        permission: str | None = None,
        *,
        base: QuerySet[M] | None = None,
    ) -> QuerySet[M]:
        """Where every selector starts: the visible rows of ``base`` (all rows)."""
        rows = base if base is not None else self.model._default_manager.all()
        return rows.filter(self.q(viewer, permission))

    def get(
        self,
        viewer: Actor | None,
        pk: Any,
        *,
        base: QuerySet[M] | None = None,
        permission: str | None = None,
    ) -> M:
        """One row, or the same 404 whether it is missing or out of scope."""
        key = _as_pk(pk)
        if key is None:
            raise Http404
        row = self.queryset(viewer, permission, base=base).filter(pk=key).first()
        if row is None:
            raise Http404
        return row

    def resolve(
        self,
        viewer: Actor | None,
        pk: Any,
        *,
        field: str,
        base: QuerySet[M] | None = None,
        permission: str | None = None,
    ) -> M:
        """An id named in a payload, or a ``ValidationError`` on ``field`` with the same
        message whether the row is missing or hidden (API: 422)."""
        key = _as_pk(pk)
        row = (
            self.queryset(viewer, permission, base=base).filter(pk=key).first()
            if key is not None
            else None
        )
        if row is None:
            raise ValidationError({field: unknown_message()})
        return row

    def resolve_many(
        self,
        viewer: Actor | None,
        pks: Iterable[Any],
        *,
        field: str,
        base: QuerySet[M] | None = None,
        permission: str | None = None,
    ) -> list[M]:
        keys = [_as_pk(pk) for pk in pks]
        if any(key is None for key in keys):
            raise ValidationError({field: unknown_message()})
        wanted = set(keys)
        rows = list(self.queryset(viewer, permission, base=base).filter(pk__in=wanted))
        if len(rows) != len(wanted):
            raise ValidationError({field: unknown_message()})
        order = {key: index for index, key in enumerate(keys)}
        return sorted(rows, key=lambda row: order[row.pk])

    def covers(self, viewer: Actor | None, obj: M, permission: str | None = None) -> bool:
        """Whether ``viewer`` may see (or, with ``permission``, act on) ``obj``: the same
        answer as ``queryset`` gives, without a query for the scope part."""
        if viewer is None or not getattr(viewer, "is_authenticated", False):
            return False
        permission = permission or self.view
        scope = self.scope(viewer, permission)
        if scope.unrestricted:
            return True
        for org_field in self._fields(permission):
            org = obj if org_field == SELF else _follow(obj, org_field)
            if isinstance(org, Organization) and scope.covers(org):
                return True
        if self.owner_field and scope.owns(_follow(obj, f"{self.owner_field}_id")):
            return True
        return any(rule.covers(viewer, obj, permission) for rule in self.extra)

    def can_manage(self, viewer: Actor | None, obj: M) -> bool:
        return self.covers(viewer, obj, self.manage)

    # --- writes --------------------------------------------------------------------

    def require(self, acting_user: Actor | None, obj: M, permission: str | None = None) -> None:
        """Refuse (PermissionDenied) unless ``acting_user`` may act on ``obj`` with
        ``permission`` (default: manage). Skipped for the system actor alone."""
        require_actor(acting_user)
        if is_system(acting_user):
            return
        if not self.covers(acting_user, obj, permission or self.manage):
            raise PermissionDenied

    def require_org(
        self, acting_user: Actor | None, org: Organization | None, permission: str | None = None
    ) -> None:
        """Refuse unless ``acting_user`` holds ``permission`` (default: manage) on
        ``org``: for a row about to be created there, or moved there."""
        require_actor(acting_user)
        if is_system(acting_user):
            return
        if org is None or not scope_for(acting_user, permission or self.manage).covers(org):
            raise PermissionDenied

    def org_choices(
        self, viewer: Actor | None, permission: str | None = None
    ) -> QuerySet[Organization]:
        """The open organizations where ``viewer`` may create or move rows (tree order):
        a closed organization keeps its records but takes no new ones."""
        scope = scope_for(viewer, permission or self.manage)
        return Organization.objects.filter(scope.org_q(), is_active=True).order_by("path")

    def explain(self, viewer: Actor | None, obj: M) -> list[str]:
        """Why ``viewer`` sees ``obj``: the grants and cross-tree rules that let them."""
        scope = self.scope(viewer)
        reasons: list[str] = []
        for org_field in self.org_fields:
            org = obj if org_field == SELF else _follow(obj, org_field)
            if isinstance(org, Organization):
                reasons += scope.explain(org)
        if self.owner_field:
            reasons += [
                r
                for r in scope.explain(None, owner_id=_follow(obj, f"{self.owner_field}_id"))
                if r not in reasons
            ]
        reasons += [
            str(rule.description) for rule in self.extra if rule.covers(viewer, obj, self.view)
        ]
        return reasons


def _as_pk(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, models.Model):
        return int(value.pk) if value.pk is not None else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def scope_title(viewer: Actor | None, permission: str, org: Organization | None = None) -> str:
    """What a file or page is about, in words: the chosen organization, else the
    organizations the viewer's grants for ``permission`` name (an export's title)."""
    if org is not None:
        return org.short_name or org.name
    ids = [fact.org_id for fact in scope_for(viewer, permission).grants if fact.org_id]
    names = Organization.objects.filter(pk__in=ids).order_by("path")
    return "、".join(names.values_list("short_name", flat=True))


@cache
def _owner_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The organization fields of ``model``'s policy, looked up once per model (the
    audit trail asks on every write)."""
    from taizhang.core.registry import POLICIES

    for policy in POLICIES.values():
        if policy.model is model:
            return tuple(policy.org_fields)
    return ("org", "organization")


def owner_org_id(obj: Any) -> int | None:
    """The id of the organization ``obj`` is booked on: the first organization field of
    its model's policy (the organization itself for ``SELF``), else an ``org`` or
    ``organization`` field. Read from the foreign key's id, so the owner itself is not
    fetched. For the audit trail's organization (``core.registry.AuditOrgHook``)."""
    if isinstance(obj, Organization):
        return obj.pk
    for path in _owner_fields(type(obj)):  # type: ignore[arg-type]
        if path == SELF:
            return int(obj.pk)
        *hops, last = path.split("__")
        target = _follow(obj, "__".join(hops)) if hops else obj
        value = getattr(target, f"{last}_id", None) if target is not None else None
        if isinstance(value, int):
            return value
    return None
