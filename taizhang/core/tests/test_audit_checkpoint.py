"""Signed checkpoints of the audit chain outside the database (issue 19):
``taizhang audit checkpoint`` appends one signed line to an owner-only file."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from taizhang.core import audit_checkpoint
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_keys, audit_record
from taizhang.core.models import AuditEvent, AuditHead
from tests.support import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(tmp_path, settings):
    path = tmp_path / "var" / "audit" / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = path
    return path


@pytest.fixture
def chain():
    return [
        audit_record(actor=SYSTEM, action="test.write", object_type="t", object_id=str(i))
        for i in range(4)
    ]


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_command_appends_a_signed_checkpoint_of_the_verified_chain(checkpoints, chain):
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    (line,) = _lines(checkpoints)
    head = AuditHead.objects.get(pk=1)
    assert (line["count"], line["last_id"], line["last_digest"]) == (
        4,
        chain[-1].pk,
        head.last_digest,
    )
    assert line["kind"] == "checkpoint" and line["key_version"] == 1
    assert line["database"] == audit_checkpoint.database_label()
    assert line["signature"] == audit_checkpoint.sign(line, audit_keys()[1])
    # Printed as well, so the timer's journal keeps a copy.
    assert json.dumps(line, sort_keys=True, ensure_ascii=False) in out.getvalue()
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert [cp["count"] for cp in _lines(checkpoints)] == [4, 5]


def test_the_file_and_its_directory_are_the_owners_alone(checkpoints, chain):
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert stat.S_IMODE(checkpoints.stat().st_mode) == 0o600
    assert stat.S_IMODE(checkpoints.parent.stat().st_mode) == 0o700


def test_the_default_file_is_under_the_var_directory(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = None
    settings.VAR_DIR = tmp_path
    assert audit_checkpoint.checkpoint_path() == tmp_path / "audit" / "checkpoints.jsonl"


def test_a_broken_chain_is_not_checkpointed(checkpoints, chain):
    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET object_repr = 'forged' WHERE id = %s",
            [chain[1].pk],
        )
    with pytest.raises(CommandError, match=f"#{chain[1].pk}"):
        call_command("audit", "checkpoint", stdout=io.StringIO())
    assert not checkpoints.exists()


def test_a_signature_covers_every_field(checkpoints, chain):
    written = audit_checkpoint.write(count=4, last_id=chain[-1].pk, last_digest=chain[-1].digest)
    key = audit_keys()[1]
    for field, value in [("count", 3), ("last_id", chain[-2].pk), ("database", "sqlite:x")]:
        assert audit_checkpoint.sign({**written, field: value}, key) != written["signature"]
