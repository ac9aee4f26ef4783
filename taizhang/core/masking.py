"""Masking of personal data for display to users without the personal-data right."""

from __future__ import annotations


def mask_mobile(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    value = (value or "").strip()
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_id_number(value: str) -> str:
    """Keep the region's first 4 and the last 4 characters of an ID number."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
