"""The audit administrator's review of the trail (三员分立: the auditor reads what the
system and security administrators did, and every refused or failed action).

Which actions are to be reviewed is registered by the modules that write them
(``core.registry.register_audit_review``: "grant.*", "*.reveal", "*.export"…); refused
and failed actions always are. Each auditor keeps a mark, the last event she has read
(``AuditReview``); the events after it are her to-do (``core.audit_to_review``), the
audit page lists them (``?review=1``) and marks them read up to the newest one shown.
Her own actions are never on her list.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor
from taizhang.core.audit import audit_record
from taizhang.core.models import AuditEvent, AuditOutcome, AuditReview
from taizhang.core.registry import AUDIT_REVIEW

VIEW_AUDIT = "audit.view"


def review_q() -> Q:
    """The events an auditor is asked to read: the registered actions, and every
    refused or failed one."""
    q = ~Q(outcome=AuditOutcome.SUCCESS)
    for pattern in AUDIT_REVIEW:
        if pattern.endswith(".*"):
            q |= Q(action__startswith=pattern[:-1])
        else:
            q |= Q(action__endswith=pattern[1:])
    return q


def kind_of(event: AuditEvent) -> str:
    """What the event is, in the words its module registered ("Grants"), with the
    refusal or failure said; the raw action when no pattern matches."""
    label = next(
        (
            str(label)
            for pattern, label in AUDIT_REVIEW.items()
            if (pattern.endswith(".*") and event.action.startswith(pattern[:-1]))
            or (pattern.startswith("*.") and event.action.endswith(pattern[1:]))
        ),
        event.action,
    )
    if event.outcome != AuditOutcome.SUCCESS:
        return _("%(kind)s (%(outcome)s)") % {"kind": label, "outcome": event.get_outcome_display()}
    return label


def reviewed_up_to(viewer: Actor) -> int:
    """The last event ``viewer`` marked as read (0 before her first review)."""
    pk = getattr(viewer, "pk", None)
    if pk is None or is_system(viewer):
        return 0
    mark = AuditReview.objects.filter(reviewer_id=pk).order_by("-up_to").first()
    return mark.up_to if mark else 0


def events_to_review(viewer: Actor) -> QuerySet[AuditEvent]:
    """The events after the viewer's mark that she is asked to read, oldest first; none
    for someone who may not read the trail."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.has_function(VIEW_AUDIT):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(review_q(), pk__gt=reviewed_up_to(viewer))
        .exclude(actor_id=viewer.pk)
        .order_by("pk")
    )


@transaction.atomic
def audit_review_mark(*, acting_user: Actor, up_to: int) -> AuditReview:
    """Mark the events up to ``up_to`` as read by the acting auditor."""
    require_actor(acting_user)
    require(not is_system(acting_user) and acting_user.has_function(VIEW_AUDIT))
    before = reviewed_up_to(acting_user)
    if up_to <= before:
        raise ValidationError(_("These events were already marked as read."))
    if not AuditEvent.objects.filter(pk=up_to).exists():
        raise ValidationError(_("There is no such audit event."))
    pending = events_to_review(acting_user).filter(pk__lte=up_to).count()
    mark = AuditReview.objects.create(reviewer_id=acting_user.pk, up_to=up_to)
    audit_record(
        actor=acting_user,
        action="audit.review",
        obj=mark,
        changes={"up_to": [before, up_to], "events": [None, pending]},
    )
    return mark
