"""Organizations named in an imported file: by code, or by name when the name is unique.

An import names units as people write them, by code (3201) or by name (临溪街道). The
matcher answers each distinct value once (a 50,000-row file names a few hundred units)
and answers a unit outside the importer's scope exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION


class Unmatched(ValueError):
    """The value names no organization (or person) the importer may use; the message says
    what to write instead."""


class OrganizationMatcher:
    """Resolve organization codes and names where ``viewer`` holds ``permission``."""

    def __init__(self, viewer: Actor, permission: str, *, open_only: bool = True) -> None:
        self.viewer = viewer
        self.permission = permission
        self.open_only = open_only
        self._cache: dict[str, Organization | Unmatched] = {}
        self._queryset: Any = None

    def queryset(self) -> Any:
        if self._queryset is None:
            qs = ORGANIZATION.queryset(self.viewer, self.permission)
            if self.open_only:
                qs = qs.filter(closed_on__isnull=True)
            self._queryset = qs
        return self._queryset

    def preload(self, values: set[str]) -> None:
        """Resolve many values in two queries (codes first, then names)."""
        wanted = {v.strip() for v in values if v and v.strip() and v.strip() not in self._cache}
        if not wanted:
            return
        by_code = {o.code: o for o in self.queryset().filter(code__in=wanted)}
        names: dict[str, list[Organization]] = {}
        rest = wanted - set(by_code)
        for org in self.queryset().filter(Q(name__in=rest) | Q(short_name__in=rest)):
            for label in {org.name, org.short_name}:
                if label in rest:
                    names.setdefault(label, []).append(org)
        for value in wanted:
            self._cache[value] = self._decide(value, by_code.get(value), names.get(value, []))

    def _decide(
        self, value: str, coded: Organization | None, named: list[Organization]
    ) -> Organization | Unmatched:
        if coded is not None:
            return coded
        if len(named) == 1:
            return named[0]
        if named:
            codes = "、".join(f"{o.code}" for o in sorted(named, key=lambda o: o.path)[:5])
            return Unmatched(
                _("%(count)d organizations are named “%(name)s”; write the code (%(codes)s).")
                % {"count": len(named), "name": value, "codes": codes}
            )
        return Unmatched(
            _("No organization with the code or name “%(value)s” within your scope.")
            % {"value": value}
        )

    def match(self, value: str) -> Organization:
        value = (value or "").strip()
        if value not in self._cache:
            self.preload({value})
        found = self._cache.get(value) or Unmatched(_("Name an organization."))
        if isinstance(found, Unmatched):
            raise found
        return found

    def match_row(
        self, row: Any, ctx: Any, *, code: str = "org_code", name: str = "org"
    ) -> Organization | None:
        """The unit a row names by its code column or else its name column; ``None`` with
        the problem recorded against the column that was filled in."""
        try:
            return self.match(row.get(code) or row.get(name) or "")
        except Unmatched as error:
            ctx.error(row, code if row.get(code) else name, error)
            return None
