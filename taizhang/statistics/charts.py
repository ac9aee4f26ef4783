"""Charts as inline SVG geometry, computed on the server: no script, no network."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    text: str
    x: float
    y: float
    width: float
    height: float
    href: str = ""
    title: Any = ""


def column_chart(
    points: list[tuple[str, Decimal, str, str]], *, width: int = 640, height: int = 180
) -> dict[str, Any]:
    """Vertical bars for a trend: ``points`` are (label, value, printed value, link)."""
    top = max((value for _l, value, _t, _h in points), default=Decimal(0)) or Decimal(1)
    plot = height - 36
    step = width / max(len(points), 1)
    bars = []
    for index, (label, value, text, href) in enumerate(points):
        bar_height = float(value / top) * plot if value > 0 else 0.0
        bars.append(
            Bar(
                label=label,
                value=value,
                text=text,
                x=round(index * step + step * 0.15, 1),
                y=round(16 + plot - bar_height, 1),
                width=round(step * 0.7, 1),
                height=round(bar_height, 1),
                href=href,
            )
        )
    return {"bars": bars, "width": width, "height": height, "baseline": 16 + plot}


def share_bars(rows: list[tuple[Any, Decimal, str, str]]) -> list[dict[str, Any]]:
    """Horizontal bars as percentages of the largest value: (label, value, text, link)."""
    top = max((value for _l, value, _t, _h in rows), default=Decimal(0)) or Decimal(1)
    return [
        {
            "label": label,
            "value": value,
            "text": text,
            "href": href,
            "percent": round(float(value / top) * 100, 1) if value > 0 else 0,
        }
        for label, value, text, href in rows
    ]
