"""Retention (issue 19): ``taizhang audit purge --before`` deletes only events older than
TAIZHANG_AUDIT_RETENTION_DAYS (at least 180), records itself and leaves a signed purge
checkpoint from which the shortened chain verifies."""

from __future__ import annotations

import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.transaction import atomic as _real_atomic
from django.utils import timezone, translation

from taizhang.core.actors import SYSTEM
from taizhang.core.audit import (
    PurgeRefused,
    audit_purge,
    audit_record,
    audit_verify,
    retention_days,
)
from taizhang.core.models import AuditEvent, AuditHead
from tests.support import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(tmp_path, settings):
    path = tmp_path / "audit" / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = path
    return path


def _record_at(moment: dt.datetime, n: int) -> list[AuditEvent]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return [
            audit_record(actor=SYSTEM, action="test.write", object_type="t", object_id=str(i))
            for i in range(n)
        ]


@pytest.fixture
def history(checkpoints):
    """Three events a year ago, two 200 days ago, two today; checkpointed."""
    now = timezone.now()
    events = (
        _record_at(now - dt.timedelta(days=365), 3)
        + _record_at(now - dt.timedelta(days=200), 2)
        + _record_at(now, 2)
    )
    call_command("audit", "checkpoint", stdout=io.StringIO())
    return events


def _days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def test_purge_deletes_the_old_events_records_itself_and_the_chain_verifies(history, checkpoints):
    out = io.StringIO()
    call_command("audit", "purge", "--before", _days_ago(300).isoformat(), stdout=out)
    remaining = list(AuditEvent.objects.order_by("id"))
    assert [e.pk for e in remaining[:-1]] == [e.pk for e in history[3:]]
    purge = remaining[-1]
    assert purge.action == "audit.purge"
    assert purge.changes == {
        "before": _days_ago(300).isoformat(),
        "purged": 3,
        "first_kept_id": history[3].pk,
        "retention_days": 180,
    }
    assert AuditHead.objects.get(pk=1).count == 5
    line = json.loads(checkpoints.read_text().splitlines()[-1])
    assert line["kind"] == "purge"
    assert (line["first_kept_id"], line["first_kept_previous"]) == (
        history[3].pk,
        history[2].digest,
    )
    assert (line["count"], line["last_id"]) == (5, purge.pk)
    assert "Purged 3 audit events" in out.getvalue()
    result = audit_verify()
    assert result.ok and result.checked == 5
    # A checkpoint after the purge, and more events: still intact.
    call_command("audit", "checkpoint", stdout=io.StringIO())
    audit_record(actor=SYSTEM, action="test.write", object_type="t")
    assert audit_verify().ok


@pytest.mark.parametrize("days", [0, 1, 179])
def test_events_younger_than_the_retention_are_refused(history, days):
    with pytest.raises(CommandError, match="kept at least 180 days"):
        call_command("audit", "purge", "--before", _days_ago(days).isoformat())
    assert AuditEvent.objects.count() == len(history)


def test_the_retention_can_be_lengthened_not_shortened(history, settings):
    settings.TAIZHANG_AUDIT_RETENTION_DAYS = 400
    assert retention_days() == 400
    with pytest.raises(PurgeRefused, match="400 days"):
        audit_purge(_days_ago(300))
    settings.TAIZHANG_AUDIT_RETENTION_DAYS = 90
    with pytest.raises(ImproperlyConfigured, match="at least 180"):
        audit_purge(_days_ago(300))
    assert AuditEvent.objects.count() == len(history)


def test_a_chain_that_does_not_verify_is_not_purged(history):
    with tampering(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET object_repr = 'forged' WHERE id = %s",
            [history[0].pk],
        )
    with pytest.raises(CommandError, match="does not verify, so nothing is purged"):
        call_command("audit", "purge", "--before", _days_ago(300).isoformat())
    assert AuditEvent.objects.count() == len(history)


def test_nothing_to_purge_writes_nothing(history, checkpoints):
    before = checkpoints.read_text()
    out = io.StringIO()
    call_command("audit", "purge", "--before", _days_ago(400).isoformat(), stdout=out)
    assert "nothing purged" in out.getvalue()
    assert checkpoints.read_text() == before
    assert AuditEvent.objects.count() == len(history)


def test_after_a_purge_deleting_more_old_events_or_the_file_is_detected(history, checkpoints):
    audit_purge(_days_ago(300))
    with tampering(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [history[3].pk])
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and "the oldest events were deleted" in result.reason


def test_after_a_purge_the_checkpoint_file_cannot_be_removed_unnoticed(history, checkpoints):
    audit_purge(_days_ago(300))
    checkpoints.unlink()
    result = audit_verify()
    assert not result.ok and result.broken_id == history[3].pk


def test_an_unfinished_purge_is_named(history, checkpoints):
    """The purge checkpoint is written before the commit; a failed commit leaves the old
    events in place, and verify says to run the purge again."""
    with (
        mock.patch("taizhang.core.audit.transaction.atomic", side_effect=_failing_commit),
        pytest.raises(RuntimeError, match="commit failed"),
    ):
        audit_purge(_days_ago(300))
    assert AuditEvent.objects.count() == len(history)
    with translation.override("en"):
        result = audit_verify()
    assert not result.ok and "run it again" in result.reason
    audit_purge(_days_ago(300))
    assert audit_verify().ok


class _failing_commit:  # noqa: N801 - stands in for transaction.atomic
    """Rolls the block back as a failed commit would."""

    def __init__(self, *args, **kwargs):
        self.inner = _real_atomic(*args, **kwargs)

    def __enter__(self):
        return self.inner.__enter__()

    def __exit__(self, *exc):
        if exc[0] is not None:
            return self.inner.__exit__(*exc)
        error = RuntimeError("commit failed")
        self.inner.__exit__(RuntimeError, error, None)
        raise error


@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")
def test_on_postgresql_a_role_that_does_not_own_the_table_cannot_purge(history):
    """The application role may SELECT/INSERT/UPDATE/DELETE, but not lift the trigger."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE tz_purge_test_app NOLOGIN")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
            " TO tz_purge_test_app"
        )
        cursor.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tz_purge_test_app")
        cursor.execute("SET ROLE tz_purge_test_app")
    try:
        with pytest.raises(PurgeRefused, match="does not own the audit table"):
            audit_purge(_days_ago(300))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.count() == len(history)
