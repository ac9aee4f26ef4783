"""Posting JSON to an outside address: the one HTTP client of the outbound channels.

Used by the chat-tool robots (``reminders.channels``) and the 12345 hotline's push-back
(``hotline``). It answers the status and the first 64 KiB of the body, and raises
:class:`WebhookError` for anything that is not a 2xx answer: an HTTP error status, an
address nobody answers, a timeout. The caller records the attempt and schedules the retry.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 5.0
MAX_ANSWER = 65536


class WebhookError(Exception):
    """A post that did not go through; ``status`` is the HTTP status when one came back."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def post_json(
    url: str,
    data: bytes,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    """POST ``data`` (JSON, already encoded) to ``url`` (http or https)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError("not an http(s) address")
    request = urllib.request.Request(  # noqa: S310 - an administrator's http(s) URL
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(status=int(response.status), body=response.read(MAX_ANSWER))
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code}", status=error.code) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WebhookError(f"unreachable: {reason}") from error


def mask_secret(value: str) -> str:
    """``SEC1234abcd`` → ``SEC1****``: enough to recognise, not to use."""
    value = value or ""
    if not value:
        return ""
    return f"{value[:4]}****" if len(value) > 8 else "****"


def mask_url(url: str) -> str:
    """A key or access token in the URL's query masked: ``…send?key=693a****``."""
    parts = urllib.parse.urlsplit(url or "")
    if not parts.query:
        return url
    query = [
        (name, mask_secret(value)) for name, value in urllib.parse.parse_qsl(parts.query, True)
    ]
    masked = "&".join(f"{name}={value}" for name, value in query)
    return urllib.parse.urlunsplit(parts._replace(query=masked))
