"""Backups carry the audit checkpoints and restore puts them back (issue 19): a chain
restored from an archive is checked against the checkpoints taken with it."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tarfile

import pytest
from django.core.management import call_command

from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
from taizhang.core.backup import CHECKPOINTS, MANIFEST, BackupError, create_backup, restore_backup
from taizhang.core.tests.test_backup import SEED, _env, _ok, taizhang


def _members(archive):
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


@pytest.mark.django_db(transaction=True)
def test_the_archive_holds_the_checkpoint_file_with_its_checksum(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit" / "checkpoints.jsonl"
    for _ in range(3):
        audit_record(actor=SYSTEM, action="test.write", object_type="t")
    call_command("audit", "checkpoint", stdout=io.StringIO())
    manifest = create_backup(tmp_path / "a.tar.gz")
    members = _members(tmp_path / "a.tar.gz")
    data = settings.AUDIT_CHECKPOINT_FILE.read_bytes()
    assert members[CHECKPOINTS] == data
    assert manifest["files"][CHECKPOINTS]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["audit"]["checkpoints"] == 1
    assert manifest["media"]["files"] == 0
    assert json.loads(members[MANIFEST]) == manifest


@pytest.fixture(scope="module")
def checkpointed_site(tmp_path_factory):
    """A SQLite site with three events and a checkpoint of them, and its archive."""
    var = tmp_path_factory.mktemp("checkpointed")
    env = _env(var)
    _ok(taizhang("migrate", "--no-input", "-v", "0", env=env))
    _ok(taizhang("shell", "-c", SEED, env=env))
    _ok(taizhang("audit", "checkpoint", env=env))
    archive = var.parent / "checkpointed.tar.gz"
    _ok(taizhang("backup", "-o", str(archive), env=env))
    return var, archive


def test_restore_puts_the_checkpoints_back_and_checks_the_chain_against_them(
    checkpointed_site, tmp_path
):
    source, archive = checkpointed_site
    target = _env(tmp_path / "target")
    out = _ok(taizhang("restore", str(archive), env=target))
    restored = tmp_path / "target" / "audit" / "checkpoints.jsonl"
    assert restored.read_bytes() == (source / "audit" / "checkpoints.jsonl").read_bytes()
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    assert stat.S_IMODE(restored.parent.stat().st_mode) == 0o700
    assert "Audit checkpoints restored into" in out
    assert "Audit chain intact: 3 events; it holds the 1 audit checkpoints." in out
    _ok(taizhang("audit", "verify", env=target))


def test_a_restored_chain_missing_checkpointed_events_fails_the_restore(
    checkpointed_site, tmp_path
):
    """The site's checkpoint file is newer than the archive: the events after the backup
    are named as lost instead of the restore passing quietly."""
    source, archive = checkpointed_site
    site = tmp_path / "site"
    (site / "audit").mkdir(parents=True)
    later = source / "audit" / "checkpoints.jsonl"
    text = later.read_text()
    line = json.loads(text)
    env = _env(site)
    # A checkpoint the same site wrote after the backup, of a fourth event.
    newer = tmp_path / "newer.jsonl"
    _ok(
        taizhang(
            "shell",
            "-c",
            "from pathlib import Path; from taizhang.core import audit_checkpoint as c;"
            f"c.write(count=4, last_id={line['last_id'] + 1}, last_digest='e' * 64,"
            f" path=Path({str(newer)!r}))",
            env=_env(source),
        )
    )
    (site / "audit" / "checkpoints.jsonl").write_text(text + newer.read_text())
    result = taizhang("restore", str(archive), env=env)
    assert result.returncode != 0
    assert "with 1 checkpoints newer than the archive" in result.stdout
    assert "Restore FAILED" in result.stderr and "#4" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_foreign_checkpoint_file_in_place_is_refused_before_anything_is_written(
    checkpointed_site, tmp_path, settings
):
    _, archive = checkpointed_site
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit" / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE.parent.mkdir()
    settings.AUDIT_CHECKPOINT_FILE.write_text('{"another": "chain"}\n')
    with pytest.raises(BackupError, match="checkpoint file .* is not the archive's"):
        restore_backup(archive, say=lambda _: None)
    from taizhang.core.models import AuditEvent

    assert not AuditEvent.objects.exists()
