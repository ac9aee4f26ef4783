"""The product's own error pages (issue 18): Chinese, in its style, saying what
happened and where to go; and ``make run``'s settings show them (DEBUG off, static
files from WhiteNoise)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.django_db
def test_a_missing_or_hidden_record_is_a_chinese_404(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    for path in ("/no/such/page/", f"/organizations/{tree.street_b.pk}/", "/problems/999999/"):
        response = client.get(path, **ZH)
        assert response.status_code == 404, path
        text = response.content.decode()
        assert "这里没有这个页面或记录" in text and "返回首页" in text, path
        assert "Page not found" not in text and "URLconf" not in text


@pytest.mark.django_db
def test_a_function_not_held_is_a_chinese_403(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    response = client.get("/audit/", **ZH)
    assert response.status_code == 403
    text = response.content.decode()
    assert "您的角色不包含这项功能" in text and "安全保密管理员" in text


@pytest.mark.django_db
def test_an_error_is_a_chinese_500_and_is_logged(client, tree, personas, monkeypatch, caplog):
    from taizhang.core import views

    def broken(request, *args, **kwargs):
        raise RuntimeError("boom for the test")

    monkeypatch.setattr(views, "render", broken)
    client.raise_request_exception = False
    client.login(username="street_a", password=PASSWORD)
    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/", **ZH)
    assert response.status_code == 500
    text = response.content.decode()
    assert "出错了" in text and "系统管理员" in text and "boom" not in text
    assert any("boom for the test" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_pages_say_webkit_and_name_the_languages_in_their_own_words(client, db):
    text = client.get("/accounts/login/", **ZH).content.decode()
    assert '<meta name="renderer" content="webkit">' in text
    assert "favicon.svg" in text
    assert ">English</option>" in text and ">简体中文</option>" in text
    assert "英语" not in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_run_settings_serve_the_chinese_404_and_static_files(tmp_path):
    """The dev server as ``make run`` starts it: DEBUG off, no debug page, static files
    served without collectstatic."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        TAIZHANG_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    migrate = subprocess.run(
        [sys.executable, "-m", "taizhang", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "taizhang", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        css = urllib.request.urlopen(f"{base}/static/taizhang/app.css", timeout=5)  # noqa: S310
        assert css.status == 200 and b".errorpage" in css.read()
        request = urllib.request.Request(  # noqa: S310
            f"{base}/accounts/no-such-page/", headers={"Accept-Language": "zh-hans"}
        )
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310
        assert missing.value.code == 404
        body = missing.value.read().decode()
        assert "这里没有这个页面或记录" in body and "URLconf" not in body
    finally:
        server.terminate()
        server.wait(timeout=10)
