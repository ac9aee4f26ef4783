"""Extract each module's UI strings into its zh_Hans catalogue, then compile them.

Msgids are English; every module keeps ``taizhang/<module>/locale/zh_Hans/LC_MESSAGES/
django.po``. After running this, fill the empty ``msgstr`` entries (a test fails on any
untranslated or fuzzy entry) and run it again to compile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    python = sys.executable
    only = set(sys.argv[1:])
    for module_dir in sorted((ROOT / "taizhang").iterdir()):
        if not (module_dir / "apps.py").exists() or (only and module_dir.name not in only):
            continue
        (module_dir / "locale").mkdir(exist_ok=True)
        subprocess.run(  # noqa: S603
            [
                python,
                "-P",
                "-m",
                "django",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "--no-location",
                "-i",
                "tests/*",
                "-i",
                "migrations/*",
            ],
            cwd=module_dir,
            env={**env, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        subprocess.run(  # noqa: S603
            [python, "-P", "-m", "django", "compilemessages", "-l", "zh_Hans"],
            cwd=module_dir,
            env={**env, "PYTHONPATH": str(ROOT)},
            check=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
