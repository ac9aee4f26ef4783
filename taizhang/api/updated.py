"""``updated_at`` on every ledger resource of the API (issue 17): the moment of the
record's newest audited write, read from the same audit trail that answers the lists'
``updated_since`` (``core.versions.written_since``), so the two always agree: a record a
list returns for ``updated_since=T`` has ``updated_at >= T``.

A model column (``updated_at = auto_now``, which projects and a few others keep) is not
used: it is set by ``save()`` a moment before the audit event is written and is skipped
by ``QuerySet.update()``, so a record could be listed for ``T`` with an ``updated_at``
before ``T``.

A list computes it for its whole page in the one query of the page: the list function
returns ``stamped(queryset)``, which adds a correlated subquery (the newest write's
``occurred_at``, on the audit trail's ``(object_type, object_id)`` index). An output
schema inherits ``Stamped``; a single record that was not read through ``stamped`` (a
GET of one, the answer of a write) costs one query of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce, Greatest
from ninja import Field, Schema
from pydantic import PlainSerializer, WithJsonSchema

from taizhang.core.models import AuditEvent, AuditOutcome, WriteStamp
from taizhang.core.versions import NOT_WRITES

M = TypeVar("M", bound=models.Model)

# The attribute the annotation lands on (not ``updated_at``: some models have a column
# of that name, and an annotation may not shadow a field).
ANNOTATION = "api_updated_at"

DESCRIPTION = (
    "When the record was last created or changed (ISO 8601 with its time zone): the "
    "moment of its newest write on the audit trail, the same trail that answers "
    "updated_since (or the stamp of the bulk write, an import, that wrote it), so a "
    "record listed for updated_since=T has updated_at >= T. "
    "null for a record no audited write ever touched (loaded by a migration)."
)


def _writes(model: type[models.Model]) -> QuerySet[AuditEvent]:
    rows = AuditEvent.objects.filter(
        object_type=model._meta.label_lower, outcome=AuditOutcome.SUCCESS
    )
    for suffix in NOT_WRITES:
        rows = rows.exclude(action__endswith=suffix)
    return rows


def newest_write(model: type[models.Model]) -> Any:
    """The moment of the newest write of the outer row of ``model``: its newest audited
    write, or the stamp a bulk write left (``core.WriteStamp``), whichever is later."""
    rows = _writes(model).filter(
        object_id=Cast(OuterRef("pk"), output_field=models.CharField(max_length=64))
    )
    audited = Subquery(rows.order_by("-occurred_at").values("occurred_at")[:1])
    stamp = Subquery(
        WriteStamp.objects.filter(
            object_type=model._meta.label_lower, object_id=OuterRef("pk")
        ).values("written_at")[:1]
    )
    # GREATEST is NULL on SQLite when one side is: each side falls back on the other.
    return Greatest(Coalesce(audited, stamp), Coalesce(stamp, audited))


def stamped(qs: QuerySet[M]) -> QuerySet[M]:
    """``qs`` with each row's ``updated_at`` (``ANNOTATION``) in the same query."""
    annotated: QuerySet[M] = qs.annotate(**{ANNOTATION: newest_write(qs.model)})
    return annotated


def updated_at_of(obj: models.Model) -> dt.datetime | None:
    """The ``updated_at`` of one record: the annotation when it was read through
    ``stamped``, else one query."""
    if hasattr(obj, ANNOTATION):
        value: dt.datetime | None = getattr(obj, ANNOTATION)
        return value
    row = (
        type(obj)
        ._default_manager.filter(pk=obj.pk)
        .annotate(**{ANNOTATION: newest_write(type(obj))})
    )
    found: dt.datetime | None = row.values_list(ANNOTATION, flat=True).first()
    return found


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# To the microsecond, as the audit trail holds it: the API's JSON otherwise cuts moments
# to milliseconds, and a cut ``updated_at`` could fall before the ``updated_since`` that
# listed its record.
Moment = Annotated[
    dt.datetime | None,
    PlainSerializer(_iso, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}),
]


class Stamped(Schema):
    """The ``updated_at`` of an output schema of a ledger record."""

    updated_at: Moment = Field(None, description=DESCRIPTION)

    @staticmethod
    def resolve_updated_at(obj: Any) -> dt.datetime | None:
        if isinstance(obj, models.Model):
            return updated_at_of(obj)
        return None
