"""What a service changed, reported in its own transaction (bulk writes included).

Stored figures (the statistics module's monthly roll-ups) must stay equal to the
records after every write. Model signals cannot promise that: ``bulk_create``,
``bulk_update`` and ``QuerySet.update()`` send none. So services say what they wrote:

* ``rows_written(Model, pks)`` after creating or updating rows;
* ``with rows_changing(Model, pks):`` around an update or delete that may move rows
  to another organization or date, or remove them (their "before" is read on entry).

Listeners (statistics registers one) are called inside the writing transaction, so a
reader never sees records and figures that disagree. Core imports no listener.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models

# A listener gets the model and the primary keys about to change, reads what it needs
# (the "before"), and returns a function to call once the change is written.
Listener = Callable[[type[models.Model], frozenset[Any]], Callable[[], None]]

_LISTENERS: list[Listener] = []


def register_listener(listener: Listener) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _keys(pks: Iterable[Any]) -> frozenset[Any]:
    return frozenset(pk.pk if isinstance(pk, models.Model) else pk for pk in pks)


@contextmanager
def rows_changing(model: type[models.Model], pks: Collection[Any]) -> Iterator[None]:
    """Report rows of ``model`` that the block updates or deletes (pks or instances)."""
    keys = _keys(pks)
    finishers = [listener(model, keys) for listener in _LISTENERS] if keys else []
    yield
    for finish in finishers:
        finish()


def rows_written(model: type[models.Model], pks: Iterable[Any]) -> None:
    """Report rows of ``model`` just created or updated in place (pks or instances)."""
    with rows_changing(model, list(pks)):
        pass
