"""Reads of notices, each starting from the scope policies (``permissions``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.notices.models import Notice, NoticeReceipt, NoticeState, NoticeTarget
from taizhang.notices.permissions import ATTACHMENT, POLICY, PUBLISH, TARGET, VIEW, units_at
from taizhang.notices.services import MAX_LEVELS
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for

SENT = (NoticeState.PUBLISHED, NoticeState.WITHDRAWN)


def get_notice_for_viewer(viewer: Actor, pk: Any) -> Notice:
    """One notice, or the same 404 whether it is missing or out of scope."""
    return POLICY.get(viewer, pk, base=Notice.objects.select_related("org"))


def _sent_to_me(viewer: Actor) -> Q:
    units = units_at(viewer, VIEW)
    if not units:
        return Q(pk__in=[])
    return Q(pk__in=NoticeTarget.objects.filter(org_id__in=sorted(units)).values("notice_id"))


def _read_by(viewer: Actor) -> Exists:
    return Exists(NoticeReceipt.objects.filter(notice_id=OuterRef("pk"), user_id=viewer.pk))


def _ack_waiting(viewer: Actor) -> Exists:
    """A unit the viewer is at still owes this notice an acknowledgement."""
    units = sorted(units_at(viewer, VIEW))
    return Exists(
        NoticeTarget.objects.filter(
            notice_id=OuterRef("pk"), org_id__in=units, acked_at__isnull=True
        )
    )


def notice_received(*, viewer: Actor) -> QuerySet[Notice]:
    """Notices sent to a unit the viewer is at: unread first, then newest; each with
    ``is_read`` (by the viewer) and ``ack_waiting`` (a unit of hers has not
    acknowledged a notice that asks for it)."""
    return (
        POLICY.queryset(viewer)
        .filter(_sent_to_me(viewer), state__in=SENT)
        .select_related("org")
        .annotate(is_read=_read_by(viewer), ack_waiting=_ack_waiting(viewer))
        .order_by("is_read", F("published_at").desc(nulls_last=True), "-pk")
    )


def notice_published(*, viewer: Actor) -> QuerySet[Notice]:
    """Notices of the units in the viewer's scope (drafts included), newest first,
    with the receipt counts of the board (``n_targets``, ``n_read``, ``n_acked``)."""
    scope = scope_for(viewer, VIEW)
    return (
        POLICY.queryset(viewer)
        .filter(scope.records_q(org_field="org"))
        .select_related("org")
        .annotate(
            n_targets=Count("targets"),
            n_read=Count("targets", filter=Q(targets__read_at__isnull=False)),
            n_acked=Count("targets", filter=Q(targets__acked_at__isnull=False)),
        )
        .order_by(F("published_at").desc(nulls_first=True), "-pk")
    )


def latest_unread(*, viewer: Actor, limit: int = 5) -> list[Notice]:
    """The newest published notices sent to the viewer's units that she has not opened."""
    return list(
        POLICY.queryset(viewer)
        .filter(_sent_to_me(viewer), state=NoticeState.PUBLISHED)
        .exclude(pk__in=NoticeReceipt.objects.filter(user_id=viewer.pk).values("notice_id"))
        .select_related("org")
        .order_by("-published_at", "-pk")[:limit]
    )


def todo_to_acknowledge(*, viewer: Actor) -> QuerySet[Notice]:
    """Published notices asking for an acknowledgement that a unit the viewer is at has
    not given yet: soonest deadline first (none last)."""
    units = sorted(units_at(viewer, VIEW))
    if not units:
        return Notice.objects.none()
    waiting = NoticeTarget.objects.filter(org_id__in=units, acked_at__isnull=True)
    return (
        POLICY.queryset(viewer)
        .filter(
            state=NoticeState.PUBLISHED,
            requires_ack=True,
            pk__in=waiting.values("notice_id"),
        )
        .select_related("org")
        .order_by(F("ack_deadline").asc(nulls_last=True), "pk")
    )


def my_targets(*, viewer: Actor, notice: Notice) -> list[NoticeTarget]:
    """The receiving units of ``notice`` the viewer is at (her acknowledgement state)."""
    units = units_at(viewer, VIEW)
    if not units:
        return []
    return list(
        TARGET.queryset(viewer, base=notice.targets.filter(org_id__in=units)).select_related("org")
    )


def attachments_of(*, viewer: Actor, notice: Notice) -> list[Any]:
    return list(ATTACHMENT.queryset(viewer, base=notice.attachments.all()))


def get_attachment_for_viewer(viewer: Actor, notice: Notice, pk: Any) -> Any:
    return ATTACHMENT.get(viewer, pk, base=notice.attachments.all())


@dataclass
class Board:
    """The receipt board of one notice: each receiving unit, and the counts."""

    rows: list[NoticeTarget]
    total: int
    read: int
    acked: int
    overdue: int

    @property
    def unacked(self) -> int:
        return self.total - self.acked


def notice_board(*, viewer: Actor, notice: Notice) -> Board:
    """Each receiving unit (tree order) with when it first read and acknowledged, who
    acknowledged; the counts 已读 x/y, 已确认 x/y and the overdue acknowledgements.
    Two queries."""
    rows = list(
        TARGET.queryset(viewer, base=notice.targets.all())
        .select_related("org", "acked_by", "acked_by__person")
        .order_by("org__path")
    )
    late = notice.ack_overdue
    overdue = 0
    deadline = notice.ack_deadline
    for row in rows:
        row.is_overdue = bool(  # type: ignore[attr-defined]
            notice.requires_ack
            and deadline is not None
            and (
                (row.acked_at is None and late)
                or (row.acked_at is not None and timezone.localtime(row.acked_at).date() > deadline)
            )
        )
        overdue += row.acked_at is None and row.is_overdue  # type: ignore[attr-defined]
    return Board(
        rows=rows,
        total=len(rows),
        read=sum(1 for r in rows if r.read_at),
        acked=sum(1 for r in rows if r.acked_at),
        overdue=overdue,
    )


def publisher_choices(viewer: Actor) -> QuerySet[Organization]:
    return POLICY.org_choices(viewer)


def unit_choices(viewer: Actor) -> QuerySet[Organization]:
    """Units a notice may be sent to by name: open units in the viewer's publishing
    scope, down to ``MAX_LEVELS`` below her highest grant (grids and buildings
    included here: choosing one is deliberate)."""
    scope = scope_for(viewer, PUBLISH)
    units = Organization.objects.filter(scope.org_q(), is_active=True)
    top = units.order_by("depth").values_list("depth", flat=True).first()
    if top is None:
        return units.none()
    return units.filter(depth__lte=top + MAX_LEVELS - 1).order_by("path")
