"""Persons named in an imported file: by name, made unique by the last four digits of
the ID number or the organization when two persons share it.

"李明" is enough when one person of that name is visible; otherwise the file says
"李明（1234）" (身份证后四位) or "李明（临溪街道）" (所属组织). A person outside the
importer's scope is answered like one who does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from taizhang.core.actors import Actor
from taizhang.organizations.matching import Unmatched
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON, VIEW

_QUALIFIED = re.compile(r"^(?P<name>[^（(]+)[（(](?P<hint>[^）)]+)[）)]$")


class PersonMatcher:
    """Resolve person names ``viewer`` may see (``people.view`` through the policy)."""

    def __init__(self, viewer: Actor, *, permission: str = VIEW, among: Any = None) -> None:
        """``among`` replaces the person scope with another set the caller's service
        accepts (a project's linked leader may come from anywhere in the district)."""
        self.viewer = viewer
        self.permission = permission
        self.among = among
        self._by_name: dict[str, list[Person]] = {}

    def preload(self, values: set[str]) -> None:
        names = {self.split(v)[0] for v in values if v and v.strip()}
        wanted = {name for name in names if name not in self._by_name}
        if not wanted:
            return
        base = (
            self.among if self.among is not None else PERSON.queryset(self.viewer, self.permission)
        )
        qs: Any = base.filter(name__in=wanted)
        for name in wanted:
            self._by_name[name] = []
        for person in qs.select_related("organization").order_by("pk").distinct():
            self._by_name[person.name].append(person)

    @staticmethod
    def split(value: str) -> tuple[str, str]:
        value = value.strip()
        match = _QUALIFIED.match(value)
        if match:
            return match.group("name").strip(), match.group("hint").strip()
        return value, ""

    def candidates(self, name: str) -> list[Person]:
        """Every person of exactly this name the matcher may choose from."""
        self.preload({name})
        return list(self._by_name.get(name, []))

    def match(self, value: str) -> Person:
        name, hint = self.split(value or "")
        if not name:
            raise Unmatched(_("Name a person."))
        if name not in self._by_name:
            self.preload({name})
        found = self._by_name.get(name, [])
        if hint:
            found = [
                p
                for p in found
                if p.id_number[-4:].upper() == hint.upper()
                or hint in {p.organization.name, p.organization.short_name}
            ]
        if len(found) == 1:
            return found[0]
        if not found:
            raise Unmatched(
                _("No person named “%(name)s” within your scope.") % {"name": value.strip()}
            )
        raise Unmatched(
            _(
                "%(count)d persons are named “%(name)s”; write the last four digits of the ID "
                "number or the organization after the name, such as %(name)s（1234）."
            )
            % {"count": len(found), "name": name}
        )
