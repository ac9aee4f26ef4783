"""Writes of the import flow: upload a file, check it, import it, undo it.

Checking and importing run as background jobs (``core/jobs.py``). Checking reads the
file and runs the importer's ``prepare`` (names resolved, scope checked, every value
validated) without writing anything. Importing does it again on the records as they are
then, and writes through the module's services in one transaction: a row that fails at
that point rolls the whole batch back and is reported like any other row error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, require_actor, user_of
from taizhang.core.audit import audit_record
from taizhang.core.imports import (
    Context,
    FileRefused,
    Importer,
    ImportRefused,
    Plan,
    RowError,
    Written,
    read_table,
)
from taizhang.core.jobs import FAILURE_LISTENERS, JobFailed, job_start, register_job_handler
from taizhang.core.models import AuditEvent, AuditOutcome, Job
from taizhang.core.registry import IMPORTERS
from taizhang.ingest.models import BatchStatus, ImportBatch

MAX_ERRORS_KEPT = 500
PREVIEW_ROWS = 200
CHECK = "ingest.check"
IMPORT = "ingest.import"


class AlreadyImported(Exception):
    """The same file was imported for the same ledger and not undone."""

    def __init__(self, batch: ImportBatch) -> None:
        super().__init__(f"already imported as batch {batch.pk}")
        self.batch = batch


def importer_for(kind: str) -> Importer:
    importer: Importer = IMPORTERS[kind]
    return importer


def importers_for(user: Any) -> list[Importer]:
    """The imports ``user`` may start (they hold the importer's function somewhere)."""
    found = [i for i in IMPORTERS.values() if user.has_function(i.permission)]
    return sorted(found, key=lambda i: (i.order, i.kind))


def _require_importer(user: Any, importer: Importer) -> None:
    if not user.has_function(importer.permission):
        raise PermissionDenied


@transaction.atomic
def batch_upload(*, kind: str, file_name: str, content: bytes, acting_user: Actor) -> ImportBatch:
    """Keep the file and queue its check; the same file imported before is a no-op."""
    require_actor(acting_user)
    user = user_of(acting_user)
    importer = importer_for(kind)
    _require_importer(user, importer)
    checksum = hashlib.sha256(content).hexdigest()
    prior = ImportBatch.objects.filter(
        kind=kind, checksum=checksum, status=BatchStatus.IMPORTED
    ).first()
    if prior is not None:
        raise AlreadyImported(prior)
    batch = ImportBatch(
        kind=kind,
        file_name=file_name[:200],
        checksum=checksum,
        size=len(content),
        created_by=user,
    )
    batch.file.save(f"{checksum[:20]}.xlsx", ContentFile(content), save=False)
    batch.save()
    batch.job = job_start(
        kind=CHECK,
        label=_("Check %(file)s") % {"file": batch.file_name},
        params={"batch": batch.pk},
        acting_user=acting_user,
    )
    batch.save(update_fields=["job"])
    audit_record(
        actor=acting_user,
        action="ingest.upload",
        obj=batch,
        changes={"kind": kind, "file": batch.file_name, "checksum": checksum, "size": len(content)},
    )
    return batch


def _analyse(batch: ImportBatch, progress: Any) -> tuple[Importer, Context, Plan | None, int]:
    """Read and prepare the batch's file as its owner; errors are in the context."""
    importer = importer_for(batch.kind)
    user = batch.created_by
    ctx = Context(
        actor=user,
        source=batch.file_name,
        fields={f.key: f for f in importer.fields},
        progress=progress,
        today=timezone.localdate(),
    )
    with batch.file.open("rb") as handle:
        content = handle.read()
    try:
        table, cell_errors = read_table(
            content, importer, others=list(IMPORTERS.values()), progress=progress
        )
    except FileRefused as refused:
        ctx.errors.append(RowError(None, "", "", refused.message))
        return importer, ctx, None, 0
    ctx.errors.extend(cell_errors)
    if not table.rows:
        ctx.errors.append(RowError(None, "", "", _("The sheet has no data rows.")))
        return importer, ctx, None, 0
    bad = {e.row for e in cell_errors}
    plan = importer.prepare([row for row in table.rows if row.number not in bad], ctx)
    return importer, ctx, plan, len(table.rows)


def _error_rows(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    ordered = sorted(errors, key=lambda e: (e.row or 0, e.column))
    return [
        {"row": e.row, "column": e.column, "value": e.value, "message": e.message, "text": str(e)}
        for e in ordered[:MAX_ERRORS_KEPT]
    ]


def _check(job: Job, progress: Any) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    _importer, ctx, plan, rows = _analyse(batch, progress)
    batch.rows = rows
    batch.checked_at = timezone.now()
    batch.error_count = len(ctx.errors)
    batch.errors = _error_rows(ctx.errors)
    if plan is not None:
        batch.to_create, batch.to_update = len(plan.create), len(plan.update)
        batch.unchanged = plan.unchanged
        batch.preview = [list(p) for p in plan.preview[:PREVIEW_ROWS]]
    batch.status = BatchStatus.REFUSED if ctx.errors or plan is None else BatchStatus.CHECKED
    batch.save()
    return {"total": rows, "errors": len(ctx.errors)}


@transaction.atomic
def batch_import(*, batch: ImportBatch, acting_user: Actor) -> ImportBatch:
    """Queue the import of a checked batch (its owner only)."""
    require_actor(acting_user)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.created_by_id != getattr(user_of(acting_user), "pk", None):
        raise PermissionDenied
    _require_importer(batch.created_by, importer_for(batch.kind))
    if batch.status not in {BatchStatus.CHECKED, BatchStatus.FAILED}:
        raise ValidationError(_("Only a checked batch without errors can be imported."))
    if batch.status == BatchStatus.FAILED and batch.error_count:
        raise ValidationError(_("Fix the errors and upload the file again."))
    batch.status = BatchStatus.IMPORTING
    batch.message = ""
    batch.job = job_start(
        kind=IMPORT,
        label=_("Import %(file)s") % {"file": batch.file_name},
        params={"batch": batch.pk},
        acting_user=acting_user,
    )
    batch.save(update_fields=["status", "message", "job"])
    return batch


def _written_json(written: Written) -> dict[str, Any]:
    return {"created": written.created, "updated": written.updated}


def _import(job: Job, progress: Any) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    try:
        with transaction.atomic():
            importer, ctx, plan, rows = _analyse(batch, progress)
            if plan is None or ctx.errors:
                raise ImportRefused(ctx.errors)
            progress(0, rows, "writing")
            try:
                written = importer.commit(plan, ctx)
            except ValidationError as error:
                ctx.errors.append(RowError(None, "", "", "；".join(error.messages)))
            ctx.refuse()
            event = audit_record(
                actor=batch.created_by,
                action="ingest.import",
                obj=batch,
                changes={
                    "kind": batch.kind,
                    "file": batch.file_name,
                    "checksum": batch.checksum,
                    "rows": rows,
                    "created": {k: len(v) for k, v in written.created.items()},
                    "updated": {k: len(v) for k, v in written.updated.items()},
                    "unchanged": plan.unchanged,
                },
            )
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=BatchStatus.IMPORTED,
                imported_at=timezone.now(),
                written=_written_json(written),
                last_event=event.pk,
                rows=rows,
                to_create=len(plan.create),
                to_update=len(plan.update),
                unchanged=plan.unchanged,
                error_count=0,
                errors=[],
            )
    except ImportRefused as refused:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            error_count=len(refused.errors),
            errors=_error_rows(refused.errors),
            message=_("Nothing was imported."),
        )
        raise JobFailed(_("Nothing was imported: the file has errors.")) from refused
    return {"total": rows}


def _batch_job_failed(job: Job) -> None:
    """A check or import whose job failed (the worker died) leaves a failed batch."""
    if job.kind not in {CHECK, IMPORT}:
        return
    status = BatchStatus.FAILED if job.kind == IMPORT else BatchStatus.REFUSED
    ImportBatch.objects.filter(
        pk=job.params.get("batch"), status__in=[BatchStatus.CHECKING, BatchStatus.IMPORTING]
    ).update(status=status, message=job.message)


register_job_handler(CHECK, _check)
register_job_handler(IMPORT, _import)
if _batch_job_failed not in FAILURE_LISTENERS:
    FAILURE_LISTENERS.append(_batch_job_failed)


# Events that read a record (revealing personal data, an export) do not change it.
READ_ACTIONS = (".reveal", ".export", ".view")


def _reads() -> Q:
    q = Q(outcome=AuditOutcome.DENIED)
    for suffix in READ_ACTIONS:
        q |= Q(action__endswith=suffix)
    return q


def batch_touched(batch: ImportBatch) -> int:
    """How many audit events after the import touched the rows it wrote."""
    if batch.last_event is None:
        return 0
    touched = 0
    written: dict[str, dict[str, list[Any]]] = batch.written or {}
    for part in ("created", "updated"):
        for label, pks in (written.get(part) or {}).items():
            ids = [str(pk) for pk in pks]
            for start in range(0, len(ids), 900):
                touched += (
                    AuditEvent.objects.filter(
                        pk__gt=batch.last_event,
                        object_type=label,
                        object_id__in=ids[start : start + 900],
                    )
                    .exclude(_reads())
                    .count()
                )
    return touched


@transaction.atomic
def batch_undo(*, batch: ImportBatch, acting_user: Actor) -> ImportBatch:
    """Remove what an import created, while nothing else has touched it since."""
    require_actor(acting_user)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.created_by_id != getattr(user_of(acting_user), "pk", None):
        raise PermissionDenied
    importer = importer_for(batch.kind)
    _require_importer(batch.created_by, importer)
    if batch.status != BatchStatus.IMPORTED:
        raise ValidationError(_("Only an imported batch can be undone."))
    if not importer.can_undo:
        raise ValidationError(_("This ledger's imports cannot be undone."))
    written = batch.written or {}
    if any(written.get("updated", {}).values()):
        raise ValidationError(
            _("This batch changed records that existed before; it cannot be undone as a whole.")
        )
    touched = batch_touched(batch)
    if touched:
        raise ValidationError(
            _(
                "%(count)d later changes touched the imported records; undo is no longer "
                "possible. Correct the records one by one."
            )
            % {"count": touched}
        )
    ctx = Context(
        actor=acting_user,
        source=batch.file_name,
        fields={f.key: f for f in importer.fields},
        today=timezone.localdate(),
    )
    importer.undo(Written(created=written.get("created", {})), ctx)
    batch.status = BatchStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_at"])
    audit_record(
        actor=acting_user,
        action="ingest.undo",
        obj=batch,
        changes={"created": {k: len(v) for k, v in written.get("created", {}).items()}},
    )
    return batch
