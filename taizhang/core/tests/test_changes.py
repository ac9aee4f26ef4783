"""Services' change reports reach every listener, before and after the write."""

from __future__ import annotations

from typing import Any

import pytest

from taizhang.core import changes
from taizhang.core.models import AuditEvent


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, frozenset[Any]]]:
    seen: list[tuple[str, Any, frozenset[Any]]] = []

    def listener(model: Any, pks: frozenset[Any]) -> Any:
        seen.append(("before", model, pks))
        return lambda: seen.append(("after", model, pks))

    monkeypatch.setattr(changes, "_LISTENERS", [listener])
    return seen


def test_rows_changing_reads_before_and_acts_after(calls: list[Any]) -> None:
    with changes.rows_changing(AuditEvent, [3, 1]):
        assert calls == [("before", AuditEvent, frozenset({1, 3}))]
    assert calls[-1] == ("after", AuditEvent, frozenset({1, 3}))


def test_rows_written_reports_once(calls: list[Any]) -> None:
    changes.rows_written(AuditEvent, [7])
    assert [step for step, _m, _k in calls] == ["before", "after"]


def test_nothing_written_reports_nothing(calls: list[Any]) -> None:
    changes.rows_written(AuditEvent, [])
    assert calls == []


def test_a_failed_write_is_not_reported_as_done(calls: list[Any]) -> None:
    """The transaction rolls back; the listener's after-step must not run."""
    with pytest.raises(RuntimeError), changes.rows_changing(AuditEvent, [1]):
        raise RuntimeError
    assert [step for step, _m, _k in calls] == ["before"]


def test_register_listener_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "_LISTENERS", [])

    def listener(model: Any, pks: frozenset[Any]) -> Any:
        return lambda: None

    changes.register_listener(listener)
    changes.register_listener(listener)
    assert [listener] == changes._LISTENERS
