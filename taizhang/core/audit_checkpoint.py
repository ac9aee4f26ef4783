"""Signed checkpoints of the audit chain, kept outside the database (issue 19).

The chain head (``AuditHead``) lives in the same database as the events, so whoever can
delete the newest rows (or all of them) can also reset the head, and ``audit verify``
alone would still pass. A checkpoint anchors the chain outside the database: one JSON
line appended to ``checkpoints.jsonl`` under the var directory (``$TAIZHANG_VAR_DIR/
audit/``, directory 0700, file 0600, or ``settings.AUDIT_CHECKPOINT_FILE``) holding the
time, the event count, the last event's id and digest and the audit key version, signed
with an HMAC of that audit key. ``audit_verify`` then requires the chain to hold every
checkpoint since the last purge: the event at the checkpoint's id, with that digest, at
that position. A truncated chain, a wiped table and a chain rewritten with the right key
are then named, as are a forged or altered line (its signature does not verify).

Who writes them, and why not ``audit_record``: ``taizhang audit checkpoint``, run by a
systemd timer (``deploy/systemd/taizhang-audit-checkpoint.timer``, hourly) or cron, and
``taizhang audit purge``. Not ``audit_record``: every write of the product goes through
it inside its transaction, and a file append with fsync there would slow every write,
could record an event whose transaction is later rolled back, and would need every web
worker to write the file. The background worker has no periodic hook (``core/tasks.py``
runs jobs on demand only), so a timer is the one periodic place. A checkpoint is only
written after the whole chain verified (against the earlier checkpoints too), so a
checkpoint never vouches for a chain that was already broken. Events written after the
newest checkpoint are protected by the chain and the head only: the timer's interval is
the window.

Each line also names the database it describes (``database``: the PostgreSQL database
name or the SQLite file name), and lines of another database are left out. That keeps a
test run or a scratch restore from reading a site's checkpoints; an attacker who can
edit the file gains nothing from it that deleting the file would not give. Deleting the
file is the one thing the file cannot show by itself (after a purge it can: the chain
then no longer starts at its genesis): the checkpoint command prints each line, so the
journal of the timer keeps a second copy, and backups carry the file (docs/backup.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

FORMAT = "taizhang-audit-checkpoint/1"
# Signatures are HMACs of the audit key over a different message than event digests, so
# a checkpoint signature can never stand in for an event digest or the other way round.
DOMAIN = b"taizhang audit checkpoint\n"
CHECKPOINT = "checkpoint"
PURGE = "purge"


def checkpoint_path() -> Path:
    configured = getattr(settings, "AUDIT_CHECKPOINT_FILE", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "audit" / "checkpoints.jsonl"


def database_label(using: str = DEFAULT_DB_ALIAS) -> str:
    conn = connections[using]
    name = str(conn.settings_dict.get("NAME") or "")
    if conn.vendor == "sqlite":
        name = Path(name).name
    return f"{conn.vendor}:{name}"


def _message(payload: dict[str, Any]) -> bytes:
    body = {k: v for k, v in payload.items() if k != "signature"}
    return DOMAIN + json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


def sign(payload: dict[str, Any], key: str) -> str:
    return hmac.new(key.encode(), _message(payload), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    line: int
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def count(self) -> int:
        return int(self.data["count"])

    @property
    def last_id(self) -> int:
        return int(self.data["last_id"])

    @property
    def last_digest(self) -> str:
        return str(self.data["last_digest"])

    @property
    def first_kept_id(self) -> int:
        return int(self.data["first_kept_id"])

    @property
    def first_kept_previous(self) -> str:
        return str(self.data["first_kept_previous"])

    @property
    def when(self) -> str:
        """The time it was written, local, to the minute (for messages)."""
        written = parse_datetime(str(self.data.get("written_at", "")))
        if written is None:
            return str(self.data.get("written_at", ""))
        return f"{timezone.localtime(written):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class Loaded:
    checkpoints: list[Checkpoint]
    problem: str = ""
    key_problem: bool = False
    foreign: int = 0  # lines of another database, left out


REQUIRED = {"format", "kind", "written_at", "database", "count", "last_id", "last_digest"}


def load(path: Path | None = None, *, database: str | None = None) -> Loaded:
    """Every checkpoint of ``database`` (this site's by default; ``""`` for all) in file
    order, each signature checked. A missing file is no checkpoint; a line that does not
    parse or verify is a problem, named with its line number."""
    from taizhang.core.audit import audit_keys

    path = path or checkpoint_path()
    if database is None:
        database = database_label()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Loaded([])
    keys = audit_keys()
    found: list[Checkpoint] = []
    foreign = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not REQUIRED.issubset(data):
                raise ValueError("missing fields")
            if data["format"] != FORMAT or data["kind"] not in {CHECKPOINT, PURGE}:
                raise ValueError("unknown format")
            version = int(data["key_version"])
            signature = str(data["signature"])
            checkpoint = Checkpoint(number, data)
            (checkpoint.count, checkpoint.last_id, checkpoint.last_digest)  # noqa: B018
            if checkpoint.kind == PURGE:
                (checkpoint.first_kept_id, checkpoint.first_kept_previous)  # noqa: B018
        except (ValueError, KeyError, TypeError):
            return Loaded(
                found,
                _("line %(line)s of the checkpoint file %(path)s is not a valid checkpoint")
                % {"line": number, "path": path},
            )
        if database and data["database"] != database:
            foreign += 1
            continue
        key = keys.get(version)
        if key is None:
            return Loaded(
                found,
                _(
                    "checkpoint line %(line)s is signed with audit key version %(version)s,"
                    " which is not configured"
                )
                % {"line": number, "version": version},
                key_problem=True,
            )
        if not hmac.compare_digest(sign(data, key), signature):
            return Loaded(
                found,
                _(
                    "the signature of checkpoint line %(line)s (%(time)s) does not verify:"
                    " the checkpoint file was altered or forged"
                )
                % {"line": number, "time": checkpoint.when},
            )
        found.append(checkpoint)
    return Loaded(found, foreign=foreign)


@contextmanager
def exclusive(path: Path | None = None) -> Iterator[None]:
    """Hold the checkpoint file's lock (``checkpoints.jsonl.lock``): ``audit checkpoint``
    verifies and writes under it, and ``audit purge`` deletes and writes under it, so a
    checkpoint of the chain before a purge is never appended after the purge's line."""
    path = path or checkpoint_path()
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.parent.chmod(0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _append(path: Path, line: str) -> None:
    """Append one line in one write, durably; create the directory 0700, the file 0600."""
    directory = path.parent
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700, exist_ok=True)
        directory.chmod(0o700)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        path.chmod(0o600)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write(
    *,
    count: int,
    last_id: int,
    last_digest: str,
    kind: str = CHECKPOINT,
    extra: dict[str, Any] | None = None,
    path: Path | None = None,
) -> dict[str, Any]:
    """Sign and append one checkpoint; return it as written. Callers pass a state that
    has just verified (``audit checkpoint``, ``audit purge``)."""
    from taizhang.core.audit import audit_keys, current_key_version

    version = current_key_version()
    payload: dict[str, Any] = {
        "format": FORMAT,
        "kind": kind,
        "written_at": timezone.now().isoformat(),
        "database": database_label(),
        "count": count,
        "last_id": last_id,
        "last_digest": last_digest,
        "key_version": version,
        **(extra or {}),
    }
    payload["signature"] = sign(payload, audit_keys()[version])
    _append(path or checkpoint_path(), json.dumps(payload, sort_keys=True, ensure_ascii=False))
    return payload
