"""A production-settings run: the settings module as gunicorn loads it, with env vars.

Settings are read at import, so each case runs ``tests/deploy/probe.py`` (or a command)
in a child process with the environment an operator would write, on a SQLite database
migrated once for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TAIZHANG_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the production default must apply by itself
    # The browser journeys' conftest sets this for Playwright's event loop in the test
    # process; a server an operator starts never has it (check --deploy refuses it).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        TAIZHANG_SECRET_KEY="probe-secret-" + "x" * 60,
        TAIZHANG_AUDIT_KEY="probe-audit-key-0123456789",
        TAIZHANG_DATA_KEY="probe-data-key-" + "d" * 40,
        TAIZHANG_VAR_DIR=str(var_dir),
        TAIZHANG_ALLOWED_HOSTS="testserver,localhost",
        TAIZHANG_TRUSTED_PROXIES="127.0.0.1",
        TAIZHANG_LOG_FILE=str(var_dir / "taizhang.log"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _finish(_start(args, env))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated database and collected static files, as after the deploy steps."""
    var_dir = tmp_path_factory.mktemp("site")
    env = _env(var_dir, TAIZHANG_HTTPS="off")
    # Side by side: the two steps touch different things and this is most of the time.
    steps = [
        _start(["-m", "taizhang", "migrate", "--no-input", "-v", "0"], env),
        _start(["-m", "taizhang", "collectstatic", "--no-input", "-v", "0"], env),
    ]
    for done in map(_finish, steps):
        assert done.returncode == 0, done.stderr[-3000:]
    return var_dir


@pytest.fixture(scope="module")
def probes(site):
    """What a client sees with HTTPS off and on (two processes, run side by side)."""
    running = {
        mode: _start(["tests/deploy/probe.py"], _env(site, TAIZHANG_HTTPS=mode))
        for mode in ("off", "on")
    }
    seen = {}
    for mode, process in running.items():
        done = _finish(process)
        assert done.returncode == 0, done.stderr[-3000:]
        line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))
        seen[mode] = json.loads(line.removeprefix("PROBE "))
    return seen


@pytest.fixture(scope="module")
def plain(probes):
    return probes["off"]


@pytest.fixture(scope="module")
def https(probes):
    return probes["on"]


def test_plain_http_intranet_serves_styled_pages_and_logs_in(plain):
    """HTTPS off: DEBUG off, CSS and htmx 200, /healthz 200, login over HTTP is no CSRF 403."""
    seen = plain
    assert seen["debug"] is False
    assert seen["plain_http_status"] == 200
    assert any(url.endswith(".css") for url in seen["assets"])
    assert any("htmx" in url for url in seen["assets"])
    assert set(seen["assets"].values()) == {200}
    assert seen["healthz"] == 200
    assert seen["login_post"] == 302
    assert seen["home_after_login"] == 200
    assert seen["csrf_cookie_secure"] is False
    assert seen["session_cookie_secure"] is False
    assert seen["hsts"] == ""
    # The proxy (127.0.0.1) is trusted: the audit trail has the client, not nginx.
    assert seen["last_audit_ip"] == "198.51.100.7"


def test_https_on_redirects_plain_http_and_sets_secure_cookies(https):
    """HTTPS on: HTTP answers a redirect to https, cookies are Secure, HSTS is sent."""
    seen = https
    assert seen["plain_http_status"] == 301
    assert seen["plain_http_location"].startswith("https://")
    assert seen["healthz_plain"] == 200  # the load balancer's probe is exempt
    assert seen["login_page"] == 200
    assert set(seen["assets"].values()) == {200}
    assert seen["login_post"] == 302
    assert seen["csrf_cookie_secure"] is True
    assert seen["session_cookie_secure"] is True
    assert "max-age=31536000" in seen["hsts"]


def test_errors_and_security_events_reach_the_log_file(site, plain):
    """A 500 leaves its traceback in TAIZHANG_LOG_FILE; a refused Host is logged too."""
    seen = plain
    assert seen["boom"] == 500
    assert seen["bad_host"] == 400
    log = (site / "taizhang.log").read_text()
    assert "Internal Server Error: /boom/" in log
    assert "RuntimeError: probe failure for the log" in log
    assert "django.security.DisallowedHost" in log


def test_check_deploy_has_no_warning_with_https_on(site):
    """`taizhang check --deploy --fail-level WARNING` passes under production settings."""
    done = _run(
        ["-m", "taizhang", "check", "--deploy", "--fail-level", "WARNING"],
        _env(site, TAIZHANG_HTTPS="on"),
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(site):
    """No TAIZHANG_SECRET_KEY: the command exits with a message naming it."""
    env = _env(site)
    del env["TAIZHANG_SECRET_KEY"]
    done = _run(["-m", "taizhang", "check"], env)
    assert done.returncode != 0
    assert "TAIZHANG_SECRET_KEY" in done.stderr


def test_wsgi_refuses_the_development_settings_unless_asked(site):
    """config.wsgi with the development settings fails to load, with DEBUG off (as
    make run has it) or on; TAIZHANG_DEV=1 is the way to ask."""
    env = _env(site, DJANGO_SETTINGS_MODULE="config.settings.dev")
    done = _run(["-c", "import config.wsgi"], env)
    assert done.returncode != 0
    assert "refuses to serve settings with DEBUG on or the development" in done.stderr
    debug = _run(["-c", "import config.wsgi"], {**env, "TAIZHANG_DEBUG": "1"})
    assert debug.returncode != 0
    asked = _run(["-c", "import config.wsgi"], {**env, "TAIZHANG_DEV": "1"})
    assert asked.returncode == 0, asked.stderr[-2000:]
