"""One rule for persons, used by every module that shows or picks a person.

A person is seen with ``people.view`` on the organization that keeps the record
(``organization``) and recorded or changed with ``people.manage`` there. Unmasked
personal data needs ``people.view_personal`` on it (``can_view_personal``). External
persons (experts, lecturers, judges from other units) are kept by the organization that
recorded them, so the same rule covers them. Linked leaders are the one exception every
module shares: ``selectors.leader_candidates`` (they hold public office).
"""

from __future__ import annotations

from taizhang.core.actors import Actor
from taizhang.organizations.policy import ScopePolicy
from taizhang.people.models import Person

VIEW = "people.view"
MANAGE = "people.manage"
VIEW_PERSONAL = "people.view_personal"

PERSON: ScopePolicy[Person] = ScopePolicy(
    name="people.person",
    model=Person,
    view=VIEW,
    manage=MANAGE,
    org_fields=("organization",),
)


def can_view_personal(viewer: Actor | None, person: Person) -> bool:
    """Whether the viewer may see this person's unmasked personal data."""
    return PERSON.covers(viewer, person, VIEW_PERSONAL)
