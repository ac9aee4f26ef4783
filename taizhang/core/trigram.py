"""Trigram indexes for the searches of names, titles and topics (issue 20).

Django's ``icontains`` on PostgreSQL is ``UPPER(col::text) LIKE UPPER('%q%')``: a
B-tree cannot serve it, a ``pg_trgm`` GIN index on ``UPPER(col)`` can (also for Chinese
text, whose characters are trigram units like any other). A module's migration adds
its indexes with ``trigram_indexes``; it does nothing on SQLite, and on PostgreSQL it
first creates the extension when the role may. When the role may not (a managed
database without the extension), the migration says so and leaves the searches to scan,
and ``taizhang check --database default`` warns (``trigram_check``); migrating again
once the extension is there adds the indexes (the next trigram migration, or
``migrate <module> <previous>`` then ``migrate``).

SQLite keeps its scan: an FTS5 trigram table per searched column (SQLite 3.34 and
later) would need triggers to stay current and a different query than ``icontains``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connections, migrations, transaction

logger = logging.getLogger("taizhang.search")


def _has_extension(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def _ensure_extension(schema_editor: Any) -> bool:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if _has_extension(cursor):
            return True
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as inner:
                inner.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:  # noqa: BLE001 - any refusal means "not available"
            message = (
                "pg_trgm is not available to this database role "
                f"({type(error).__name__}): name and title searches will scan their "
                "tables. Ask the database administrator to run CREATE EXTENSION pg_trgm, "
                "then migrate again."
            )
            logger.warning(message)
            sys.stderr.write(message + "\n")
            return False
    return True


def trigram_indexes(*indexes: tuple[str, str, str]) -> migrations.RunPython:
    """A migration operation adding a GIN trigram index on ``UPPER(column)`` for each
    (table, column, index name), on PostgreSQL only; reversible."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        if not _ensure_extension(schema_editor):
            return
        for table, column, name in indexes:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
                f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            )

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for _table, _column, name in indexes:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forward, backward, elidable=False)


def available(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database has pg_trgm (SQLite: no trigram indexes, by design)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return _has_extension(cursor)


@checks.register(checks.Tags.database)
def trigram_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """``taizhang check --database default``: warn when searches cannot use an index."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql" or available():
        return []
    return [
        checks.Warning(
            "pg_trgm is not installed: name and title searches scan their tables.",
            hint="Run CREATE EXTENSION pg_trgm as a superuser (or let the migrating role "
            "create it), then migrate again: the trigram indexes are added then.",
            id="taizhang.W020",
        )
    ]
