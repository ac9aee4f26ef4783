"""Template helpers shared by every module: Chinese number formatting and slots."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from taizhang.core import formatting
from taizhang.core.registry import SLOTS

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """``1377000000`` → ``13.77亿元``; see ``core.formatting.format_yuan``."""
    return formatting.format_yuan(value)


@register.filter
def wan_yuan(value: Any) -> str:
    """An amount already kept in 万元: ``97000`` → ``9.7亿元``."""
    return formatting.format_wan_yuan(value)


@register.filter
def approx(value: Any, unit: str = "") -> str:
    """``7012`` → ``7000余``; ``17342, "人"`` → ``1.7万余人``."""
    return formatting.approximate(value, unit)


@register.simple_tag(takes_context=True)
def slot(context: Any, name: str, obj: Any) -> SafeString:
    """Render the panels other modules registered for ``name`` (see ``Slot``)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    parts = []
    for entry in SLOTS.get(name, []):
        extra = entry.provider(viewer, obj)
        if extra is None:
            continue
        parts.append(render_to_string(entry.template, {**extra, "obj": obj}, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates are autoescaped


@register.filter
def change(value: Any) -> str:
    """An audit diff entry ``[old, new]`` as ``old → new``; other values as they are."""
    if isinstance(value, list) and len(value) == 2:
        old, new = ("—" if v in (None, "", []) else v for v in value)
        return f"{old} → {new}"
    return str(value)
