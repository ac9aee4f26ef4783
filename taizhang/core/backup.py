"""One consistent archive of a taizhang site, and putting it back (docs/backup.md).

The archive is a ``.tar.gz`` holding the database (``database/taizhang.sqlite3`` taken
through SQLite's online backup API, or ``database/taizhang.dump`` from ``pg_dump
--format=custom``), the evidence files under ``media/``, the signed audit checkpoints
(``audit/checkpoints.jsonl``, kept outside the database: ``core/audit_checkpoint.py``) and
``manifest.json``: version,
time, database vendor, per-table row counts, the audit head and a sha256 of every other
member. Row counts and the audit head are read from the same snapshot as the database
copy, so the manifest describes exactly what the archive holds even while writes go on.

The audit key is deliberately not in the archive: whoever holds a backup must not be able
to re-seal a forged chain. It is escrowed separately.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore are run with fixed argument lists
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from taizhang.core import audit_checkpoint
from taizhang.core.audit import audit_verify, verify_message
from taizhang.core.models import AuditEvent, AuditHead

FORMAT = "taizhang-backup/1"
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
CHECKPOINTS = "audit/checkpoints.jsonl"
# Tables ``migrate`` itself fills, left out of the emptiness check.
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})
KEY_NOTE = (
    "The audit key is not in this archive. Restore needs TAIZHANG_AUDIT_KEYS with every key "
    "version listed under audit.key_versions, taken from escrow."
)
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that must stop; the message says why and what to do."""


@dataclass
class Snapshot:
    tables: dict[str, int]
    audit: dict[str, Any]


@dataclass
class RestoreReport:
    ok: bool = True
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def taizhang_version() -> str:
    try:
        return metadata.version("taizhang")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _connection(using: str) -> BaseDatabaseWrapper:
    conn = connections[using]
    if conn.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {conn.vendor}")
    return conn


# --- taking the snapshot ---------------------------------------------------------------


def _audit_head_sql(cursor: Any) -> dict[str, Any]:
    head_table = AuditHead._meta.db_table
    event_table = AuditEvent._meta.db_table
    cursor.execute(f"SELECT last_event_id, last_digest, count FROM {head_table} WHERE id = 1")  # noqa: S608
    row = cursor.fetchone()
    cursor.execute(f"SELECT DISTINCT key_version FROM {event_table} ORDER BY key_version")  # noqa: S608
    versions = [int(v) for (v,) in cursor.fetchall()]
    last_id, last_digest, count = row if row else (0, "", 0)
    return {
        "count": int(count),
        "last_id": int(last_id),
        "last_digest": last_digest,
        "key_versions": versions,
    }


def _count_rows(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_snapshot(conn: BaseDatabaseWrapper, target: Path) -> Snapshot:
    """Copy the live database page by page through SQLite's online backup API.

    One ``backup()`` call copies every page inside a single read transaction, so the copy
    is a committed state even while other processes write (WAL lets them go on). A plain
    ``cp`` of the file can interleave with a commit and copy a torn database.
    """
    if conn.in_atomic_block:
        # SQLite would wait for this connection's own write transaction forever.
        raise BackupError("A backup takes its own snapshot; run it outside a transaction")
    conn.ensure_connection()
    # The test database lives in memory: only its own connection can read it.
    if getattr(conn, "is_in_memory_db", lambda: False)():
        source = conn.connection
        close_source = False
    else:
        source = sqlite3.connect(conn.settings_dict["NAME"], timeout=60)
        close_source = True
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        if close_source:
            source.close()
    try:
        (check,) = copy.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            raise BackupError(f"The database copy fails SQLite's integrity check: {check}")
        cursor = copy.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [name for (name,) in cursor.fetchall()]
        counts = _count_rows(cursor, tables, lambda name: f'"{name}"')
        audit = _audit_head_sql(cursor)
    finally:
        copy.close()
    return Snapshot(counts, audit)


def _pg_environment(conn: BaseDatabaseWrapper) -> dict[str, str]:
    """libpq's environment for the configured database, so no password is on a command line."""
    params = conn.settings_dict
    env = dict(os.environ)
    for var, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")]:
        if params.get(key):
            env[var] = str(params[key])
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    options = params.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on the PATH (Debian: apt install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()}")


def _postgresql_snapshot(conn: BaseDatabaseWrapper, target: Path) -> Snapshot:
    """Dump while holding a repeatable-read snapshot that pg_dump shares (``--snapshot``),
    so the dump, the row counts and the audit head all describe the same instant."""
    if conn.in_atomic_block:
        raise BackupError("A backup takes its own snapshot; run it outside a transaction")
    pg_dump = _tool("pg_dump")
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot_id,) = cursor.fetchone()
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot_id}",
                f"--file={target}",
                "--no-owner",
                "--no-privileges",
                f"--dbname={conn.settings_dict['NAME']}",
            ],
            _pg_environment(conn),
        )
        tables = conn.introspection.table_names(cursor)
        counts = _count_rows(cursor, tables, conn.ops.quote_name)
        audit = _audit_head_sql(cursor)
    return Snapshot(counts, audit)


def _applied_migrations(conn: BaseDatabaseWrapper) -> list[str]:
    executor = MigrationExecutor(conn)
    return sorted(f"{app}.{name}" for app, name in executor.loader.applied_migrations)


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


class _HashingReader(io.RawIOBase):
    """Hands tarfile the bytes it archives and hashes exactly those bytes."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        reader = _HashingReader(handle)
        archive.addfile(info, reader)
    return {"sha256": reader.sha256.hexdigest(), "size": info.size}


def _copy_checkpoints(work: Path) -> Path | None:
    """A copy of the checkpoint file as it is now, or None when there is none yet."""
    source = audit_checkpoint.checkpoint_path()
    target = work / "checkpoints.jsonl"
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return target


def _count_lines(path: Path | None) -> int:
    if path is None:
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def default_output() -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"taizhang-{stamp}.tar.gz"


def create_backup(output: Path | None = None, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write the archive to ``output`` and return its manifest."""
    conn = _connection(using)
    output = Path(output or default_output())
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    # The database copy is staged next to the archive, not in /tmp: it may be large, and
    # the systemd unit gives the job a small private /tmp.
    with tempfile.TemporaryDirectory(prefix=".taizhang-backup-", dir=output.parent) as work:
        # The checkpoints are copied before the database: every checkpoint in the copy then
        # describes events the database copy holds (a checkpoint is written only after
        # the events it names were committed and verified).
        checkpoints = _copy_checkpoints(Path(work))
        if conn.vendor == "sqlite":
            db_name = "database/taizhang.sqlite3"
            db_file = Path(work) / "taizhang.sqlite3"
            snapshot = _sqlite_snapshot(conn, db_file)
        else:
            db_name = "database/taizhang.dump"
            db_file = Path(work) / "taizhang.dump"
            snapshot = _postgresql_snapshot(conn, db_file)
        files: dict[str, dict[str, Any]] = {}
        media_bytes = 0
        # Only the owner may read it: the archive holds personal data.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            files[db_name] = _add_file(archive, db_file, db_name)
            if checkpoints is not None:
                files[CHECKPOINTS] = _add_file(archive, checkpoints, CHECKPOINTS)
            # Media after the database: a file uploaded meanwhile is extra, never missing.
            for path, name in _media_files():
                files[name] = _add_file(archive, path, name)
                media_bytes += files[name]["size"]
            manifest = {
                "format": FORMAT,
                "taizhang_version": taizhang_version(),
                "created_at": timezone.now().isoformat(),
                "database": {
                    "vendor": conn.vendor,
                    "file": db_name,
                    "tables": snapshot.tables,
                    "migrations": _applied_migrations(conn),
                },
                "audit": {**snapshot.audit, "checkpoints": _count_lines(checkpoints)},
                "media": {
                    "files": sum(1 for name in files if name.startswith(MEDIA_PREFIX)),
                    "bytes": media_bytes,
                },
                "files": files,
                "audit_key": KEY_NOTE,
            }
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(data))
    partial.replace(output)
    return manifest


# --- putting it back -------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


@contextmanager
def _staged(archive_path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Unpack the archive into a scratch directory, checking every member against the
    manifest; nothing outside the scratch directory is touched until all of it fits."""
    if not archive_path.is_file():
        raise BackupError(f"No such archive: {archive_path}")
    staging_parent = Path(settings.VAR_DIR)
    staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="taizhang-restore-", dir=staging_parent) as work:
        root = Path(work)
        seen: dict[str, str] = {}
        manifest: dict[str, Any] | None = None
        try:
            # Opened here, closed by the ``with`` below: only opening says "not a backup".
            archive = tarfile.open(archive_path, mode="r:gz")  # noqa: SIM115
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"{archive_path} is not a taizhang backup: {error}") from error
        with archive:
            try:
                for member in archive:
                    if not member.isfile() or not _safe_member_name(member.name):
                        raise BackupError(f"Refusing archive member {member.name!r}")
                    handle = archive.extractfile(member)
                    assert handle is not None  # noqa: S101 - regular files always have data
                    if member.name == MANIFEST:
                        manifest = json.loads(handle.read())
                        continue
                    target = root / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    with target.open("wb") as out:
                        for chunk in iter(lambda h=handle: h.read(CHUNK), b""):  # type: ignore[misc]
                            digest.update(chunk)
                            out.write(chunk)
                    seen[member.name] = digest.hexdigest()
            except (tarfile.TarError, EOFError, OSError, ValueError) as error:
                raise BackupError(f"{archive_path} is damaged: {error}") from error
        if manifest is None or manifest.get("format") != FORMAT:
            raise BackupError(f"{archive_path} has no {FORMAT} manifest")
        expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
        for name in sorted(set(expected) | set(seen)):
            if name not in seen:
                raise BackupError(f"{name} is listed in the manifest but missing from the archive")
            if name not in expected:
                raise BackupError(f"{name} is in the archive but not in its manifest")
            if seen[name] != expected[name]:
                raise BackupError(
                    f"Checksum of {name} does not match the manifest: the archive is damaged "
                    "or was altered. Nothing was restored."
                )
        yield manifest, root


def _data_tables(conn: BaseDatabaseWrapper) -> tuple[list[str], list[str]]:
    """``(holding data, only seeded)``: tables that make the database not empty, and the
    other non-empty tables, which ``migrate`` fills by itself (dictionary defaults).

    Every write through the product records an audit event and every account is a user
    row, so a database without either holds nothing a restore could destroy.
    """
    guarded = {AuditEvent._meta.db_table, AuditHead._meta.db_table}
    guarded.add(get_user_model()._meta.db_table)
    with conn.cursor() as cursor:
        tables = [t for t in conn.introspection.table_names(cursor) if t not in MIGRATE_TABLES]
        counts = _count_rows(cursor, tables, conn.ops.quote_name)
    filled = [table for table, n in counts.items() if n]
    return [t for t in filled if t in guarded], [t for t in filled if t not in guarded]


def _restore_sqlite(conn: BaseDatabaseWrapper, db_file: Path) -> None:
    """Write the copy into the configured database through the backup API.

    The API replaces the whole database inside SQLite's own locking, so a WAL or journal
    file next to the target cannot be left describing a different database, as a file
    copy over an opened database could.
    """
    conn.ensure_connection()
    source = sqlite3.connect(db_file)
    try:
        source.backup(conn.connection)
    finally:
        source.close()


def _restore_postgresql(conn: BaseDatabaseWrapper, db_file: Path) -> None:
    pg_restore = _tool("pg_restore")
    conn.close()
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conn.settings_dict['NAME']}",
            str(db_file),
        ],
        _pg_environment(conn),
    )


def _move_media(staged_media: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    moved = 0
    if not staged_media.is_dir():
        return moved
    for path in sorted(staged_media.rglob("*")):
        if path.is_file():
            target = root / path.relative_to(staged_media)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
            moved += 1
    return moved


def _media_present() -> bool:
    root = Path(settings.MEDIA_ROOT)
    return root.is_dir() and any(p.is_file() for p in root.rglob("*"))


def restore_backup(
    archive_path: Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    say: Callable[[str], None] = print,
) -> RestoreReport:
    """Put the archive back into the configured, empty database and media directory, then
    check it: row counts against the manifest, ``audit verify`` and ``stats check``.

    Refusals (damaged archive, wrong vendor, a database or media directory that is not
    empty) raise :class:`BackupError` before anything is written. Problems found after
    the restore are returned in the report, which is then not ``ok``.
    """
    conn = _connection(using)
    report = RestoreReport()

    def step(text: str) -> None:
        report.steps.append(text)
        say(text)

    with _staged(Path(archive_path)) as (manifest, staged):
        db = manifest["database"]
        step(
            f"Archive {archive_path}: taizhang {manifest['taizhang_version']}, taken "
            f"{manifest['created_at']}, {db['vendor']}, {manifest['media']['files']} media "
            f"files; all {len(manifest['files'])} checksums match."
        )
        busy, seeded = _data_tables(conn)
        if busy:
            raise BackupError(
                f"Refusing to restore into a database that holds data ({', '.join(busy)}). "
                "Restore into a new, empty database."
            )
        if _media_present():
            raise BackupError(
                f"Refusing to restore: the media directory {settings.MEDIA_ROOT} is not empty."
            )
        checkpoints_action = _checkpoints_plan(staged / CHECKPOINTS)
        if db["vendor"] != conn.vendor:
            raise BackupError(
                f"The archive holds a {db['vendor']} database but this site is configured "
                f"for {conn.vendor}"
            )
        if seeded:
            step(f"Replacing the defaults migrate seeded in {', '.join(seeded)}.")
        if conn.vendor == "sqlite":
            _restore_sqlite(conn, staged / db["file"])
        else:
            _restore_postgresql(conn, staged / db["file"])
        ContentType.objects.clear_cache()
        step(f"Database restored into {conn.settings_dict['NAME']}.")
        moved = _move_media(staged / MEDIA_PREFIX.rstrip("/"))
        step(f"{moved} media files restored into {settings.MEDIA_ROOT}.")
        _put_checkpoints_back(staged / CHECKPOINTS, checkpoints_action, step)

    _check_restored(conn, manifest, report, step)
    return report


def _checkpoints_plan(staged: Path) -> str:
    """What to do with the archive's checkpoint file: ``"write"`` it, ``"keep"`` the one
    in place (the same, or the same with newer lines after it: it then records events
    this archive lacks, which ``audit verify`` will name) or ``"none"``. A file in place
    that is not an extension of the archive's is refused before anything is written."""
    target = audit_checkpoint.checkpoint_path()
    archived = staged.read_bytes() if staged.is_file() else None
    try:
        present = target.read_bytes()
    except FileNotFoundError:
        return "write" if archived is not None else "none"
    if present.startswith(archived or b""):
        return "keep"
    raise BackupError(
        f"Refusing to restore: the audit checkpoint file {target} is not the archive's "
        "(nor the archive's with newer checkpoints after it). Move it away, keep it (it "
        "records the chain it belonged to) and restore again."
    )


def _put_checkpoints_back(staged: Path, action: str, step: Callable[[str], None]) -> None:
    target = audit_checkpoint.checkpoint_path()
    if action == "none":
        step("The archive holds no audit checkpoints.")
        return
    if action == "keep":
        archived = staged.read_bytes() if staged.is_file() else b""
        newer = target.read_bytes()[len(archived) :].count(b"\n")
        note = f", with {newer} checkpoints newer than the archive" if newer else ""
        step(f"Audit checkpoints kept in {target}{note}.")
        return
    target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    target.parent.chmod(0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(staged.read_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    step(f"Audit checkpoints restored into {target}.")


def _check_restored(
    conn: BaseDatabaseWrapper,
    manifest: dict[str, Any],
    report: RestoreReport,
    step: Callable[[str], None],
) -> None:
    def problem(text: str) -> None:
        report.ok = False
        report.problems.append(text)
        step(f"FAILED: {text}")

    with conn.cursor() as cursor:
        counts = _count_rows(cursor, list(manifest["database"]["tables"]), conn.ops.quote_name)
    differing = [
        f"{table}: {counts[table]} rows, manifest {n}"
        for table, n in manifest["database"]["tables"].items()
        if counts[table] != n
    ]
    if differing:
        problem("row counts differ from the manifest: " + "; ".join(differing))
    else:
        step(f"Row counts equal the manifest in all {len(counts)} tables.")

    executor = MigrationExecutor(conn)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        problem(
            f"the backup predates {len(pending)} migrations of this version: run "
            "`taizhang migrate`, then `taizhang audit verify` and `taizhang stats check`"
        )
        return

    head = AuditHead.objects.filter(pk=1).first()
    restored_head = (head.count, head.last_event_id, head.last_digest) if head else (0, 0, "")
    audit = manifest["audit"]
    if restored_head != (audit["count"], audit["last_id"], audit["last_digest"]):
        problem(f"the audit head {restored_head} differs from the manifest's")

    # The restored database may have another name than the one the checkpoints describe
    # (a scratch restore); the restore checks the chain against all of them all the same.
    checkpoints = audit_checkpoint.load(database="")
    result = audit_verify(checkpoints=checkpoints)
    if result.ok:
        held = len(checkpoints.checkpoints)
        note = f"; it holds the {held} audit checkpoints" if held else ""
        step(f"Audit chain intact: {result.checked} events{note}.")
    else:
        text = verify_message(result)
        if result.key_problem:
            versions = manifest["audit"].get("key_versions", [])
            text += f" The archive's events were sealed with key versions {versions}."
        problem(text)

    out = io.StringIO()
    try:
        call_command("stats", "check", stdout=out)
    except CommandError as error:
        problem(f"stats check: {error}")
    else:
        step(f"stats check: {out.getvalue().strip()}")
