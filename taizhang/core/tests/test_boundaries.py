"""Core stands below every module: its code imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

CORE = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_module_above_it() -> None:
    """Not even at call time: upper modules reach core through the registry."""
    above = {f"taizhang.{name}" for name in settings.TAIZHANG_MODULES if name != "core"}
    offending = []
    for path in sorted(CORE.rglob("*.py")):
        if "tests" in path.relative_to(CORE).parts or "migrations" in path.parts:
            continue
        for name in sorted(_imports(path)):
            if any(name == top or name.startswith(f"{top}.") for top in above):
                offending.append(f"{path.relative_to(CORE)}: {name}")
    assert offending == []
