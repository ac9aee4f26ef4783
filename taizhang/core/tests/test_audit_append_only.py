"""On PostgreSQL the database refuses to change or delete audit events, whatever the
application does (issue 19); sealing a just-inserted row is the one update it allows."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record, audit_verify
from taizhang.core.models import AuditEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (migration 0006)"
    ),
]
TABLE = AuditEvent._meta.db_table


def _try(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_writing_still_works_and_verifies():
    events = [audit_record(actor=SYSTEM, action="test.write", object_repr=str(i)) for i in range(3)]
    assert all(not e.digest.startswith("pending-") for e in events)
    assert audit_verify().ok


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET action = 'test.forged' WHERE id = %s",
        f"UPDATE {TABLE} SET digest = 'x' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
)
def test_the_database_refuses_changes_and_deletes(sql):
    event = audit_record(actor=SYSTEM, action="test.write", object_repr="kept")
    with pytest.raises(DatabaseError, match="append-only"):
        _try(sql, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.digest) == ("test.write", event.digest)


def test_a_pending_row_may_only_have_its_digest_sealed():
    """The insert-then-seal of audit_record: a pending row may get its digest and
    nothing else in the same statement."""
    event = audit_record(actor=SYSTEM, action="test.write", object_repr="a")
    with pytest.raises(DatabaseError, match="append-only"):
        # Sealed already: no second seal.
        _try(f"UPDATE {TABLE} SET digest = %s WHERE id = %s", ["pending-1-1", event.pk])
