"""Optimistic locking through the audit trail (issue 19: stale edit forms overwrote each
other silently).

Every write to a record is audited on it, so the newest audit event of a record *is* its
version: ``version_of(obj)``. An edit form carries the version it was opened at (a
hidden ``version`` input; an API client sends ``If-Match`` or ``version``); the service,
after locking the row, calls ``require_version(obj, seen)``. When someone else wrote in
between, it raises ``StaleEdit``: a ``ValidationError`` naming who changed what and when,
so the page shows the other person's change on the form (with what was typed kept) and
the API answers 409. Reads that are audited on the record (a reveal of personal data,
a refusal) are not writes and do not change the version. No model needs a version
column, so every module gets it by calling two functions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.models import AuditEvent, AuditOutcome, WriteStamp

# Audited on a record without changing it.
NOT_WRITES = (".reveal", ".read")


def _events(obj: models.Model) -> Any:
    rows = AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), outcome=AuditOutcome.SUCCESS
    )
    for suffix in NOT_WRITES:
        rows = rows.exclude(action__endswith=suffix)
    return rows.order_by("-pk")


def version_of(obj: models.Model) -> int:
    """The id of the newest audited write of ``obj`` (0 for a record never audited)."""
    latest = _events(obj).values_list("pk", flat=True).first()
    return int(latest or 0)


def parse_version(value: Any) -> int | None:
    """A version from a form field, an ``If-Match`` header ("12" or W/"12") or JSON;
    None when none was sent (the write goes ahead: older clients)."""
    if value is None or value == "":
        return None
    text = str(value).strip().removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        raise ValidationError({"version": _("This is not a version of the record.")}) from None


class StaleEdit(ValidationError):
    """Someone else changed the record after the editor opened it."""

    def __init__(self, message: str, *, event: AuditEvent | None, current: int) -> None:
        super().__init__(message, code="stale")
        self.event = event
        self.current = current


def _field_names(obj: models.Model, event: AuditEvent) -> str:
    """The changed fields in the words of the model ("总投资（元）"), else as recorded."""
    names = []
    for key in sorted(event.changes) if isinstance(event.changes, dict) else []:
        try:
            field = obj._meta.get_field(key)
        except FieldDoesNotExist:  # a change key that is not a field (co_units, …)
            names.append(key)
            continue
        names.append(str(getattr(field, "verbose_name", key)))
    return "、".join(names)


def _describe(obj: models.Model, event: AuditEvent) -> str:
    fields = _field_names(obj, event)
    return _(
        "%(who)s changed this record at %(when)s after you opened it (%(fields)s). "
        "Check the values below: send the form again to keep yours."
    ) % {
        "who": event.actor_name or _("The system"),
        "when": f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M}",
        "fields": fields or "—",
    }


def require_version(obj: models.Model, seen: int | None) -> None:
    """Refuse the write when ``seen`` is not the record's version any more. Call it
    inside the writing transaction, after locking the row."""
    if seen is None:
        return
    current = version_of(obj)
    if current == seen:
        return
    event = _events(obj).first()
    message = _describe(obj, event) if event else _("This record was changed after you opened it.")
    raise StaleEdit(message, event=event, current=current)


def lock_at_version(obj: models.Model, version: int | None) -> None:
    """For a service that edits the instance it was given (``update_with_audit``): lock
    the row for the rest of the transaction, reload it (what was committed since it was
    read) and refuse a stale ``version``. Call it inside the writing transaction."""
    model = type(obj)
    list(model._default_manager.select_for_update().filter(pk=obj.pk).values_list("pk"))
    obj.refresh_from_db()
    require_version(obj, version)


def written_since(model: type[models.Model], since: Any) -> Q:
    """The records of ``model`` written (created or changed) at or after ``since``, as a
    filter: those with an audited write since (every write is audited on its record) and
    those a bulk write stamped since (an import is audited once for all its rows:
    ``WriteStamp``). A sync asks ``updated_since`` without any model keeping a
    timestamp (issue 17)."""
    from django.db.models.functions import Cast

    rows = AuditEvent.objects.filter(
        object_type=model._meta.label_lower, occurred_at__gte=since, outcome=AuditOutcome.SUCCESS
    ).exclude(object_id="")  # an event about many rows (an import) names none: stamped
    for suffix in NOT_WRITES:
        rows = rows.exclude(action__endswith=suffix)
    audited = rows.annotate(record=Cast("object_id", models.BigIntegerField())).values("record")
    stamped = WriteStamp.objects.filter(
        object_type=model._meta.label_lower, written_at__gte=since
    ).values("object_id")
    return Q(pk__in=audited) | Q(pk__in=stamped)


@cache
def _stamped_model(model: type[models.Model]) -> bool:
    """Whether rows of ``model`` are stamped: the records API clients read, i.e. the
    models with a scope policy."""
    from taizhang.core.registry import POLICIES

    return any(policy.model is model for policy in POLICIES.values())


def stamp_listener(model: type[models.Model], pks: frozenset[Any]) -> Callable[[], None]:
    """``core.changes`` listener: once the write is done, the rows it reported carry the
    moment (one upsert; a stamp of a row that was deleted matches no record)."""
    if not _stamped_model(model):
        return _nothing

    def finish() -> None:
        now = timezone.now()
        label = model._meta.label_lower
        WriteStamp.objects.bulk_create(
            [WriteStamp(object_type=label, object_id=pk, written_at=now) for pk in pks],
            update_conflicts=True,
            unique_fields=["object_type", "object_id"],
            update_fields=["written_at"],
            batch_size=500,
        )

    return finish


def _nothing() -> None:
    return None


# The shared part of an edit page and an API edit (issue 19): every module's edit view
# and PATCH read and send the version the same way.


def _read_at_version(obj: models.Model) -> int:
    """The record's version, and ``obj`` reloaded after it was read: what is shown is
    then at least as new as the version (read the other way round, a write committed in
    between would pair the old values with the new version, and a save of them would
    pass the check and undo that write)."""
    version = version_of(obj)
    obj.refresh_from_db()
    return version


def seen_version(request: Any, obj: models.Model) -> int | None:
    """The version an edit page works against: on a GET the record's current one (it
    goes into the page's hidden ``version`` input; ``obj`` is reloaded after it, so call
    this before the form's initial values are taken from ``obj``), on a POST the one
    the page sent back (None from an older page: the write goes ahead). A version that
    is not a number cannot be one the page was given: it is treated as stale (0
    matches only a record never written)."""
    if request.method != "POST":
        return _read_at_version(obj)
    return posted_version(request)


def posted_version(request: Any) -> int | None:
    """The ``version`` a posted page sent back (None when it sent none); one that is not
    a number reads as stale (0)."""
    try:
        return parse_version(request.POST.get("version"))
    except ValidationError:
        return 0


def versions_of(model: type[models.Model], pks: Any) -> dict[int, int]:
    """The versions of many records of ``model`` at once, by primary key (a record
    never audited is left out: its version is 0). For a table with a form per row."""
    from django.db.models import Max

    keys = [str(pk) for pk in pks]
    if not keys:
        return {}
    rows = AuditEvent.objects.filter(
        object_type=model._meta.label_lower, object_id__in=keys, outcome=AuditOutcome.SUCCESS
    )
    for suffix in NOT_WRITES:
        rows = rows.exclude(action__endswith=suffix)
    latest = rows.values("object_id").annotate(latest=Max("pk")).values_list("object_id", "latest")
    return {int(object_id): int(pk) for object_id, pk in latest}


def page_version(form: Any, obj: models.Model, seen: int | None) -> int | None:
    """The version to put back on a page shown again: after a stale refusal the current
    one (the editor has now seen the other change, so sending again keeps hers), else
    the one she opened."""
    from django.core.exceptions import NON_FIELD_ERRORS

    if form.has_error(NON_FIELD_ERRORS, "stale"):
        return version_of(obj)
    return seen


def if_match(request: Any) -> int | None:
    """The version an API client read (``If-Match: "12"``), None when it sent none; a
    value that is not a version is a 422."""
    return parse_version(request.headers.get("If-Match"))


def etag(obj: models.Model) -> str:
    """The ``ETag`` of one record read over the API: its version, to send back as
    ``If-Match`` with a PATCH. ``obj`` is reloaded after the version is read, so the
    body sent is at least as new as its ETag."""
    return f'"{_read_at_version(obj)}"'
