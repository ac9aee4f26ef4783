"""notify(): one call for every module; senders registered by the reminders module."""

from __future__ import annotations

from typing import Any

import pytest

from taizhang.core import notify as notify_module
from taizhang.core.notify import Notice, notify, register_sender


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Notice, list[Any]]] = []

    def __call__(self, notice: Notice, users: list[Any]) -> int:
        self.calls.append((notice, users))
        return len(users)


class _User:
    def __init__(self, pk: int, active: bool = True) -> None:
        self.pk = pk
        self.is_active = active


@pytest.fixture
def recorder(monkeypatch):
    monkeypatch.setattr(notify_module, "_SENDERS", [])
    rec = _Recorder()
    register_sender(rec)
    register_sender(rec)  # registering twice keeps one
    return rec


def test_duplicates_none_and_inactive_left_out(recorder):
    a, b = _User(1), _User(2)
    sent = notify(recipients=[a, a, None, _User(3, active=False), b], rule="x", title="T")
    assert sent == 2
    assert len(recorder.calls) == 1
    notice, users = recorder.calls[0]
    assert users == [a, b]
    assert notice.rule == "x" and notice.title == "T"


def test_nobody_to_tell_sends_nothing(recorder):
    assert notify(recipients=[], rule="x", title="T") == 0
    assert recorder.calls == []


def test_without_a_sender_nothing_is_sent(monkeypatch):
    monkeypatch.setattr(notify_module, "_SENDERS", [])
    assert notify(recipients=[_User(1)], rule="x", title="T") == 0


def test_rules_are_declared_once(monkeypatch):
    from taizhang.core.notify import Rule, register_rule

    monkeypatch.setattr(notify_module, "RULES", {})
    rule = Rule(code="demo.due", label="Due soon", days_before=3)
    assert register_rule(rule) is rule
    register_rule(Rule(code="demo.due", label="Due soon", days_before=3))  # same: fine
    with pytest.raises(ValueError):
        register_rule(Rule(code="demo.due", label="Other", days_before=1))
    assert {"demo.due": rule} == notify_module.RULES
