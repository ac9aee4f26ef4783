"""Reads of import batches: a person sees the batches she uploaded, nobody else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from taizhang.core.actors import Actor, user_of
from taizhang.ingest.models import ImportBatch


def batch_list(*, viewer: Actor, kind: str = "") -> QuerySet[ImportBatch]:
    user: Any = user_of(viewer)
    qs = ImportBatch.objects.filter(created_by_id=getattr(user, "pk", None))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-pk")


def get_batch_for_viewer(viewer: Actor, pk: Any) -> ImportBatch:
    """The viewer's own batch; another person's answers 404 like a missing one."""
    try:
        return batch_list(viewer=viewer).select_related("job").get(pk=int(pk))
    except (ImportBatch.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404 from None
