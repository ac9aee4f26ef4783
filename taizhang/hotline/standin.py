"""A local 12345 platform stand-in: ``http.server`` in a thread on 127.0.0.1 (a random
port) that checks each push's signature, records it, and refuses the first
``fail_first`` with a 503 before it accepts. The hotline tests start it, and so does
``scripts/integration_demo.py`` (hence here and not under ``tests/``)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from taizhang.hotline.signing import signature_ok, timestamp_fresh


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]
    signed: bool
    answered: int


@dataclass
class Platform:
    key: str
    fail_first: int = 0
    url: str = ""
    received: list[Received] = field(default_factory=list)

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.answered == 200]


@contextmanager
def platform_stand_in(key: str, *, fail_first: int = 0) -> Iterator[Platform]:
    platform = Platform(key=key, fail_first=fail_first)
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            signed = signature_ok(
                platform.key, headers.get("X-Timestamp", ""), raw, headers.get("X-Signature", "")
            ) and timestamp_fresh(headers.get("X-Timestamp", ""))
            if not signed:
                status = 401
            elif len(platform.received) < platform.fail_first:
                status = 503
            else:
                status = 200
            event_id = headers.get("X-Event-Id", "")
            answer = {"ok": status == 200, "duplicate": event_id in seen}
            if status == 200:
                seen.add(event_id)
            platform.received.append(Received(headers, raw, json.loads(raw), signed, status))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}/12345/callback"
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def dead_url() -> str:
    """An address nobody listens on: a port bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/12345/callback"
