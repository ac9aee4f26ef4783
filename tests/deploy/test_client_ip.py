"""The audit trail's client address: X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from taizhang.core.middleware import client_ip


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    """Default: a forged X-Forwarded-For changes nothing."""
    settings.TAIZHANG_TRUSTED_PROXIES = []
    assert client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_a_trusted_proxy_forwards_the_client(settings):
    """nginx on 127.0.0.1 appends the address it saw: that is the client."""
    settings.TAIZHANG_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"


def test_entries_before_our_proxies_are_not_believed(settings):
    """A client writing its own X-Forwarded-For cannot choose its recorded address."""
    settings.TAIZHANG_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"


def test_chained_trusted_proxies_are_skipped_by_network(settings):
    """A load balancer in 10.1.0.0/16 before nginx: both are skipped, right to left."""
    settings.TAIZHANG_TRUSTED_PROXIES = ["127.0.0.1", "10.1.0.0/16"]
    assert client_ip(_request("127.0.0.1", "203.0.113.9, 10.1.2.3")) == "203.0.113.9"


def test_an_untrusted_peer_cannot_forward(settings):
    """Only the direct peer's trust matters: a stranger's header is ignored."""
    settings.TAIZHANG_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("192.0.2.50", "198.51.100.7")) == "192.0.2.50"


@pytest.mark.parametrize("header", ["not-an-ip", "", "198.51.100.7, garbage"])
def test_a_malformed_chain_falls_back_to_the_peer(settings, header):
    """Nothing provable in the header: the proxy's own address is kept."""
    settings.TAIZHANG_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(_request("127.0.0.1", header)) == "127.0.0.1"


def test_ipv6_proxy(settings):
    settings.TAIZHANG_TRUSTED_PROXIES = ["::1"]
    assert client_ip(_request("::1", "2001:db8::7")) == "2001:db8::7"
