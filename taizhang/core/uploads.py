"""The one upload policy of every attachment (issue 19): problem evidence, project
progress evidence, notice attachments, reporting answers.

``check_uploads(files, field=…)`` refuses, with a message naming the file:

* a type outside the allow-list (PDF, JPG, PNG, Word, Excel), judged by the extension
  **and** the content: the leading bytes must be the type's, and the whole file must
  hold together as one (a Word or Excel file is a zip with ``[Content_Types].xml``; a
  PDF ends with ``%%EOF``; a PNG has its ``IEND``, a JPEG its end marker);
* markup a browser would run in the first kilobytes (``<script``, ``<html``…): the
  polyglot that passes a leading-bytes check;
* a file over ``TAIZHANG_UPLOAD_MAX_BYTES`` (25 MB), or files over
  ``TAIZHANG_UPLOAD_MAX_TOTAL_BYTES`` (50 MB) in one request, or more than
  ``TAIZHANG_UPLOAD_MAX_FILES`` (10).

Files are stored under generated names by each model's ``upload_to``, outside the web
root (``MEDIA_ROOT`` under ``var/``, never served by a URL of its own) and answered by
``attachment_response``: a download (``Content-Disposition: attachment``), its type from
the extension checked here, never sniffed (``nosniff``) and never cached.
"""

from __future__ import annotations

import io
import mimetypes
import zipfile
from collections.abc import Iterable
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

# Extension → the leading bytes its content must start with.
TYPES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
# What a browser would render or run, looked for in the head of any accepted file.
MARKUP = (b"<script", b"<html", b"<svg", b"<iframe", b"<!doctype html", b"<body")
HEAD_BYTES = 4096


def max_file_bytes() -> int:
    return int(getattr(settings, "TAIZHANG_UPLOAD_MAX_BYTES", 25 * 1024 * 1024))


def max_total_bytes() -> int:
    return int(getattr(settings, "TAIZHANG_UPLOAD_MAX_TOTAL_BYTES", 50 * 1024 * 1024))


def max_files() -> int:
    return int(getattr(settings, "TAIZHANG_UPLOAD_MAX_FILES", 10))


def suffix_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read(upload: Any) -> bytes:
    upload.seek(0)
    data: bytes = upload.read()
    upload.seek(0)
    return data


def _holds_together(suffix: str, data: bytes) -> bool:
    """Whether the whole file is one of its type, not only its first bytes."""
    if suffix in ("docx", "xlsx"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "[Content_Types].xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
    if suffix == "pdf":
        return b"%%EOF" in data[-2048:]
    if suffix == "png":
        return b"IEND" in data[-32:]
    if suffix in ("jpg", "jpeg"):
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    return True  # the old binary Office formats: the leading bytes are the check


def check_upload(upload: Any, *, field: str | None = None) -> None:
    """Refuse one file that is not what it says, or too large (see the module text)."""
    name = str(getattr(upload, "name", "") or "")
    suffix = suffix_of(name)

    def refuse(message: str) -> ValidationError:
        return ValidationError({field: message} if field else message)

    if suffix not in TYPES:
        raise refuse(
            _("%(name)s: only PDF, JPG, PNG, Word and Excel files are accepted.") % {"name": name}
        )
    limit = max_file_bytes()
    if (upload.size or 0) > limit:
        raise refuse(
            _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": limit // (1024 * 1024)}
        )
    data = _read(upload)
    head = data[:HEAD_BYTES].lower()
    if (
        not any(data.startswith(magic) for magic in TYPES[suffix])
        or not _holds_together(suffix, data)
        or any(tag in head for tag in MARKUP)
    ):
        raise refuse(
            _("%(name)s does not look like a .%(suffix)s file.") % {"name": name, "suffix": suffix}
        )


def check_request_limits(files: Iterable[Any], *, field: str | None = None) -> list[Any]:
    """The number and total size of the files of one request; the files."""
    files = [f for f in files if f is not None]
    if len(files) > max_files():
        message = _("At most %(n)s files at a time.") % {"n": max_files()}
        raise ValidationError({field: message} if field else message)
    total = sum(f.size or 0 for f in files)
    if total > max_total_bytes():
        message = _("The files together are larger than %(mb)s MB.") % {
            "mb": max_total_bytes() // (1024 * 1024)
        }
        raise ValidationError({field: message} if field else message)
    return files


def check_uploads(files: Iterable[Any], *, field: str | None = None) -> list[Any]:
    """Check every file of one request, and their number and total size; the files."""
    files = check_request_limits(files, field=field)
    for upload in files:
        check_upload(upload, field=field)
    return files


def attachment_response(file: IO[bytes], filename: str) -> FileResponse:
    """A stored attachment as a download: never shown inline, never sniffed, not cached."""
    suffix = suffix_of(filename)
    content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(filename)[0]
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
