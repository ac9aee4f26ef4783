"""The signature both directions carry: HMAC-SHA256 with the endpoint's shared key over
``"<X-Timestamp>\\n"`` followed by the raw body, hex in ``X-Signature``.

The timestamp (Unix seconds) is signed with the body, so a captured request cannot be
replayed with a new one; it must be within :data:`REPLAY_WINDOW` of our clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time

REPLAY_WINDOW = 300  # seconds, either side of our clock

KEY_ID = "X-Key-Id"
TIMESTAMP = "X-Timestamp"
SIGNATURE = "X-Signature"
EVENT_ID = "X-Event-Id"


def sign(key: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"\n" + body
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_ok(key: str, timestamp: str, body: bytes, signature: str) -> bool:
    try:
        expected = sign(key, timestamp, body)
    except UnicodeEncodeError:  # a timestamp that is not ASCII digits
        return False
    # Bytes: compare_digest refuses a str with non-ASCII characters (a garbled header).
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode("ascii"), given)


def timestamp_fresh(timestamp: str, *, now: float | None = None) -> bool:
    try:
        moment = int(timestamp.strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    return abs(current - moment) <= REPLAY_WINDOW


def signed_headers(
    key_id: str, key: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The headers of a signed request (a push, or the platform's work order in tests)."""
    timestamp = str(int(time.time() if now is None else now))
    return {KEY_ID: key_id, TIMESTAMP: timestamp, SIGNATURE: sign(key, timestamp, body)}
