"""Audit key versions: each event is checked with the key that sealed it, so a rotation
keeps old events verifiable; an unknown version or a tampered row is named."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from config.settings.base import audit_keys_from_environment, audit_keys_from_text
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import _canonical, audit_record, audit_verify, compute_digest
from taizhang.core.models import AuditEvent, AuditHead
from tests.support import tampering

pytestmark = pytest.mark.django_db

OLD = "old-key-0123456789abcdef"
NEW = "new-key-fedcba9876543210"


def _record(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=SYSTEM, action="test.write", object_type="t", object_id=str(i))
        for i in range(n)
    ]


def _raw(sql: str, params: list) -> None:
    """Tamper with the table as someone with the owner's rights would: on PostgreSQL the
    append-only trigger is switched off around the statement."""
    with tampering(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def rotated(settings):
    """Three events under key 1, then a rotation to key 2 and three more."""
    settings.AUDIT_KEYS = {1: OLD}
    before = _record(3)
    settings.AUDIT_KEYS = {2: NEW, 1: OLD}
    after = _record(3)
    return before, after


def test_rotation_keeps_old_events_verifiable(rotated):
    """Events sealed with key 1 still verify after key 2 became current."""
    before, after = rotated
    assert {e.key_version for e in before} == {1}
    assert {e.key_version for e in after} == {2}
    result = audit_verify()
    assert result.ok and result.checked == 6
    call_command("audit", "verify")


def test_dropping_an_old_key_names_its_first_row(rotated, settings):
    """Without key 1 configured, verify names the first row it sealed, as a key problem."""
    before, _ = rotated
    settings.AUDIT_KEYS = {2: NEW}
    result = audit_verify()
    assert not result.ok and result.key_problem
    assert result.broken_id == before[0].pk
    assert "key version 1" in result.reason
    with pytest.raises(CommandError, match="escrow"):
        call_command("audit", "verify")
    with pytest.raises(CommandError, match=r"\[1\]"):
        call_command("audit", "keys")


def test_row_relabelled_with_an_unknown_version_fails(rotated):
    """A row re-sealed under a version nobody configured is named with that version."""
    _, after = rotated
    _raw(f"UPDATE {AuditEvent._meta.db_table} SET key_version = 7 WHERE id = %s", [after[1].pk])
    result = audit_verify()
    assert not result.ok and result.broken_id == after[1].pk
    assert "version 7" in result.reason


def test_row_relabelled_with_another_known_version_fails(rotated):
    """The digest covers key_version: moving a key-2 row to key 1 breaks it."""
    _, after = rotated
    _raw(f"UPDATE {AuditEvent._meta.db_table} SET key_version = 1 WHERE id = %s", [after[1].pk])
    result = audit_verify()
    assert not result.ok and result.broken_id == after[1].pk


def test_tampered_row_still_fails_after_rotation(rotated):
    before, _ = rotated
    _raw(
        f"UPDATE {AuditEvent._meta.db_table} SET object_repr = %s WHERE id = %s",
        ["forged", before[1].pk],
    )
    result = audit_verify()
    assert not result.ok and result.broken_id == before[1].pk
    assert not result.key_problem


def test_wrong_key_reads_as_a_key_problem(rotated, settings):
    """Restoring with the wrong key material breaks the first row of that version."""
    before, _ = rotated
    settings.AUDIT_KEYS = {2: NEW, 1: "not-the-old-key-at-all"}
    result = audit_verify()
    assert not result.ok and result.key_problem and result.broken_id == before[0].pk


def test_digest_covers_key_version(rotated):
    _, after = rotated
    event = after[0]
    assert b'"key_version": 2' in _canonical(event)
    original = compute_digest(event)
    event.key_version = 1
    assert compute_digest(event) != original


def test_events_sealed_before_versions_verify_in_their_original_form(settings):
    """Rows from before the migration (up to AuditHead.legacy_through) keep their digest."""
    settings.AUDIT_KEYS = {1: OLD}
    legacy = _record(2)
    _relink(legacy)
    AuditHead.objects.filter(pk=1).update(legacy_through=legacy[-1].pk)
    settings.AUDIT_KEYS = {2: NEW, 1: OLD}
    _record(2)
    assert audit_verify().ok
    # Moving the boundary either way breaks the chain.
    AuditHead.objects.filter(pk=1).update(legacy_through=legacy[0].pk)
    assert not audit_verify().ok


def _relink(events: list[AuditEvent]) -> None:
    """Re-seal ``events`` in the legacy form, each linked to the previous one."""
    previous = "0" * 64
    for event in events:
        event.refresh_from_db()
        event.previous_digest = previous
        digest = compute_digest(event, legacy=True)
        _raw(
            f"UPDATE {AuditEvent._meta.db_table} SET previous_digest = %s, digest = %s "
            "WHERE id = %s",
            [previous, digest, event.pk],
        )
        previous = digest
    AuditHead.objects.filter(pk=1).update(last_digest=previous, last_event_id=events[-1].pk)


def test_keys_setting_parses_versions_current_first():
    keys = audit_keys_from_text(f"2:{NEW}, 1:{OLD}")
    assert list(keys.items()) == [(2, NEW), (1, OLD)]
    for bad in ["nokey", "0:" + NEW, f"1:{NEW},1:{OLD}", "1:short", f"1:{NEW},2:{NEW}"]:
        with pytest.raises(ImproperlyConfigured):
            audit_keys_from_text(bad)


def test_production_settings_refuse_to_start_without_a_key(monkeypatch):
    """Only the dev and test settings fall back to the published development key."""
    monkeypatch.delenv("TAIZHANG_AUDIT_KEYS", raising=False)
    monkeypatch.delenv("TAIZHANG_AUDIT_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="escrow"):
        audit_keys_from_environment("config.settings.prod")
    with pytest.raises(ImproperlyConfigured):
        audit_keys_from_environment("district.settings")
    assert audit_keys_from_environment("config.settings.test") == {
        1: "dev-only-insecure-key-change-me"
    }
    monkeypatch.setenv("TAIZHANG_AUDIT_KEY", OLD)
    assert audit_keys_from_environment("config.settings.prod") == {1: OLD}
    monkeypatch.setenv("TAIZHANG_AUDIT_KEYS", f"3:{NEW},1:{OLD}")
    assert audit_keys_from_environment("config.settings.prod") == {3: NEW, 1: OLD}
