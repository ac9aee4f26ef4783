from __future__ import annotations

from typing import Any

import pytest

from taizhang.core import notify as notify_module
from taizhang.core.notify import Notice, register_sender


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Attachments go to a temporary MEDIA_ROOT, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English (msgids); pages render per request."""
    from django.utils import translation

    with translation.override("en"):
        yield


class Recorder:
    """A sender that keeps what it was asked to send: (notice, users) per call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Notice, list[Any]]] = []

    def __call__(self, notice: Notice, users: list[Any]) -> int:
        self.calls.append((notice, users))
        return len(users)

    def recipients(self, rule: str) -> set[str]:
        return {u.username for n, users in self.calls if n.rule == rule for u in users}


@pytest.fixture
def sent(monkeypatch) -> Recorder:
    monkeypatch.setattr(notify_module, "_SENDERS", [])
    recorder = Recorder()
    register_sender(recorder)
    return recorder
