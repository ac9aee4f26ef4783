"""What the audit trail page offers beside the list (issue 18): an Excel export of the
filtered trail and a verification of the chain, both background tasks for a long trail.

Both are the audit administrator's (``audit.view``) and both leave an event of their own:
the export through the shared export writer (``core.export``), the verification as
``audit.verify`` with its result."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.audit import audit_record, audit_verify
from taizhang.core.audit_display import describe
from taizhang.core.audit_forms import AuditFilterForm
from taizhang.core.exports import INTEGER, TEXT, Column, Export, Sheet
from taizhang.core.jobs import JobFailed
from taizhang.core.models import AuditEvent

AUDIT_EXPORT = "core.audit"
VERIFY_JOB = "core.audit_verify"
CHUNK = 500

COLUMNS = (
    Column(gettext_lazy("No."), INTEGER, width=8),
    # The time to the second, as text: the sheet keeps it exactly as the trail does.
    Column(gettext_lazy("Time"), TEXT, width=19),
    Column(gettext_lazy("Actor"), TEXT, width=14),
    Column(gettext_lazy("Action"), TEXT, width=22),
    Column(gettext_lazy("Object type"), TEXT, width=14),
    Column(gettext_lazy("Object"), TEXT, width=28),
    Column(gettext_lazy("Changes"), TEXT, width=60),
    Column(gettext_lazy("IP address"), TEXT, width=15),
    Column(gettext_lazy("Outcome"), TEXT, width=8),
)


def filtered_events(params: Mapping[str, str], viewer: Any) -> tuple[AuditFilterForm, Any]:
    data = QueryDict(mutable=True)
    data.update({key: value for key, value in params.items() if value})
    form = AuditFilterForm(data, viewer=viewer)
    return form, form.narrow(AuditEvent.objects.all()).order_by("-id")


def _rows(events: Any) -> Iterator[list[Any]]:
    from django.utils import timezone

    last = None
    while True:
        chunk = list((events.filter(pk__lt=last) if last else events)[:CHUNK])
        if not chunk:
            return
        for shown in describe(chunk):
            event = shown.event
            yield [
                event.pk,
                f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M:%S}",
                event.actor_name or _("System"),
                shown.action,
                shown.object_type,
                event.object_repr,
                shown.changes_text,
                event.ip or "",
                event.get_outcome_display(),
            ]
        last = chunk[-1].pk


def build_export(viewer: Any, params: Mapping[str, str]) -> Sheet:
    _form, events = filtered_events(params, viewer)
    return Sheet(
        columns=COLUMNS,
        rows=_rows(events),
        count=events.count(),
        organization_name=_("Whole system"),
    )


EXPORT = Export(
    kind=AUDIT_EXPORT,
    title=gettext_lazy("Audit trail"),
    permission="audit.view",
    ascii_name="audit-trail",
    build=build_export,
)


def verify_job(job: Any, progress: Any) -> dict[str, Any]:
    """Verify the whole chain; a break fails the task with the first broken event."""
    if not job.created_by.has_function("audit.view"):
        raise PermissionError("The verification's owner no longer reads the audit trail")
    result = audit_verify(progress=progress)
    with transaction.atomic():
        audit_record(
            actor=job.created_by,
            action="audit.verify",
            object_type="core.auditevent",
            object_repr=_("the whole chain"),
            changes={
                "intact": result.ok,
                "checked": result.checked,
                "broken_id": result.broken_id,
            },
        )
    if not result.ok:
        facts = {"id": result.broken_id, "reason": result.reason, "checked": result.checked}
        if result.broken_id is None:
            # A checkpoint file that does not verify names no event of the chain.
            text = _("The audit checkpoints do not verify: %(reason)s.") % facts
        else:
            text = (
                _(
                    "The chain is broken at event #%(id)s: %(reason)s. %(checked)s events "
                    "before it are intact."
                )
                % facts
            )
        raise JobFailed(
            text, {"intact": False, "broken_id": result.broken_id, "checked": result.checked}
        )
    return {
        "intact": True,
        "checked": result.checked,
        "summary": _("The chain is intact: %(checked)s events verified.")
        % {"checked": result.checked},
    }
