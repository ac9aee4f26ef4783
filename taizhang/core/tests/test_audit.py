"""The audit chain detects a changed, deleted, inserted or reordered row."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record, audit_verify, compute_digest
from taizhang.core.models import AuditEvent
from tests.support import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    events = [
        audit_record(
            actor=SYSTEM,
            action="test.write",
            object_type="t",
            object_id=str(i),
            changes={"n": [i - 1, i]},
        )
        for i in range(1, 6)
    ]
    return events


def _raw(sql: str, params: list) -> None:
    """Tamper with the table as someone with the owner's rights would: on PostgreSQL the
    append-only trigger is switched off around the statement."""
    with tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_intact_chain_verifies(chain):
    """Five appended events verify, and the command exits 0."""
    result = audit_verify()
    assert result.ok and result.checked == 5
    call_command("audit", "verify")


def test_changed_row_is_named(chain):
    """Editing a row's content in the database breaks the chain at that row."""
    _raw(
        f"UPDATE {AuditEvent._meta.db_table} SET object_repr = %s WHERE id = %s",
        ["forged", chain[2].pk],
    )
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == chain[2].pk
    # From the shell, CommandError makes `taizhang audit verify` exit 1 with this message.
    with pytest.raises(CommandError, match=f"#{chain[2].pk}"):
        call_command("audit", "verify")


def test_changed_field_diff_is_named(chain):
    """Rewriting what a row says changed (its ``changes`` diff) breaks the chain there."""
    _raw(
        f"UPDATE {AuditEvent._meta.db_table} SET changes = %s WHERE id = %s",
        ['{"n": [2, 300]}', chain[3].pk],
    )
    assert AuditEvent.objects.get(pk=chain[3].pk).changes == {"n": [2, 300]}
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == chain[3].pk


def test_missing_actor_is_refused(db):
    """Skipping checks must be the visible choice SYSTEM: no actor, no event."""
    with pytest.raises(TypeError):
        audit_record(actor=None, action="test.write", object_type="t")
    assert not AuditEvent.objects.exists()


def test_system_actor_is_recorded_without_a_user(db):
    event = audit_record(actor=SYSTEM, action="test.write", object_type="t")
    assert event.actor_id is None and event.actor_name == ""


def test_deleted_row_is_named(chain):
    """Deleting a row in the middle breaks the link of the row after it."""
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [chain[1].pk])
    result = audit_verify()
    assert not result.ok and result.broken_id == chain[2].pk


def test_deleted_tail_is_detected(chain):
    """Deleting the newest row is caught by the chain head."""
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [chain[-1].pk])
    result = audit_verify()
    assert not result.ok


def test_inserted_row_is_named(chain):
    """A row inserted with a self-made digest does not fit the keyed chain."""
    forged = AuditEvent(
        id=chain[-1].pk + 100,
        occurred_at=chain[-1].occurred_at,
        action="test.forged",
        previous_digest=chain[-1].digest,
        digest="0" * 64,
    )
    forged.save(force_insert=True)
    result = audit_verify()
    assert not result.ok and result.broken_id == forged.pk


def test_reordered_rows_are_named(chain):
    """Swapping the contents of two rows breaks the chain at the first of them."""
    a, b = AuditEvent.objects.get(pk=chain[1].pk), AuditEvent.objects.get(pk=chain[2].pk)
    table = AuditEvent._meta.db_table
    _raw(f"UPDATE {table} SET digest = %s WHERE id = %s", ["tmp-a", a.pk])
    _raw(
        f"UPDATE {table} SET digest = %s, previous_digest = %s, object_id = %s WHERE id = %s",
        [a.digest, a.previous_digest, a.object_id, b.pk],
    )
    _raw(
        f"UPDATE {table} SET digest = %s, previous_digest = %s, object_id = %s WHERE id = %s",
        [b.digest, b.previous_digest, b.object_id, a.pk],
    )
    result = audit_verify()
    assert not result.ok and result.broken_id == a.pk


def test_events_are_append_only(chain):
    """The model refuses updates and deletes of an existing event."""
    event = AuditEvent.objects.get(pk=chain[0].pk)
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_digest_covers_the_id(chain):
    """The same content under another id gives another digest (reorders are visible)."""
    event = AuditEvent.objects.get(pk=chain[0].pk)
    original = compute_digest(event)
    event.pk = event.pk + 1000
    assert compute_digest(event) != original
