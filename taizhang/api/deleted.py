"""``GET /api/v1/deleted``: the records a sync must forget (issue 17), from the
tombstones ``tombstones.py`` leaves. Each client sees the deletions of the records it
could read: per kind of record, those booked on a unit of its scope for that kind's
policy (an own-records grant sees none: a tombstone keeps no owner)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Router, Schema

from taizhang.api.models import Tombstone
from taizhang.core.access import login_required
from taizhang.core.actors import viewer_of
from taizhang.core.pagination import LimitOffsetPagination, paginate
from taizhang.core.registry import POLICIES
from taizhang.core.schemas import checked_moment

router = Router(tags=["sync"])


class DeletedOut(Schema):
    object_type: str = Field(..., description="app_label.model, e.g. problems.problem")
    id: int = Field(..., alias="object_id")
    deleted_at: dt.datetime


def _visible(viewer: Any, object_type: str = "") -> Q:
    """The tombstones ``viewer`` may read: for each kind of record with a policy, those
    booked on a unit where the viewer may read that kind."""
    from taizhang.organizations.models import Organization

    q = Q(pk__in=[])
    for policy in POLICIES.values():
        label = policy.model._meta.label_lower
        if object_type and label != object_type:
            continue
        scope = policy.scope(viewer)
        if scope.unrestricted:
            q |= Q(object_type=label)
        elif not scope.is_empty:
            units = Organization.objects.filter(scope.org_q()).values("pk")
            q |= Q(object_type=label, org_id__in=units)
    return q


@router.get("", response=list[DeletedOut])
@paginate(LimitOffsetPagination)
@login_required
def list_deleted(request: HttpRequest, since: dt.datetime, type: str = "") -> Any:  # noqa: A002
    """Records deleted at or after ``since`` (ISO 8601 with its zone) that you could
    read, oldest first; ``type`` keeps one kind (``problems.problem``). Ask with the time
    of your last pull, beside the lists' ``updated_since``."""
    since = checked_moment(since, "since")
    viewer = viewer_of(request)
    return Tombstone.objects.filter(_visible(viewer, type), deleted_at__gte=since).order_by(
        "deleted_at", "pk"
    )
