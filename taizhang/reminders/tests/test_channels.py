"""The webhook channel against a local receiver: payloads, signature, failures; masks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from taizhang.reminders.channels import (
    ChannelError,
    Content,
    WebhookChannel,
    dingtalk_sign,
    mask_secret,
    mask_url,
)
from taizhang.reminders.tests.receiver import dead_url, robot_receiver


def _endpoint(url: str, secret: str = "") -> SimpleNamespace:
    return SimpleNamespace(url=url, secret=secret)


def test_wecom_gets_markdown() -> None:
    """A WeCom robot receives {"msgtype": "markdown", "markdown": {"content": ...}}."""
    with robot_receiver() as robot:
        WebhookChannel("wecom").deliver(
            endpoint=_endpoint(f"{robot.url}?key=abc"), content=Content(title="标题", body="正文")
        )
    assert len(robot.requests) == 1
    sent = robot.requests[0]
    assert sent.query == {"key": ["abc"]}
    assert sent.body["msgtype"] == "markdown"
    assert sent.body["markdown"]["content"] == "**标题**\n正文"


def test_dingtalk_gets_text_and_a_signature_that_verifies() -> None:
    """A signed DingTalk robot receives text with timestamp and sign that the robot's
    own check (HMAC-SHA256 of "timestamp\\nsecret", base64) accepts."""
    secret = "SEC0123456789abcdef"
    with robot_receiver() as robot:
        WebhookChannel("dingtalk").deliver(
            endpoint=_endpoint(f"{robot.url}?access_token=tok", secret),
            content=Content(title="标题", body="正文"),
        )
    sent = robot.requests[0]
    assert sent.body == {"msgtype": "text", "text": {"content": "标题\n正文"}}
    timestamp = sent.query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert unquote(sent.query["sign"][0]) == expected or sent.query["sign"][0] == expected
    assert sent.query["access_token"] == ["tok"]


def test_dingtalk_without_secret_is_not_signed() -> None:
    channel = WebhookChannel("dingtalk")
    assert channel.target(_endpoint("https://oapi.dingtalk.com/robot/send?access_token=t")) == (
        "https://oapi.dingtalk.com/robot/send?access_token=t"
    )


def test_sign_is_stable_for_a_timestamp() -> None:
    assert dingtalk_sign("s", 1000) == dingtalk_sign("s", 1000) != dingtalk_sign("s", 1001)


def test_errcode_not_zero_is_a_failure() -> None:
    """A 200 answer with errcode != 0 (a wrong key, too many messages) is a failure."""
    answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    with robot_receiver(answer=answer) as robot, pytest.raises(ChannelError, match="93000"):
        WebhookChannel("wecom").deliver(endpoint=_endpoint(robot.url), content=Content("t"))


def test_non_2xx_is_a_failure() -> None:
    with robot_receiver(status=502) as robot, pytest.raises(ChannelError, match="HTTP 502"):
        WebhookChannel("wecom").deliver(endpoint=_endpoint(robot.url), content=Content("t"))


def test_receiver_down_is_a_failure() -> None:
    with pytest.raises(ChannelError, match="unreachable"):
        WebhookChannel("wecom").deliver(endpoint=_endpoint(dead_url()), content=Content("t"))


def test_link_only_when_the_site_address_is_known(settings) -> None:
    settings.TAIZHANG_SITE_URL = ""
    assert Content("t", url="/problems/1/").link == ""
    settings.TAIZHANG_SITE_URL = "https://tz.example.gov.cn/"
    assert Content("t", url="/problems/1/").link == "https://tz.example.gov.cn/problems/1/"
    assert Content("t", url="https://evil.example/").link == ""


def test_masks_keep_keys_unusable() -> None:
    """The robot key in the URL and the signing secret are shown masked."""
    masked = mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4")
    assert masked == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****"
    assert mask_secret("SEC0123456789abcdef") == "SEC0****"
    assert mask_secret("short") == "****"
    assert mask_secret("") == ""
