from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from taizhang.core.actors import SYSTEM
from taizhang.problems.services import problem_escalate_overdue


class Command(BaseCommand):
    help = "Escalate problems past their deadline to their linked leader (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = problem_escalate_overdue(acting_user=SYSTEM)
        self.stdout.write(f"Escalated {len(ids)} overdue problem(s).")
