"""The viewer's to-dos: what each module registered (``core.registry.TODOS``), counted
and listed for this viewer, kinds the viewer holds no function for left out.

Two queries per kind the viewer may do (a count and the first items); a kind's items
are scoped by its module, so nothing of another part of the tree is counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.core.registry import TODOS, TodoKind


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    due: dt.date | None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


@dataclass(frozen=True)
class Group:
    kind: TodoKind
    count: int
    items: list[Item]

    @property
    def more(self) -> int:
        return self.count - len(self.items)


def kinds_for(viewer: Actor) -> list[TodoKind]:
    has = getattr(viewer, "has_function", None)
    if has is None:
        return []
    return sorted(
        (kind for kind in TODOS.values() if has(kind.permission)),
        key=lambda kind: (kind.order, kind.name),
    )


def _due(kind: TodoKind, obj: Any) -> dt.date | None:
    if kind.due is None:
        return None
    value = kind.due(obj)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else None


def todo_groups(*, viewer: Actor, limit: int = 5) -> list[Group]:
    """Each kind with work waiting: its count and its first ``limit`` items."""
    groups = []
    for kind in kinds_for(viewer):
        qs = kind.items(viewer)
        count = qs.count()
        if not count:
            continue
        items = [
            Item(title=kind.title(obj), url=kind.url(obj), due=_due(kind, obj))
            for obj in qs[:limit]
        ]
        groups.append(Group(kind=kind, count=count, items=items))
    return groups


def todo_count(*, viewer: Actor) -> int:
    """How many items wait for the viewer (the number in the top bar)."""
    return sum(kind.items(viewer).count() for kind in kinds_for(viewer))
