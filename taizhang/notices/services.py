"""Writes to notices. Every service is atomic, checks the acting user through the scope
policy (``permissions.POLICY``) and records one audit event with the field diff, except
``notice_read`` (see its docstring).

Publication resolves the receiving units once (``NoticeTarget``, bulk-created) and
tells the staff at each unit (``core.notify``, rule ``notices.published``); 提醒未确认单位
tells the staff of the units that have not acknowledged yet (rule ``notices.ack_due``),
at most once a day per notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.selectors import users_at
from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.notify import notify
from taizhang.core.uploads import check_uploads
from taizhang.core.versions import require_version
from taizhang.notices.models import (
    Audience,
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    NoticeState,
    NoticeTarget,
)
from taizhang.notices.permissions import POLICY, PUBLISH, VIEW, units_at
from taizhang.organizations.models import Organization, OrgKind, subtree_bounds
from taizhang.organizations.scope import scope_for

AUDITED_FIELDS = [
    "org",
    "title",
    "body",
    "audience",
    "levels",
    "chosen_units",
    "requires_ack",
    "ack_deadline",
    "state",
    "published_at",
    "withdrawn_at",
]
EDITABLE_FIELDS = {
    "title",
    "body",
    "audience",
    "levels",
    "chosen_units",
    "requires_ack",
    "ack_deadline",
}
MAX_LEVELS = 3
MAX_ATTACHMENTS = 10
# A subtree notice goes to units down to ``levels`` below the publisher, but not to
# grids and buildings: their staff read what their community passes on. A publisher
# who wants a grid to receive it chooses the grid by name.
SUBTREE_EXCLUDED_KINDS = (OrgKind.GRID, OrgKind.BUILDING)


def _audit_state(notice: Notice) -> dict[str, Any]:
    state = snapshot(notice, [f for f in AUDITED_FIELDS if f != "chosen_units"])
    state["chosen_units"] = sorted(notice.chosen_units.values_list("pk", flat=True))
    return state


def _check_content(
    *,
    title: str,
    body: str,
    audience: str,
    levels: int,
    requires_ack: bool,
    ack_deadline: dt.date | None,
) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("A notice needs a title.")
    if not body.strip():
        errors["body"] = _("A notice needs a text.")
    if audience not in Audience.values:
        errors["audience"] = _("Choose who receives the notice.")
    if audience == Audience.SUBTREE and not 1 <= levels <= MAX_LEVELS:
        errors["levels"] = _("Between 1 and %(max)s levels below the publisher.") % {
            "max": MAX_LEVELS
        }
    if ack_deadline is not None and not requires_ack:
        errors["ack_deadline"] = _("A deadline is set only when acknowledgement is required.")
    if errors:
        raise ValidationError(errors)


def _check_units(acting_user: Actor, org: Organization, units: Sequence[Organization]) -> None:
    """Chosen units must be open, other than the publisher, and in the acting user's
    publishing scope: publishing to a unit outside it is refused."""
    scope = None if is_system(acting_user) else scope_for(acting_user, PUBLISH)
    for unit in units:
        if unit.pk == org.pk or not unit.is_active:
            raise ValidationError(
                {"chosen_units": _("%(unit)s cannot receive this notice.") % {"unit": unit.name}}
            )
        if scope is not None and not scope.covers(unit):
            raise PermissionDenied


def _add_attachments(notice: Notice, files: Iterable[UploadedFile]) -> list[str]:
    uploads = list(files)
    if notice.attachments.count() + len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("At most %(n)s attachments.") % {"n": MAX_ATTACHMENTS}}
        )
    check_uploads(uploads, field="attachments")
    names = []
    for upload in uploads:
        NoticeAttachment.objects.create(
            notice=notice,
            file=upload,
            original_name=(upload.name or "")[:200],
            size=upload.size or 0,
        )
        names.append(upload.name or "")
    return names


@transaction.atomic
def notice_create(
    *,
    org: Organization,
    title: str,
    body: str,
    audience: str = Audience.SUBTREE,
    levels: int = 1,
    chosen_units: Sequence[Organization] = (),
    requires_ack: bool = False,
    ack_deadline: dt.date | None = None,
    attachments: Iterable[UploadedFile] = (),
    acting_user: Actor,
) -> Notice:
    """Write a draft notice of ``org``; the acting user needs ``notices.publish`` there."""
    POLICY.require_org(acting_user, org)
    _check_content(
        title=title,
        body=body,
        audience=audience,
        levels=levels,
        requires_ack=requires_ack,
        ack_deadline=ack_deadline,
    )
    units = list(chosen_units) if audience == Audience.CHOSEN else []
    _check_units(acting_user, org, units)
    notice = Notice.objects.create(
        org=org,
        title=title.strip(),
        body=body.strip(),
        audience=audience,
        levels=levels,
        requires_ack=requires_ack,
        ack_deadline=ack_deadline if requires_ack else None,
        created_by=user_of(acting_user),
    )
    notice.chosen_units.set(units)
    names = _add_attachments(notice, attachments)
    changes = diff({}, _audit_state(notice))
    if names:
        changes["attachments"] = [[], names]
    audit_record(actor=acting_user, action="notice.create", obj=notice, changes=changes)
    return notice


@transaction.atomic
def notice_update(
    *,
    notice: Notice,
    changes: dict[str, Any],
    attachments: Iterable[UploadedFile] = (),
    acting_user: Actor,
    version: int | None = None,
) -> Notice:
    """Change a draft (title, text, audience, acknowledgement) and add attachments.
    ``version``: the one the editor saw; a change since is refused (``StaleEdit``)."""
    notice = _locked(notice)
    POLICY.require(acting_user, notice)
    require_version(notice, version)
    if notice.state != NoticeState.DRAFT:
        raise ValidationError(_("Only a draft can be edited."))
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    before = _audit_state(notice)
    for name, value in changes.items():
        if name != "chosen_units":
            setattr(notice, name, value)
    if not notice.requires_ack:
        notice.ack_deadline = None
    _check_content(
        title=notice.title,
        body=notice.body,
        audience=notice.audience,
        levels=notice.levels,
        requires_ack=notice.requires_ack,
        ack_deadline=notice.ack_deadline,
    )
    notice.title, notice.body = notice.title.strip(), notice.body.strip()
    if "chosen_units" in changes or notice.audience != Audience.CHOSEN:
        units = list(changes.get("chosen_units", ())) if notice.audience == Audience.CHOSEN else []
        _check_units(acting_user, notice.org, units)
        notice.chosen_units.set(units)
    notice.save()
    names = _add_attachments(notice, attachments)
    changed = diff(before, _audit_state(notice))
    if names:
        changed["attachments"] = [[], names]
    audit_record(actor=acting_user, action="notice.update", obj=notice, changes=changed)
    return notice


@transaction.atomic
def notice_attachment_delete(*, attachment: NoticeAttachment, acting_user: Actor) -> None:
    """Remove an attachment from a draft."""
    notice = _locked(attachment.notice)
    POLICY.require(acting_user, notice)
    if notice.state != NoticeState.DRAFT:
        raise ValidationError(_("Only a draft can be edited."))
    name = attachment.original_name
    attachment.file.delete(save=False)
    attachment.delete()
    audit_record(
        actor=acting_user,
        action="notice.attachment_delete",
        obj=notice,
        changes={"attachments": [[name], []]},
    )


def receiving_units(notice: Notice, acting_user: Actor) -> list[Organization]:
    """The units a draft would go to now: the chosen ones, or the open units down to
    ``levels`` below the publisher (no grids or buildings) in the acting user's
    publishing scope. Read once, at publication."""
    if notice.audience == Audience.CHOSEN:
        return list(notice.chosen_units.filter(is_active=True).order_by("path"))
    lower, upper = subtree_bounds(notice.org.path)
    units = Organization.objects.filter(
        path__gt=lower,
        path__lt=upper,
        depth__lte=notice.org.depth + notice.levels,
        is_active=True,
    ).exclude(kind__in=SUBTREE_EXCLUDED_KINDS)
    if not is_system(acting_user):
        units = units.filter(scope_for(acting_user, PUBLISH).org_q())
    return list(units.order_by("path"))


def _notice_url(notice: Notice) -> str:
    return reverse("notices:detail", args=[notice.pk])


def _tell_units(
    notice: Notice, units: Iterable[Organization], *, rule: str, title: str, body: str, skip: Any
) -> int:
    """One message per receiving unit to its staff (``users_at``), each person once."""
    told: set[int] = set()
    skip_pk = getattr(skip, "pk", None)
    sent = 0
    for unit in units:
        recipients = [u for u in users_at(unit, VIEW) if u.pk not in told and u.pk != skip_pk]
        if not recipients:
            continue
        told.update(u.pk for u in recipients)
        sent += notify(
            recipients=recipients,
            rule=rule,
            title=title,
            body=body,
            url=_notice_url(notice),
            source=notice,
            org=unit,
        )
    return sent


@transaction.atomic
def notice_publish(
    *, notice: Notice, acting_user: Actor, when: dt.datetime | None = None
) -> Notice:
    """Publish a draft: resolve its receiving units and tell their staff."""
    notice = _locked(notice)
    POLICY.require(acting_user, notice)
    if notice.state != NoticeState.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    now = when or timezone.now()
    if (
        notice.requires_ack
        and notice.ack_deadline
        and notice.ack_deadline < timezone.localtime(now).date()
    ):
        raise ValidationError({"ack_deadline": _("The acknowledgement deadline has passed.")})
    units = receiving_units(notice, acting_user)
    if notice.audience == Audience.CHOSEN:
        _check_units(acting_user, notice.org, units)
    if not units:
        raise ValidationError(_("No unit would receive this notice."))
    before = _audit_state(notice)
    NoticeTarget.objects.bulk_create(NoticeTarget(notice=notice, org=unit) for unit in units)
    notice.state = NoticeState.PUBLISHED
    notice.published_at = now
    notice.save(update_fields=["state", "published_at"])
    if notice.requires_ack and notice.ack_deadline:
        body = _("From %(org)s. Please acknowledge receipt by %(date)s.") % {
            "org": notice.org.short_name,
            "date": notice.ack_deadline.isoformat(),
        }
    elif notice.requires_ack:
        body = _("From %(org)s. Please acknowledge receipt.") % {"org": notice.org.short_name}
    else:
        body = _("From %(org)s.") % {"org": notice.org.short_name}
    sent = _tell_units(
        notice, units, rule="notices.published", title=notice.title, body=body, skip=acting_user
    )
    changes = diff(before, _audit_state(notice))
    changes["targets"] = [[], [unit.pk for unit in units]]
    changes["notified"] = [0, sent]
    audit_record(actor=acting_user, action="notice.publish", obj=notice, changes=changes)
    return notice


@transaction.atomic
def notice_withdraw(*, notice: Notice, acting_user: Actor) -> Notice:
    """Withdraw a published notice: it stays readable, marked withdrawn, and asks
    nobody for an acknowledgement any more."""
    notice = _locked(notice)
    POLICY.require(acting_user, notice)
    if notice.state != NoticeState.PUBLISHED:
        raise ValidationError(_("Only a published notice can be withdrawn."))
    before = _audit_state(notice)
    notice.state = NoticeState.WITHDRAWN
    notice.withdrawn_at = timezone.now()
    notice.save(update_fields=["state", "withdrawn_at"])
    audit_record(
        actor=acting_user,
        action="notice.withdraw",
        obj=notice,
        changes=diff(before, _audit_state(notice)),
    )
    return notice


def _my_targets(notice: Notice, user: Actor) -> list[NoticeTarget]:
    units = units_at(user, VIEW)
    if not units:
        return []
    return list(notice.targets.filter(org_id__in=units).select_related("org"))


@transaction.atomic
def notice_read(*, notice: Notice, viewer: Actor, when: dt.datetime | None = None) -> bool:
    """Record that ``viewer`` opened the notice at the receiving units she is at; the
    first reader at a unit marks the unit read. Answer whether anything was recorded.

    Not audited: every opening would add an event to the chain, and the receipt row
    (who, which unit, when) is itself the record the board shows; acknowledgements,
    which are a unit's answer, are audited.
    """
    require_actor(viewer)
    if is_system(viewer) or notice.state == NoticeState.DRAFT:
        return False
    targets = _my_targets(notice, viewer)
    if not targets:
        return False
    now = when or timezone.now()
    seen = set(
        NoticeReceipt.objects.filter(notice=notice, user_id=viewer.pk).values_list(
            "org_id", flat=True
        )
    )
    fresh = [t for t in targets if t.org_id not in seen]
    if not fresh:
        return False
    NoticeReceipt.objects.bulk_create(
        [
            NoticeReceipt(notice=notice, user_id=viewer.pk, org_id=t.org_id, read_at=now)
            for t in fresh
        ],
        ignore_conflicts=True,
    )
    NoticeTarget.objects.filter(pk__in=[t.pk for t in fresh], read_at__isnull=True).update(
        read_at=now
    )
    return True


@transaction.atomic
def notice_acknowledge(
    *, notice: Notice, acting_user: Actor, when: dt.datetime | None = None
) -> list[NoticeTarget]:
    """Acknowledge receipt (确认收到) for the receiving units the acting user is at.
    An acknowledgement after the deadline is taken and shows as late on the board."""
    require_actor(acting_user)
    notice = _locked(notice)
    if not POLICY.covers(acting_user, notice):
        raise PermissionDenied
    if notice.state != NoticeState.PUBLISHED or not notice.requires_ack:
        raise ValidationError(_("This notice asks for no acknowledgement."))
    targets = [t for t in _my_targets(notice, acting_user) if t.acked_at is None]
    if not targets:
        raise ValidationError(
            _("Your units have acknowledged this notice already, or it was not sent to them.")
        )
    now = when or timezone.now()
    notice_read(notice=notice, viewer=acting_user, when=now)
    # notice_read marked every one of these units read (now, or at an earlier opening).
    NoticeTarget.objects.filter(pk__in=[t.pk for t in targets]).update(
        acked_at=now, acked_by=user_of(acting_user)
    )
    NoticeReceipt.objects.filter(
        notice=notice, user_id=acting_user.pk, org_id__in=[t.org_id for t in targets]
    ).update(acked_at=now)
    audit_record(
        actor=acting_user,
        action="notice.acknowledge",
        obj=notice,
        changes={
            "acknowledged_units": [[], [t.org_id for t in targets]],
            "acked_at": [None, now.isoformat()],
        },
    )
    for target in targets:
        target.acked_at = now
    return targets


@transaction.atomic
def notice_remind(*, notice: Notice, acting_user: Actor) -> int:
    """Remind the units that have not acknowledged (提醒未确认单位), at most once a day
    per notice. Answer how many people were told."""
    notice = _locked(notice)
    POLICY.require(acting_user, notice)
    if notice.state != NoticeState.PUBLISHED or not notice.requires_ack:
        raise ValidationError(_("This notice asks for no acknowledgement."))
    today = timezone.localdate()
    if notice.last_reminded_on == today:
        raise ValidationError(_("The units were reminded today already; try again tomorrow."))
    waiting = list(
        Organization.objects.filter(
            pk__in=notice.targets.filter(acked_at__isnull=True).values("org_id")
        ).order_by("path")
    )
    if not waiting:
        raise ValidationError(_("Every unit has acknowledged this notice."))
    if notice.ack_deadline:
        body = _("%(org)s asks you to acknowledge receipt by %(date)s.") % {
            "org": notice.org.short_name,
            "date": notice.ack_deadline.isoformat(),
        }
    else:
        body = _("%(org)s asks you to acknowledge receipt.") % {"org": notice.org.short_name}
    sent = _tell_units(
        notice,
        waiting,
        rule="notices.ack_due",
        title=_("Please acknowledge: %(title)s") % {"title": notice.title},
        body=body,
        skip=acting_user,
    )
    before = notice.last_reminded_on
    notice.last_reminded_on = today
    notice.save(update_fields=["last_reminded_on"])
    audit_record(
        actor=acting_user,
        action="notice.remind",
        obj=notice,
        changes={
            "last_reminded_on": [before.isoformat() if before else None, today.isoformat()],
            "reminded_units": [[], [unit.pk for unit in waiting]],
            "notified": [0, sent],
        },
    )
    return sent


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().select_related("org").get(pk=notice.pk)
