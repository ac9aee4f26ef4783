"""Deletions made visible to a sync (issue 17): a listener on ``core.changes`` notes the
unit of every ledger row about to change and, once the write is done, leaves a
``Tombstone`` for each that no longer exists. Every service that removes rows already
reports them (``rows_changing``: the statistics module's figures depend on it), so no
module writes tombstones itself.

Only models with a scope policy are followed: those are the records an API client reads
and must be able to forget, and the policy says which unit a row was booked on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import models
from django.utils import timezone

from taizhang.api.models import Tombstone


@cache
def _org_path(model: type[models.Model]) -> str | None:
    """The lookup of the unit a row of ``model`` is booked on, or None when the model has
    no policy (not a record clients read)."""
    from taizhang.core.registry import POLICIES
    from taizhang.organizations.policy import SELF

    for policy in POLICIES.values():
        if policy.model is model:
            first = policy.org_fields[0]
            return "pk" if first == SELF else first
    return None


def listener(model: type[models.Model], pks: frozenset[Any]) -> Callable[[], None]:
    path = _org_path(model)
    if path is None:
        return lambda: None
    before = dict(model._default_manager.filter(pk__in=pks).values_list("pk", path))

    def finish() -> None:
        if not before:
            return
        left = set(model._default_manager.filter(pk__in=before).values_list("pk", flat=True))
        gone = [pk for pk in before if pk not in left]
        if not gone:
            return
        now = timezone.now()
        label = model._meta.label_lower
        Tombstone.objects.bulk_create(
            [
                Tombstone(object_type=label, object_id=pk, org_id=before[pk], deleted_at=now)
                for pk in gone
            ]
        )

    return finish
