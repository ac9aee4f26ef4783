"""deploy/ and docs/deploy.md agree: every file shown exists, every setting is documented,
every scheduled job runs a real command. (scripts/try-deploy.sh runs the files for real.)
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOC = (ROOT / "docs" / "deploy.md").read_text()


def _documented_variables() -> set[str]:
    table = [line for line in DOC.splitlines() if line.startswith("| `TAIZHANG_")]
    return {re.match(r"\| `(TAIZHANG_\w+)`", line).group(1) for line in table}


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def test_every_deploy_file_the_guide_names_exists():
    """No dangling reference from docs/deploy.md into deploy/."""
    named = set(re.findall(r"(?<![\w/])deploy/[\w./*-]+", DOC))
    assert named
    for name in named:
        matches = list(ROOT.glob(name.rstrip(".")))
        assert matches, f"docs/deploy.md names {name}, which is not in the repository"


def test_every_setting_read_from_the_environment_is_in_the_table():
    """prod.py and gunicorn.conf.py read nothing the table does not explain, and back."""
    sources = [ROOT / "config/settings/prod.py", DEPLOY / "gunicorn.conf.py"]
    read = set()
    for source in sources:
        read |= set(re.findall(r"\"(TAIZHANG_[A-Z_]+)\"", source.read_text()))
    documented = _documented_variables()
    base_only = {
        "TAIZHANG_VAR_DIR",
        "TAIZHANG_AUDIT_KEYS",
        "TAIZHANG_DATA_KEYS",
        "TAIZHANG_DATA_CIPHER",
        "TAIZHANG_DATABASE_URL",
        "TAIZHANG_AUDIT_RETENTION_DAYS",
    }
    assert read - documented == set()
    assert documented - read - base_only == set()


def test_the_environment_file_only_sets_documented_variables():
    keys = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "taizhang.env").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {"TAIZHANG_SECRET_KEY", "TAIZHANG_AUDIT_KEYS", "TAIZHANG_DATABASE_URL"} <= keys
    assert keys - _documented_variables() == set()


def test_every_timer_starts_a_service_that_runs_a_real_command():
    """Each taizhang-*.timer has its .service; each ExecStart names a management command."""
    timers = sorted((DEPLOY / "systemd").glob("taizhang-*.timer"))
    assert {t.stem for t in timers} >= {
        "taizhang-stats-refresh",
        "taizhang-problems-escalate",
        "taizhang-clearsessions",
    }
    commands = get_commands()
    for timer in timers:
        assert _unit(timer)["Timer"]["OnCalendar"]
        service = _unit(timer.with_suffix(".service"))["Service"]
        assert service["EnvironmentFile"] == "/etc/taizhang/taizhang.env"
        assert service["Type"] == "oneshot"
        program, name, *_ = service["ExecStart"].split()
        assert program == "/opt/taizhang/.venv/bin/taizhang"
        assert name in commands, f"{timer.name} runs unknown command {name}"


def test_web_unit_runs_gunicorn_with_the_repository_config():
    service = _unit(DEPLOY / "systemd/taizhang.service")["Service"]
    assert service["ExecStart"].endswith("gunicorn -c /opt/taizhang/deploy/gunicorn.conf.py")
    assert service["EnvironmentFile"] == "/etc/taizhang/taizhang.env"
    assert service["User"] == "taizhang"


def test_worker_unit_runs_the_worker_command_with_the_same_environment():
    """Background tasks need a worker beside gunicorn, as the same user with the same env."""
    from django.core.management import get_commands

    service = _unit(DEPLOY / "systemd/taizhang-worker.service")["Service"]
    program, name = service["ExecStart"].split()
    assert program == "/opt/taizhang/.venv/bin/taizhang"
    assert name == "worker" and name in get_commands()
    web = _unit(DEPLOY / "systemd/taizhang.service")["Service"]
    for key in ("EnvironmentFile", "User", "WorkingDirectory", "ReadWritePaths"):
        assert service[key] == web[key], key


def test_gunicorn_config_loads_and_stays_on_localhost(monkeypatch):
    """gunicorn accepts deploy/gunicorn.conf.py; it binds 127.0.0.1 and trusts loopback."""
    from gunicorn.app.base import Application

    for name in ("TAIZHANG_BIND", "TAIZHANG_TRUSTED_PROXIES", "TAIZHANG_WORKERS"):
        monkeypatch.delenv(name, raising=False)

    class Probe(Application):
        def init(self, parser, opts, args):
            return None

        def load(self):
            return None

    probe = Probe.__new__(Probe)
    probe.usage, probe.prog, probe.callable = None, "probe", None
    probe.do_load_config = lambda: None
    probe.load_default_config()
    probe.load_config_from_file(str(DEPLOY / "gunicorn.conf.py"))
    assert probe.cfg.bind == ["127.0.0.1:8000"]
    assert probe.cfg.wsgi_app == "config.wsgi:application"
    assert "127.0.0.1" in probe.cfg.forwarded_allow_ips


def test_nginx_accepts_the_upload_size_taizhang_is_set_up_for():
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "taizhang.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    snippet = (DEPLOY / "nginx/taizhang-locations.conf").read_text()
    size = int(re.search(r"client_max_body_size (\d+)m;", snippet).group(1))
    assert size >= int(env["TAIZHANG_UPLOAD_MAX_MB"])
    for site in ("taizhang.conf", "taizhang-http.conf"):
        text = (DEPLOY / "nginx" / site).read_text()
        assert "include /etc/nginx/snippets/taizhang-locations.conf;" in text
        assert "server 127.0.0.1:8000;" in text
    assert "X-Forwarded-Proto $scheme" in snippet
