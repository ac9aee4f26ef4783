"""Who may act on a training class (reads are the selectors' business).

Every write on a class (curriculum, quotas, enrollment, check-in, reflections, 结业)
needs ``trainings.manage`` on the class's organizer; nothing but reading is possible
once the class is completed.
"""

from __future__ import annotations

from typing import Any

from taizhang.organizations.scope import scope_for
from taizhang.trainings.models import TrainingClass

MANAGE = "trainings.manage"


def can(viewer: Any, action: str, klass: TrainingClass) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    manages = scope_for(viewer, MANAGE).covers(klass.org)
    if action == "read_reflection":
        return manages
    if action in {"edit", "enroll", "check_in", "submit_reflection", "complete"}:
        return manages and klass.completed_on is None
    return False
