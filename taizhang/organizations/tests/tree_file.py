"""A generated org chart as an import file: for the tests and the 50,000-unit bench."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from taizhang.organizations.imports import FIELDS
from taizhang.organizations.models import OrgKind

# Kinds by level below the parent the tree hangs from; all of them nest freely.
LEVEL_KINDS = (
    OrgKind.COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.GRID,
    OrgKind.BUILDING,
    OrgKind.BRANCH,
    OrgKind.BRANCH,
)


def tree_rows(
    count: int, *, parent_code: str, fanout: int = 8, prefix: str = "N"
) -> list[dict[str, Any]]:
    """``count`` new units below ``parent_code``, ``fanout`` children each, parents first."""
    rows: list[dict[str, Any]] = []
    level = [(parent_code, -1)]
    while len(rows) < count:
        below: list[tuple[str, int]] = []
        for parent, depth in level:
            for _ in range(fanout):
                if len(rows) >= count:
                    break
                code = f"{prefix}{len(rows) + 1}"
                rows.append(
                    {
                        "code": code,
                        "parent_code": parent,
                        "name": f"生成单位{len(rows) + 1}党组织",
                        "short_name": f"生成单位{len(rows) + 1}",
                        "kind": LEVEL_KINDS[(depth + 1) % len(LEVEL_KINDS)].label,
                    }
                )
                below.append((code, depth + 1))
        level = below
    return rows


def tree_file(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a plain sheet (header row, then data), as Excel saves one: with its
    dimension, which openpyxl's write-only mode leaves out (a reader then scans the
    whole sheet once more to learn its size)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    columns = [f for f in FIELDS if not f.readonly]
    sheet.append([f.title for f in columns])
    for row in rows:
        sheet.append([str(row.get(f.key, "")) for f in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
