"""``taizhang ingest report FILE [--json] [--year Y] [--no-match]``: the drafts a written
report would give, printed without writing anything.

``taizhang ingest evaluate``: precision, recall and F1 per kind against the gold
annotations in ``taizhang/extraction/tests/data`` (and the sample reports when present).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from taizhang.extraction.extract import extract
from taizhang.extraction.labels import DRAFT_KINDS, SECTIONS


class Command(BaseCommand):
    help = "Extract draft records from a written report (report), or score the rules (evaluate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["report", "evaluate"])
        parser.add_argument("file", nargs="?", help="the report: a UTF-8 text file")
        parser.add_argument("--json", action="store_true", help="print the drafts as JSON")
        parser.add_argument(
            "--year", type=int, help="the report's year when its text has no dateline"
        )
        parser.add_argument(
            "--no-match", action="store_true", help="do not match organizations to the tree"
        )
        parser.add_argument(
            "--per-report", action="store_true", help="evaluate: a line per report too"
        )

    def handle(self, *args: Any, action: str, file: str | None, **options: Any) -> None:
        if action == "evaluate":
            self._evaluate(per_report=options["per_report"])
            return
        if not file:
            raise CommandError("ingest report needs the report's file")
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        index = None
        if not options["no_match"]:
            from django.db import DatabaseError

            from taizhang.extraction.organizations import tree_index

            try:
                index = tree_index()
            except DatabaseError as error:
                raise CommandError(
                    f"The organization tree cannot be read ({error}); migrate the database "
                    "or pass --no-match"
                ) from error
        result = extract(text, year=options["year"], index=index)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
            return
        for key in ("persons", "organizations", "projects", "money", "dates", "events", "figures"):
            self.stdout.write(f"{SECTIONS[key]}: {len(result[key])}")
        for draft in result["drafts"]:
            label = DRAFT_KINDS.get(draft["kind"], draft["kind"])
            fields = json.dumps(draft["fields"], ensure_ascii=False)
            self.stdout.write(f"- {label}: {fields}\n    « {draft['sentence']} »")
        self.stdout.write(
            _("%(count)s sentences in %(seconds)s s")
            % {"count": result["meta"]["sentences"], "seconds": result["meta"]["seconds"]}
        )

    def _evaluate(self, *, per_report: bool) -> None:
        from taizhang.extraction.evaluation import KINDS, evaluate

        evaluation = evaluate()
        self.stdout.write(evaluation.table())
        if per_report:
            for name, scores in evaluation.per_case.items():
                cells = " ".join(f"{kind}={scores[kind].f1:.2f}" for kind in KINDS)
                self.stdout.write(f"{name}: {cells}")
