"""``taizhang restore FILE``: put a backup back into an empty database, then check it
with the manifest's row counts, ``audit verify`` and ``stats check``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taizhang.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `taizhang backup` into the configured database, "
        "which must be empty (new, or only migrated), and its media directory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args: Any, archive: Path, **options: Any) -> None:
        try:
            report = restore_backup(archive, say=self.stdout.write)
        except BackupError as error:
            raise CommandError(f"Restore refused: {error}") from error
        if not report.ok:
            raise CommandError(
                f"Restore FAILED its checks ({len(report.problems)}): "
                + " | ".join(report.problems)
            )
        self.stdout.write(self.style.SUCCESS("Restore complete and verified."))
