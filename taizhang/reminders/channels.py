"""Where a message goes besides the message centre: channels behind one interface.

The in-app channel is the message centre itself (``services.message_send`` stores one
:class:`~taizhang.reminders.models.Message` per recipient, always). Every other channel
delivers a notice to a configured :class:`~taizhang.reminders.models.WebhookEndpoint`
and is looked up by the endpoint's ``kind`` in :data:`CHANNELS`. A channel answers
nothing and raises :class:`ChannelError` on failure; the caller (``delivery_attempt``)
records the attempt and schedules the retry.

Adding a channel (SMS gateway, e-mail): write a class with ``deliver(endpoint=…,
content=…)`` and register it under a new endpoint kind with :func:`register_channel`
in a manifest; see the module README.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

# The HTTP post and the masks are shared with the hotline's push-back (moved to core).
from taizhang.core.webhooks import WebhookError, mask_secret, mask_url, post_json

__all__ = [
    "CHANNELS",
    "Channel",
    "ChannelError",
    "Content",
    "WebhookChannel",
    "dingtalk_sign",
    "mask_secret",
    "mask_url",
    "register_channel",
]

TIMEOUT_SECONDS = 5.0


class ChannelError(Exception):
    """A delivery that did not go through: the reason is kept on the delivery row."""


@dataclass(frozen=True)
class Content:
    """What an outside channel carries: title, body and a link (absolute when the site's
    address is configured, ``TAIZHANG_SITE_URL``)."""

    title: str
    body: str = ""
    url: str = ""

    @property
    def link(self) -> str:
        if not self.url:
            return ""
        base = str(getattr(settings, "TAIZHANG_SITE_URL", "") or "").rstrip("/")
        return f"{base}{self.url}" if base and self.url.startswith("/") else ""


class Channel(Protocol):
    def deliver(self, *, endpoint: Any, content: Content) -> None: ...


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(extra.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class WebhookChannel:
    """A chat tool's group robot: 企业微信 (markdown) or 钉钉 (text, optionally signed).

    A non-2xx answer, an answer that is not JSON, or ``errcode != 0`` is a failure.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def payload(self, content: Content) -> dict[str, Any]:
        if self.kind == "wecom":
            text = f"**{content.title}**"
            if content.body:
                text += f"\n{content.body}"
            if content.link:
                text += f"\n[{content.link}]({content.link})"
            return {"msgtype": "markdown", "markdown": {"content": text}}
        lines = [content.title, content.body, content.link]
        return {"msgtype": "text", "text": {"content": "\n".join(x for x in lines if x)}}

    def target(self, endpoint: Any, *, now: float | None = None) -> str:
        url = str(endpoint.url)
        if self.kind == "dingtalk" and endpoint.secret:
            timestamp = int((now if now is not None else time.time()) * 1000)
            url = _with_query(
                url,
                {"timestamp": str(timestamp), "sign": dingtalk_sign(endpoint.secret, timestamp)},
            )
        return url

    def deliver(self, *, endpoint: Any, content: Content) -> None:
        data = json.dumps(self.payload(content), ensure_ascii=False).encode()
        try:
            raw = post_json(self.target(endpoint), data, timeout=TIMEOUT_SECONDS).body
        except WebhookError as error:
            raise ChannelError(str(error)) from error
        try:
            answer = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as error:
            raise ChannelError("the answer is not JSON") from error
        errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
        if errcode not in (0, "0"):
            raise ChannelError(f"errcode {errcode}: {str(answer.get('errmsg', ''))[:200]}")


CHANNELS: dict[str, Channel] = {
    "wecom": WebhookChannel("wecom"),
    "dingtalk": WebhookChannel("dingtalk"),
}


def register_channel(kind: str, channel: Channel) -> None:
    """Let endpoints of ``kind`` be delivered by ``channel`` (an SMS gateway, e-mail)."""
    CHANNELS[kind] = channel
