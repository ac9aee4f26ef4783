"""Personal data at rest (ADR 0058): keys, status and rotation."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, router, transaction
from django.db.models import Model

from taizhang.core import crypto
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record


def encrypted_models() -> list[type[Model]]:
    """Every model with an encrypted column."""
    return [
        model
        for model in apps.get_models()
        if any(isinstance(f, crypto.EncryptedCharField) for f in model._meta.concrete_fields)
    ]


def column_status(model: type[Model]) -> dict[str, dict[str, int]]:
    """Per encrypted column: rows in plaintext (legacy), per key version, and tokens of a
    version no longer configured. Counted in SQL, so a million rows are not read."""
    connection = connections[router.db_for_read(model)]
    quote = connection.ops.quote_name
    versions = list(crypto.data_keys())
    status: dict[str, dict[str, int]] = {}
    for field in model._meta.concrete_fields:
        if not isinstance(field, crypto.EncryptedCharField):
            continue
        column = quote(field.column)
        cases = [f"SUM(CASE WHEN {column} <> '' AND {column} NOT LIKE 'enc:%' THEN 1 ELSE 0 END)"]
        cases += [f"SUM(CASE WHEN {column} LIKE 'enc:{v}:%' THEN 1 ELSE 0 END)" for v in versions]
        cases.append(f"SUM(CASE WHEN {column} LIKE 'enc:%' THEN 1 ELSE 0 END)")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(cases)} FROM {quote(model._meta.db_table)}")  # noqa: S608 - quoted names
            row = [int(n or 0) for n in cursor.fetchone()]
        counts = {"plaintext": row[0]}
        counts.update({f"key {v}": n for v, n in zip(versions, row[1:-1], strict=True)})
        counts["unknown key"] = row[-1] - sum(row[1:-1])
        status[field.name] = counts
    return status


class Command(BaseCommand):
    help = (
        "Personal data encrypted at rest (ADR 0058). 'genkey' prints a new data key; "
        "'status' counts, per encrypted column, the rows in plaintext and under each key "
        "version; 'rotate' rewrites every row under the current (first) key and cipher with "
        "fresh keyed hashes: run it after adding a key version to TAIZHANG_DATA_KEYS, after "
        "changing TAIZHANG_DATA_CIPHER, or after loading rows by SQL. It is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["genkey", "status", "rotate"])
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "genkey":
            self.stdout.write(crypto.generate_key())
            return
        keys = crypto.data_keys()
        if action == "status":
            self.stdout.write(
                f"cipher {crypto.current_cipher()}, current key version {next(iter(keys))}, "
                f"configured versions {', '.join(map(str, keys))}"
            )
            for model in encrypted_models():
                for name, counts in column_status(model).items():
                    shown = ", ".join(f"{k} {n}" for k, n in counts.items())
                    self.stdout.write(f"{model._meta.label_lower}.{name}: {shown}")
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        written: dict[str, int] = {}
        try:
            for model in encrypted_models():
                written[model._meta.label_lower] = crypto.reencrypt(
                    model, batch_size=options["batch_size"]
                )
        except crypto.PersonalDataUnreadable as error:
            raise CommandError(str(error)) from error
        with transaction.atomic():
            audit_record(
                actor=SYSTEM,
                action="personal_data.rotate",
                object_type="personal_data",
                changes={
                    "key_version": next(iter(keys)),
                    "cipher": crypto.current_cipher(),
                    "rows": written,
                },
            )
        for label, count in written.items():
            self.stdout.write(f"{label}: {count} rows rewritten")
