"""``taizhang backup`` and ``taizhang restore``.

A backup taken while another process writes audit events restores into a fresh, empty
database with an intact chain and the manifest's row counts; a damaged or altered archive
and a database that already holds data are refused before anything is written; a restore
without the right audit key fails loudly and says the key is the likely reason. The
round trips run the real commands in subprocesses against SQLite files (and against
PostgreSQL when ``TAIZHANG_DATABASE_URL`` points there).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
from taizhang.core.backup import MANIFEST, BackupError, create_backup, restore_backup

ROOT = Path(settings.BASE_DIR)

WRITER = """
import os
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
n = 0
while not os.path.exists(os.environ["STOP_FILE"]):
    audit_record(actor=SYSTEM, action="test.write", object_type="t", object_id=str(n),
                 changes={"n": [n, n + 1]})
    n += 1
"""
SEED = """
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
for n in range(3):
    audit_record(actor=SYSTEM, action="test.write", object_type="t", object_id=str(n))
"""


def _env(var_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"TAIZHANG_DATABASE_URL", "TAIZHANG_AUDIT_KEYS", "TAIZHANG_AUDIT_KEY"}
        and not k.startswith("TAIZHANG_MEDIA")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", TAIZHANG_VAR_DIR=str(var_dir))
    if database_url:
        env["TAIZHANG_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def taizhang(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "taizhang", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _backups_during_writes(env: dict[str, str], out_dir: Path, count: int) -> list[Path]:
    """Start a writer appending audit events, take ``count`` backups while it runs."""
    stop = out_dir / "stop"
    writer = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "taizhang", "shell", "-c", WRITER],
        cwd=ROOT,
        env={**env, "STOP_FILE": str(stop)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    archives = []
    try:
        _wait_for_events(env, minimum=5)
        for i in range(count):
            archive = out_dir / f"during-{i}.tar.gz"
            _ok(taizhang("backup", "--output", str(archive), env=env))
            assert writer.poll() is None, "the writer stopped before the backup ended"
            archives.append(archive)
    finally:
        stop.touch()
        _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors
    return archives


def _count_events(env: dict[str, str]) -> int:
    query = "SELECT COUNT(*) FROM core_auditevent"
    if env.get("TAIZHANG_DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["TAIZHANG_DATABASE_URL"]) as db:
            row = db.execute(query).fetchone()
    else:
        path = Path(env["TAIZHANG_VAR_DIR"]) / "taizhang.sqlite3"
        with sqlite3.connect(path, timeout=30) as db:
            row = db.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def _wait_for_events(env: dict[str, str], minimum: int) -> None:
    """Wait until the writer is under way (its start-up is slow on a busy machine)."""
    for _ in range(600):
        if _count_events(env) >= minimum:
            return
        time.sleep(0.1)
    raise AssertionError("the writer wrote no events")


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(MANIFEST)
        assert handle is not None
        return json.loads(handle.read())


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory):
    """A migrated SQLite site with one evidence file, and an archive of it."""
    var = tmp_path_factory.mktemp("source")
    env = _env(var)
    _ok(taizhang("migrate", "--no-input", "-v", "0", env=env))
    evidence = var / "media" / "evidence" / "2026" / "photo.jpg"
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"\xff\xd8 not really a photo")
    _ok(taizhang("shell", "-c", SEED, env=env))
    archive = var.parent / "site.tar.gz"
    _ok(taizhang("backup", "-o", str(archive), env=env))
    return var, env, archive


def test_backup_taken_while_writes_go_on_restores_intact(sqlite_site, tmp_path):
    """Each backup taken while a writer appends events restores into a fresh SQLite file
    whose chain verifies and whose counts equal the manifest (a `cp` could tear)."""
    _, env, _ = sqlite_site
    archives = _backups_during_writes(env, tmp_path, count=3)
    heads = [_manifest(a)["audit"]["count"] for a in archives]
    assert heads == sorted(heads) and heads[0] < heads[-1], "writes went on between backups"
    for i, archive in enumerate(archives):
        target = tmp_path / f"restored-{i}"
        out = _ok(taizhang("restore", str(archive), env=_env(target)))
        manifest = _manifest(archive)
        assert f"Audit chain intact: {manifest['audit']['count']} events." in out
        assert "Row counts equal the manifest" in out
        assert "stats check: Every stored figure equals its records." in out
        assert "Restore complete and verified." in out
        assert (target / "media" / "evidence" / "2026" / "photo.jpg").exists()
        # The restored site verifies on its own, too.
        assert "Audit chain intact" in _ok(taizhang("audit", "verify", env=_env(target)))


def test_manifest_lists_counts_head_and_checksums(sqlite_site):
    _, _, archive = sqlite_site
    manifest = _manifest(archive)
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["taizhang_version"] and manifest["created_at"]
    assert manifest["database"]["tables"]["core_auditevent"] == 3
    assert manifest["audit"]["count"] == 3 and manifest["audit"]["key_versions"] == [1]
    assert "escrow" in manifest["audit_key"]
    with tarfile.open(archive, "r:gz") as tar:
        names = {m.name for m in tar.getmembers()} - {MANIFEST}
    assert names == set(manifest["files"])
    assert "media/evidence/2026/photo.jpg" in names
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())


def test_restore_without_the_audit_key_fails_loudly_naming_the_key(sqlite_site, tmp_path):
    """Restored data with another key: non-zero exit and a message about the key."""
    _, _, archive = sqlite_site
    env = _env(tmp_path / "elsewhere", TAIZHANG_AUDIT_KEYS="1:some-other-key-0123456789")
    result = taizhang("restore", str(archive), env=env)
    assert result.returncode != 0
    assert "Restore FAILED" in result.stderr
    assert "audit key" in result.stderr and "escrow" in result.stderr


def _rewrite(archive: Path, target: Path, change: str) -> None:
    """Copy ``archive`` to ``target`` with one member altered or one member added."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            handle = src.extractfile(member)
            assert handle is not None
            data = handle.read()
            if change == "media" and member.name.startswith("media/"):
                data = data + b"x"
            if change == "database" and member.name.startswith("database/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
        if change == "extra":
            extra = tarfile.TarInfo("media/planted.txt")
            extra.size = 3
            dst.addfile(extra, io.BytesIO(b"bad"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("media", "Checksum of media/evidence/2026/photo.jpg"),
        ("database", "Checksum of database/taizhang.sqlite3"),
        ("extra", "media/planted.txt is in the archive but not in its manifest"),
    ],
)
def test_altered_archive_is_refused_before_anything_is_written(
    sqlite_site, tmp_path, settings, change, message
):
    _, _, archive = sqlite_site
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    altered = tmp_path / "altered.tar.gz"
    _rewrite(archive, altered, change)
    with pytest.raises(CommandError, match="Restore refused: " + message):
        call_command("restore", str(altered))
    assert not (tmp_path / "media").exists()
    from taizhang.core.models import AuditEvent

    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_database_holding_data_is_refused(sqlite_site, tmp_path, settings):
    _, _, archive = sqlite_site
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    with pytest.raises(CommandError, match="holds data .*core_auditevent"):
        call_command("restore", str(archive))
    with pytest.raises(BackupError, match="new, empty database"):
        restore_backup(archive, say=lambda _: None)


@pytest.mark.django_db(transaction=True)
def test_backup_of_the_configured_database_in_process(tmp_path, settings):
    """``create_backup`` reads the connection's own database (the in-memory test one)."""
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    manifest = create_backup(tmp_path / "a.tar.gz")
    assert manifest["audit"]["count"] == 1
    assert oct((tmp_path / "a.tar.gz").stat().st_mode & 0o777) == "0o600"


@pytest.mark.django_db
def test_backup_inside_a_transaction_is_refused(tmp_path, settings):
    """A snapshot inside the caller's transaction would not be a committed state."""
    settings.VAR_DIR = tmp_path
    with pytest.raises(BackupError, match="outside a transaction"):
        create_backup(tmp_path / "a.tar.gz")


# --- PostgreSQL ------------------------------------------------------------------------

PG_URL = os.environ.get("TAIZHANG_DATABASE_URL", "")


@pytest.mark.skipif(
    not PG_URL.startswith(("postgres://", "postgresql://")),
    reason="needs TAIZHANG_DATABASE_URL pointing at PostgreSQL",
)
def test_postgresql_round_trip_while_writes_go_on(tmp_path):
    """pg_dump on a snapshot shared with the counts, then pg_restore into a new, empty
    database: intact chain, equal counts, media back. Scratch databases are dropped."""
    import psycopg

    parsed = urlparse(PG_URL)
    suffix = uuid.uuid4().hex[:8]
    source_db, target_db = f"tz_backup_src_{suffix}", f"tz_backup_dst_{suffix}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))

    def url(name: str) -> str:
        return urlunparse(parsed._replace(path=f"/{name}"))

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{source_db}"')
        admin.execute(f'CREATE DATABASE "{target_db}"')
    try:
        source = _env(tmp_path / "source", url(source_db))
        _ok(taizhang("migrate", "--no-input", "-v", "0", env=source))
        evidence = tmp_path / "source" / "media" / "evidence.pdf"
        evidence.parent.mkdir(parents=True, exist_ok=True)
        evidence.write_bytes(b"%PDF-1.4 evidence")
        (archive,) = _backups_during_writes(source, tmp_path, count=1)
        manifest = _manifest(archive)
        assert manifest["database"]["vendor"] == "postgresql"
        assert manifest["audit"]["count"] > 0
        target = _env(tmp_path / "target", url(target_db))
        out = _ok(taizhang("restore", str(archive), env=target))
        assert f"Audit chain intact: {manifest['audit']['count']} events." in out
        assert "Row counts equal the manifest" in out
        assert (tmp_path / "target" / "media" / "evidence.pdf").read_bytes() == b"%PDF-1.4 evidence"
        # A second restore into the now-filled database is refused.
        again = taizhang("restore", str(archive), env=target)
        assert again.returncode != 0 and "holds data" in again.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for name in (source_db, target_db):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
