"""Every answer says what a browser may load and use (Content-Security-Policy without
inline script, Permissions-Policy), and no template brings inline script back (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taizhang.core.middleware import CONTENT_SECURITY_POLICY
from tests.support import PASSWORD, bearer

ROOT = Path(__file__).resolve().parents[2]
# An event-handler attribute (onclick=, onsubmit=, …), htmx's hx-on (compiled with
# eval), a javascript: URL, or a <script> element without src.
INLINE = re.compile(
    r"""\son[a-z]+\s*=\s*["']|\shx-on[:\w-]*\s*=|javascript:|<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>""",
    re.IGNORECASE,
)


def _policy(response) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return dict(parts)


@pytest.mark.django_db
def test_pages_api_and_login_carry_the_policies(client, tree, personas):
    answers = [client.get("/accounts/login/")]
    client.login(username="district", password=PASSWORD)
    answers += [client.get("/"), client.get("/problems/"), client.get("/no-such-page/")]
    client.logout()
    answers.append(client.get("/api/v1/me", **bearer(client, personas.street_a)))
    for response in answers:
        policy = _policy(response)
        assert policy["script-src"] == "'self'", response
        assert "unsafe" not in policy["script-src"]
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert "microphone=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_or_widget_holds_inline_script():
    found = []
    for path in sorted(ROOT.glob("*/templates/**/*.html")) + sorted(ROOT.glob("*/widgets.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []


def test_the_check_finds_inline_script():
    """The scan above is not blind: each kind of inline script is caught."""
    for sample in (
        '<button onclick="go()">',
        "<form onsubmit='return confirm(1)'>",
        '<a hx-on:click="x()">',
        '<a hx-on::after-request="x()">',
        '<a href="javascript:void(0)">',
        "<script>alert(1)</script>",
    ):
        assert INLINE.search(sample), sample
    allowed = ('<script src="/static/app.js" defer></script>', '<button data-confirm="确定？">')
    for sample in allowed:
        assert not INLINE.search(sample), sample


@pytest.mark.django_db
def test_a_deployment_can_replace_the_policy(client, settings):
    settings.TAIZHANG_CSP = "default-src 'self'"
    response = client.get("/accounts/login/")
    assert response["Content-Security-Policy"] == "default-src 'self'"
    assert CONTENT_SECURITY_POLICY != settings.TAIZHANG_CSP
