"""Helpers every module's services share."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

from django.db import models

from taizhang.core.actors import Actor, require_actor
from taizhang.core.audit import audit_record, diff, snapshot

M = TypeVar("M", bound=models.Model)


def update_with_audit(
    instance: M,
    *,
    changes: Mapping[str, Any],
    editable: Collection[str],
    audited: Sequence[str],
    action: str,
    acting_user: Actor,
    validate: bool = True,
) -> dict[str, list[Any]]:
    """Set the ``changes`` (only ``editable`` fields; many-to-many ones by ``set``),
    validate, save and record one audit event ``action`` with the diff of ``audited``
    (many-to-many fields included, as sorted ids). Return the diff. The caller checks
    permission and scope first, inside its own transaction."""
    require_actor(acting_user)
    unknown = set(changes) - set(editable)
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    m2m = {f.name for f in instance._meta.many_to_many}
    before = _snapshot(instance, audited, m2m)
    related: dict[str, Any] = {}
    for name, value in changes.items():
        if name in m2m:
            related[name] = list(value)
        else:
            setattr(instance, name, value)
    if validate:
        instance.full_clean()
    instance.save()
    for name, values in related.items():
        getattr(instance, name).set(values)
    changed = diff(before, _snapshot(instance, audited, m2m))
    audit_record(actor=acting_user, action=action, obj=instance, changes=changed)
    return changed


def _snapshot(instance: models.Model, fields: Sequence[str], m2m: set[str]) -> dict[str, Any]:
    plain = [name for name in fields if name not in m2m]
    result = snapshot(instance, plain)
    for name in fields:
        if name in m2m:
            result[name] = sorted(getattr(instance, name).values_list("pk", flat=True))
    return result
