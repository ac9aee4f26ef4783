"""``make run`` signs its audit chain with a key of its own, generated into ``var/`` on
first start with owner-only permissions, never the published development key (issue 19)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({'audit': settings.AUDIT_KEYS, 'secret': settings.SECRET_KEY}))"
)


def _settings_of(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAIZHANG_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        TAIZHANG_VAR_DIR=str(var_dir),
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_keys_are_generated_per_checkout_and_kept(tmp_path):
    from config.settings.base import AUDIT_DEVELOPMENT_KEY

    first = _settings_of(tmp_path / "a")
    again = _settings_of(tmp_path / "a")
    other = _settings_of(tmp_path / "b")
    key = first["audit"]["1"]
    assert key == again["audit"]["1"]  # kept across starts
    assert key != other["audit"]["1"]  # each checkout its own
    assert key != AUDIT_DEVELOPMENT_KEY and len(key) >= 40
    assert first["secret"] not in ("dev-only-insecure-key-change-me", other["secret"])
    for name in ("audit.key", "secret.key"):
        mode = stat.S_IMODE((tmp_path / "a" / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
