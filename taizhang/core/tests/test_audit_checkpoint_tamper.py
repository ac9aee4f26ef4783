"""The tamper table (issue 19): what someone with the database owner's rights can do to
the audit table, each detected once a signed checkpoint lies outside the database.

Every attack that also resets the head row (``AuditHead``) to fit passed ``audit
verify`` before checkpoints: the head lives in the same database.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import translation

from taizhang.core import audit_checkpoint
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import GENESIS, audit_record, audit_verify, compute_digest
from taizhang.core.models import AuditEvent, AuditHead, Job, JobStatus
from tests.support import PASSWORD, tampering

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


@pytest.fixture
def checkpoints(tmp_path, settings):
    path = tmp_path / "audit" / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = path
    return path


@pytest.fixture
def chain(checkpoints):
    """Six events, checkpointed after the sixth."""
    events = [
        audit_record(
            actor=SYSTEM,
            action="test.write",
            object_type="t",
            object_id=str(i),
            changes={"n": [i, i + 1]},
        )
        for i in range(6)
    ]
    call_command("audit", "checkpoint", stdout=io.StringIO())
    return events


def _sql(sql: str, params: list | None = None) -> None:
    with tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _reset_head() -> None:
    """Make the head fit whatever the table now holds, as a tamperer would."""
    last = AuditEvent.objects.order_by("-id").first()
    AuditHead.objects.filter(pk=1).update(
        last_event_id=last.pk if last else 0,
        last_digest=last.digest if last else "",
        count=AuditEvent.objects.count(),
    )


def _reseal(from_index: int = 0) -> None:
    """Re-seal the chain from the ``from_index``-th event on with the configured key
    (the settings a test overrides), then the head: a chain that verifies by itself."""
    events = list(AuditEvent.objects.order_by("id"))
    previous = events[from_index - 1].digest if from_index else GENESIS
    for event in events[from_index:]:
        event.previous_digest = previous
        event.digest = compute_digest(event)
        _sql(
            f"UPDATE {TABLE} SET previous_digest = %s, digest = %s, object_repr = %s WHERE id = %s",
            [event.previous_digest, event.digest, event.object_repr, event.pk],
        )
        previous = event.digest
    _reset_head()


def _without_checkpoints() -> bool:
    return audit_verify(checkpoints=audit_checkpoint.Loaded([])).ok


# --- each attack: what it does, and whether the chain alone (head included) saw it ----


def alter(chain):
    _sql(f"UPDATE {TABLE} SET object_repr = 'forged' WHERE id = %s", [chain[2].pk])
    return chain[2].pk


def delete_newest_with_head_update(chain):
    _sql(f"DELETE FROM {TABLE} WHERE id >= %s", [chain[4].pk])
    _reset_head()
    return chain[-1].pk


def insert(chain):
    _sql(
        f"INSERT INTO {TABLE} (id, occurred_at, actor_name, action, object_type, object_id,"
        " object_repr, changes, outcome, previous_digest, digest, key_version)"
        " VALUES (%s, %s, '', 'test.forged', '', '', '', '{}', 'success', %s, %s, 1)",
        [chain[-1].pk + 1, chain[-1].occurred_at, chain[-1].digest, "f" * 64],
    )
    _reset_head()
    return chain[-1].pk + 1


def reorder(chain):
    a, b = (AuditEvent.objects.get(pk=e.pk) for e in chain[1:3])
    _sql(f"UPDATE {TABLE} SET digest = 'tmp' WHERE id = %s", [a.pk])
    for target, source in [(b, a), (a, b)]:
        _sql(
            f"UPDATE {TABLE} SET digest = %s, previous_digest = %s, object_id = %s WHERE id = %s",
            [source.digest, source.previous_digest, source.object_id, target.pk],
        )
    return a.pk


def truncate_with_head_reset(chain):
    _sql(f"DELETE FROM {TABLE} WHERE id > %s", [chain[1].pk])
    _reset_head()
    return chain[-1].pk


def wipe(chain):
    if connection.vendor == "postgresql":
        _sql(f"TRUNCATE {TABLE}")
    else:
        _sql(f"DELETE FROM {TABLE}")
    AuditHead.objects.filter(pk=1).delete()
    return chain[-1].pk


def rewrite_with_a_wrong_key(chain):
    with override_settings(AUDIT_KEYS={1: "the-attackers-own-key-0123"}):
        _sql(f"UPDATE {TABLE} SET object_repr = 'forged' WHERE id = %s", [chain[3].pk])
        _reseal()
    return chain[0].pk


def rewrite_with_the_right_key(chain):
    """An insider who holds the key changes a row and re-seals everything after it."""
    _sql(f"UPDATE {TABLE} SET object_repr = 'forged' WHERE id = %s", [chain[3].pk])
    _reseal(from_index=3)
    return chain[-1].pk


ATTACKS = {
    # attack: (event named, the chain and head alone detect it, the reason says)
    alter: ("content does not match its digest", True),
    delete_newest_with_head_update: ("the newest events were deleted", False),
    insert: ("content does not match its digest", True),
    reorder: ("previous digest does not match", True),
    truncate_with_head_reset: ("the newest events were deleted", False),
    wipe: ("the trail was wiped", False),
    rewrite_with_a_wrong_key: ("content does not match its digest", True),
    rewrite_with_the_right_key: ("the chain was rewritten", False),
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=lambda a: a.__name__)
def test_every_attack_is_detected_and_named(chain, attack):
    reason, chain_alone = ATTACKS[attack]
    with translation.override("en"):
        named = attack(chain)
        result = audit_verify()
        assert _without_checkpoints() is not chain_alone
    assert not result.ok
    assert reason in result.reason
    assert result.broken_id == named
    with pytest.raises(CommandError, match=f"#{named}"):
        call_command("audit", "verify")


def test_an_intact_chain_verifies_with_its_checkpoints(chain):
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    call_command("audit", "checkpoint", stdout=io.StringIO())
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    result = audit_verify()
    assert result.ok and result.checked == 8


def _edit_line(path, number: int, **changes) -> None:
    lines = path.read_text().splitlines()
    data = json.loads(lines[number - 1])
    data.update(changes)
    lines[number - 1] = json.dumps(data, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")


def test_an_altered_checkpoint_line_does_not_verify(chain, checkpoints):
    """Lowering the count to hide a truncation breaks the line's signature."""
    _edit_line(checkpoints, 1, count=2, last_id=chain[1].pk, last_digest=chain[1].digest)
    truncate_with_head_reset(chain)
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and result.checkpoint_problem
    assert "signature of checkpoint line 1" in result.reason


def test_a_checkpoint_forged_with_a_wrong_key_does_not_verify(chain, checkpoints):
    line = json.loads(checkpoints.read_text())
    line["count"] = 2
    body = {k: v for k, v in line.items() if k != "signature"}
    message = audit_checkpoint.DOMAIN + json.dumps(body, sort_keys=True).encode()
    line["signature"] = hmac.new(b"guessed-key-0123456789", message, hashlib.sha256).hexdigest()
    checkpoints.write_text(json.dumps(line) + "\n")
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and "does not verify" in result.reason


def test_a_checkpoint_of_an_unknown_key_version_names_the_key(chain, checkpoints):
    _edit_line(checkpoints, 1, key_version=7)
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and result.key_problem and "version 7" in result.reason


def test_a_line_that_is_not_a_checkpoint_is_named(chain, checkpoints):
    with checkpoints.open("a") as handle:
        handle.write("{not json\n")
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and "line 2 of the checkpoint file" in result.reason


def test_checkpoints_of_another_database_are_left_out(chain, checkpoints):
    """A test run or a scratch restore does not read a site's checkpoints."""
    checkpoints.write_text("")
    with override_settings(AUDIT_CHECKPOINT_FILE=checkpoints):
        audit_checkpoint.write(count=99, last_id=999, last_digest="a" * 64)
    _edit_line(checkpoints, 1, database="postgresql:elsewhere")
    loaded = audit_checkpoint.load()
    assert loaded.foreign == 1 and not loaded.checkpoints


def test_the_page_names_the_truncation_in_chinese(
    chain, client, personas, django_capture_on_commit_callbacks
):
    """The audit page's verification (the background task) fails with the reason, in
    the product's language."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.login(username="auditor", password=PASSWORD)
    truncate_with_head_reset(chain)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/audit/verify/")
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert f"检查点记录了截至第{chain[-1].pk}条的6条事件：最新的事件被删除了" in job.message
    page = client.get(f"/tasks/{job.pk}/").content.decode()
    assert "最新的事件被删除了" in page


def test_the_command_says_how_many_checkpoints_the_chain_holds(chain):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit chain intact: 6 events; it holds its 1 checkpoints" in out.getvalue()
