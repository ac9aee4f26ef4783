"""``taizhang backup [--output FILE]``: one consistent archive of the database, the
evidence files and a manifest (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.core.backup import BackupError, create_backup, default_output


class Command(BaseCommand):
    help = (
        "Write one archive (.tar.gz) of the database, the media files and a manifest with "
        "row counts, the audit head and checksums. The audit key is not included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="archive path; default var/backups/taizhang-<UTC time>.tar.gz",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        target = output or default_output()
        try:
            manifest = create_backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        audit = manifest["audit"]
        rows = sum(manifest["database"]["tables"].values())
        self.stdout.write(
            f"{manifest['database']['vendor']} database: {len(manifest['database']['tables'])} "
            f"tables, {rows} rows; audit head #{audit['last_id']} ({audit['count']} events, "
            f"key versions {audit['key_versions']}); {manifest['media']['files']} media files."
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {target}"))
        self.stdout.write(
            "The audit key is not in the archive: keep TAIZHANG_AUDIT_KEYS in escrow."
        )
