"""The scope policies of training classes and enrollments, and ``can``.

A class is seen with ``trainings.view`` on its organizer (``org``) and run with
``trainings.manage`` there: curriculum, quotas, enrollment, check-in, reflections and
结业. Its sessions, quotas, check-ins and reflections are read and written only through
the class. An enrollment (one person in one class) is seen through its class's
organizer, so a trainee's record across classes shows only classes the viewer may see;
the trainee is picked and shown by the one person rule
(``taizhang.people.permissions.PERSON``). Nothing but reading is possible once the
class is completed.
"""

from __future__ import annotations

from taizhang.core.actors import Actor
from taizhang.organizations.policy import ScopePolicy
from taizhang.trainings.models import Enrollment, TrainingClass, TrainingSeries

VIEW = "trainings.view"
MANAGE = "trainings.manage"

TRAINING_CLASS: ScopePolicy[TrainingClass] = ScopePolicy(
    name="trainings.training_class",
    model=TrainingClass,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
ENROLLMENT: ScopePolicy[Enrollment] = ScopePolicy(
    name="trainings.enrollment",
    model=Enrollment,
    view=VIEW,
    manage=MANAGE,
    org_fields=("training_class__org",),
)
# A series (培训系列) is seen and run on its organizer, like its classes.
TRAINING_SERIES: ScopePolicy[TrainingSeries] = ScopePolicy(
    name="trainings.training_series",
    model=TrainingSeries,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
POLICIES = (TRAINING_CLASS, ENROLLMENT, TRAINING_SERIES)
POLICY = TRAINING_CLASS


def can(viewer: Actor | None, action: str, klass: TrainingClass) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    manages = TRAINING_CLASS.covers(viewer, klass, MANAGE)
    if action == "read_reflection":
        return manages
    if action in {"edit", "enroll", "check_in", "submit_reflection", "complete"}:
        return manages and klass.completed_on is None
    return False
