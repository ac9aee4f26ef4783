"""The "Done means" script of issue 17 runs end to end, so CI keeps it working: its
``run`` against pytest-django's ``live_server`` over the parts of the demo district it
relies on (the tree, its people, the personas, the demand categories and their routing:
the whole demo costs a minute more). The script's own default, a temporary
``runserver`` on a fresh SQLite database with the whole demo, is run by hand
(docs/integrations.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "integration_demo.py"


def _script():
    spec = importlib.util.spec_from_file_location("integration_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


# The demo modules the script needs, in the demo's order.
NEEDED = ("organizations", "people", "accounts", "demands")


def test_the_integration_demo_passes_every_step(live_server, no_proxy, capsys, monkeypatch):
    from taizhang.core import demo

    everything = demo.demo_modules()
    monkeypatch.setattr(
        demo,
        "demo_modules",
        lambda: [m for m in everything if m.__name__.split(".")[1] in NEEDED],
    )
    demo.load_demo()
    script = _script()
    script.run(live_server.url)
    printed = capsys.readouterr().out
    for text in ("First full pull", "Second pull", "tombstone", "Open311", "12345", "办结"):
        assert text in printed


def test_a_failed_step_is_a_non_zero_exit(live_server, no_proxy, capsys):
    """A server without the demo district: the first step fails and main says so."""
    assert _script().main(["--url", live_server.url]) == 1
    assert "FAILED" in capsys.readouterr().err
