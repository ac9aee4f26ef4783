"""Who acts: a signed-in user, or the explicit system actor.

Services take ``acting_user`` and reads take ``viewer``, both typed as ``Actor``: a
protocol that the accounts ``User`` satisfies, so ``core`` never imports ``accounts``.
Checks are skipped for ``SYSTEM`` alone (the demo loader, console commands, scheduled
jobs and imports that run on their own); ``None`` is never a way to skip them, and a
service handed ``None`` refuses to run (``require_actor``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol, cast, runtime_checkable

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest


@runtime_checkable
class Actor(Protocol):
    """What scope, services and the audit trail need to know about whoever acts."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def username(self) -> str: ...

    @property
    def person_id(self) -> int | None: ...

    def has_function(self, permission: str) -> bool: ...


class SystemActor:
    """The product itself acting: never a person, never a login, no row in the audit
    trail's actor column. Holds every function on every organization."""

    pk: None = None
    is_authenticated: Final = True
    is_anonymous: Final = False
    is_active: Final = True
    username: Final = "system"
    person_id: None = None
    person: None = None

    @property
    def display_name(self) -> str:
        return str(_("System"))

    def has_function(self, permission: str) -> bool:
        return True

    def __repr__(self) -> str:
        return "SYSTEM"

    def __bool__(self) -> bool:
        return True


SYSTEM: Final = SystemActor()


def is_system(actor: object) -> bool:
    """Whether checks are skipped for this actor: only for ``SYSTEM``."""
    return actor is SYSTEM


def require_actor(actor: object) -> None:
    """Refuse a missing actor: skipping checks must be the visible choice ``SYSTEM``."""
    if actor is None:
        raise TypeError("acting_user is required; pass core.actors.SYSTEM for system jobs")


class AnonymousActor:
    """Nobody signed in: the actor of a refused login for an unknown account. Holds no
    function; recorded in the audit trail without a user."""

    pk: None = None
    is_authenticated: Final = False
    is_anonymous: Final = True
    username: Final = ""
    person_id: None = None

    def has_function(self, permission: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "ANONYMOUS"


ANONYMOUS: Final = AnonymousActor()


def user_of(actor: object) -> Any:
    """The user to store in a ``created_by``-style column: ``None`` for the system."""
    require_actor(actor)
    return actor if getattr(actor, "pk", None) is not None else None


def viewer_of(request: HttpRequest) -> Actor:
    """The signed-in user of ``request``, typed as an ``Actor``.

    Views and API operations all sit behind ``@requires`` (or a login check), so by the
    time this runs ``request.user`` is an authenticated user, never ``AnonymousUser``.
    """
    return cast(Actor, request.user)
