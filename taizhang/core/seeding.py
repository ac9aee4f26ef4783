"""Default dictionary rows (activity kinds, problem kinds...) that every database needs.

A module lists its defaults as ``(code, name, sort_order)`` rows and calls
``seed_after_migrate`` from its ``AppConfig.ready``. The rows are created after every
``migrate`` and after every flush that emits ``post_migrate`` (transactional tests), so
a dictionary is never found empty; existing rows, including administrators' edits, are
left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

DictionaryRows = Sequence[tuple[str, str, int]]


def seed_dictionary(model: Any, rows: DictionaryRows, *, using: str = "default") -> int:
    """Create the rows whose code is missing; return how many were created."""
    existing = set(model.objects.using(using).values_list("code", flat=True))
    missing = [
        model(code=code, name=name, sort_order=order)
        for code, name, order in rows
        if code not in existing
    ]
    model.objects.using(using).bulk_create(missing)
    return len(missing)


def seed_after_migrate(app_config: AppConfig, seeds: dict[str, DictionaryRows]) -> None:
    """Seed ``{model_name: rows}`` of ``app_config`` after each migrate of that app."""

    def handler(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
        for model_name, rows in seeds.items():
            seed_dictionary(app_config.get_model(model_name), rows, using=using)

    post_migrate.connect(
        handler, sender=app_config, weak=False, dispatch_uid=f"taizhang-seed-{app_config.label}"
    )
