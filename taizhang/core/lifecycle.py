"""The dated lifecycle step that ledgers with a state machine keep (problems, demands).

Each move of a ledger item leaves one row: what was done, from which state to which,
when, by whom (the user, and the name as it read then, so the history survives a
renamed or deleted account) and an optional note. The step models live in their
modules; this is the one way they are written, so every history reads the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db import models

from taizhang.core.access import actor_name
from taizhang.core.actors import Actor, user_of

S = TypeVar("S", bound=models.Model)


def step_fields(
    *,
    subject_field: str,
    subject: models.Model,
    action: str,
    from_state: str,
    to_state: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The field values of one step, for ``Model(**fields)`` in a bulk create."""
    return {
        subject_field: subject,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "occurred_at": when,
        "actor": user_of(acting_user),
        "actor_name": actor_name(acting_user),
        "note": note,
        **extra,
    }


def record_step(
    step_model: type[S],
    *,
    subject_field: str,
    subject: models.Model,
    action: str,
    from_state: str,
    to_state: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
    **extra: Any,
) -> S:
    """Write one dated step of ``subject``'s life (``step_model`` has ``subject_field``,
    ``action``, ``from_state``, ``to_state``, ``occurred_at``, ``actor``, ``actor_name``
    and ``note``)."""
    return step_model._default_manager.create(
        **step_fields(
            subject_field=subject_field,
            subject=subject,
            action=action,
            from_state=from_state,
            to_state=to_state,
            acting_user=acting_user,
            when=when,
            note=note,
            **extra,
        )
    )
