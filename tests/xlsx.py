"""Excel helpers for tests: fill an import template, run a file through the ingest flow."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import load_workbook

from taizhang.core.imports import write_template
from taizhang.core.registry import IMPORTERS


def fill(kind: str, rows: Sequence[dict[str, Any]], *, template: bytes | None = None) -> bytes:
    """The ledger's template (or ``template``) with ``rows`` (field key → cell) below its
    instruction row, as a person fills it."""
    importer = IMPORTERS[kind]
    book = load_workbook(io.BytesIO(template or write_template(importer)))
    sheet = book.worksheets[0]
    header_row = next(
        index
        for index, row in enumerate(sheet.iter_rows(max_row=6, values_only=True), start=1)
        if importer.fields[0].title in [str(v) for v in row if v is not None]
    )
    titles = [c.value for c in sheet[header_row]]
    keys = {f.title: f.key for f in importer.fields}
    start = header_row + 1
    while any(c.value is not None for c in sheet[start]):
        start += 1
    for offset, row in enumerate(rows):
        for column, title in enumerate(titles, start=1):
            key = keys.get(str(title))
            if key in row:
                value = row[key]
                if isinstance(value, (list, tuple)):
                    value = "、".join(str(v) for v in value)
                sheet.cell(row=start + offset, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(
    kind: str, content: bytes, user: Any, *, name: str = "台账.xlsx", commit: bool = True
) -> Any:
    """Upload, check and (when the check passed and ``commit``) import; the batch after it.

    Tests run tasks at once (the immediate backend), so each step has finished on return.
    """
    from django.test import TestCase

    from taizhang.ingest.models import BatchStatus
    from taizhang.ingest.services import batch_import, batch_upload

    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batch_upload(kind=kind, file_name=name, content=content, acting_user=user)
    batch.refresh_from_db()
    if commit and batch.status == BatchStatus.CHECKED:
        with TestCase.captureOnCommitCallbacks(execute=True):
            batch_import(batch=batch, acting_user=user)
        batch.refresh_from_db()
    return batch


def errors(batch: Any) -> list[str]:
    """The batch's problems as the page lists them."""
    return [e["text"] for e in batch.errors]
