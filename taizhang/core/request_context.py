"""Per-request facts that services need but must not take as arguments (the client IP)."""

from __future__ import annotations

from contextvars import ContextVar

_ip: ContextVar[str | None] = ContextVar("taizhang_ip", default=None)


def current_ip() -> str | None:
    return _ip.get()


def set_ip(ip: str | None):  # type: ignore[no-untyped-def]
    return _ip.set(ip)


def reset_ip(token) -> None:  # type: ignore[no-untyped-def]
    _ip.reset(token)
