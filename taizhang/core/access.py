"""Route permissions: every view and API operation declares the function it needs.

``@requires("people.view")`` admits a user holding that function on at least one
organization; which records they then see is the selectors' business (data scope).
``@public`` marks the few routes open to anonymous users (login, language switch).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from taizhang.core.actors import is_system, require_actor

PUBLIC = "__public__"
AUTHENTICATED = "__authenticated__"
F = TypeVar("F", bound=Callable[..., Any])


def _mark(func: F, permission: str) -> F:
    func._taizhang_permission = permission  # type: ignore[attr-defined]
    return func


def route_permission(view: Any) -> str | None:
    """The permission a resolved view declared, looking through class-based views."""
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "__wrapped__", None)):
        permission: str | None = getattr(candidate, "_taizhang_permission", None)
        if permission:
            return permission
    return None


def public(func: F) -> F:
    return _mark(func, PUBLIC)


def requires(permission: str) -> Callable[[F], F]:
    """Declare the function a view or API operation needs, and enforce it."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                raise PermissionDenied
            if permission != AUTHENTICATED and not user.has_function(permission):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        # Resolve string annotations (``from __future__ import annotations``) in the
        # decorated function's module: ninja reads the wrapper's signature, and would
        # otherwise look the names up in this module.
        with contextlib.suppress(NameError):
            wrapper.__signature__ = inspect.signature(func, eval_str=True)  # type: ignore[attr-defined]
        return _mark(wrapper, permission)  # type: ignore[return-value]

    return decorator


def login_required(func: F) -> F:
    """Any signed-in user: pages that show only the user's own things."""
    return requires(AUTHENTICATED)(func)


def require(allowed: bool) -> None:
    """Raise PermissionDenied unless ``allowed``: for services checking their actor."""
    if not allowed:
        raise PermissionDenied


def actor_name(acting_user: Any) -> str:
    """How a record names who did something: the user's display name, or "System"."""
    require_actor(acting_user)
    if is_system(acting_user):
        return str(_("System"))
    return str(getattr(acting_user, "display_name", "") or acting_user.username)[:60]
