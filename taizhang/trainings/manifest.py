"""What the trainings module registers: functions, navigation and metrics."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.core.registry import (
    Metric,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
)
from taizhang.trainings.models import Enrollment, TrainingClass
from taizhang.trainings.permissions import MANAGE, POLICIES, TRAINING_CLASS

register_permission("trainings.view", _("View training classes and trainees' records"))
register_permission("trainings.manage", _("Run training classes: curriculum, enrollment, 结业"))
grant_to_roles("trainings.view", "clerk", "secretary", "leader", "viewer", "personnel")
grant_to_roles("trainings.manage", "clerk", "personnel")

for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Training classes"), "trainings:list", "trainings.view", order=55)

register_metric(
    Metric(
        name="trainings.classes",
        sentence=_("ran {value} training classes"),
        label=_("Training classes held"),
        unit=_("classes"),
        queryset=lambda: TrainingClass.objects.all(),
        org_field="org",
        date_field="start_date",
        permission="trainings.view",
        definition=_("Count of training classes, dated by their first day, at the organizer."),
    )
)
# The classes of a series, a part of the classes: 举办培训班12期（其中系列培训班8期）.
register_metric(
    Metric(
        name="trainings.series_classes",
        sentence=_("{value} in training series"),
        label=_("Classes of training series"),
        unit=_("classes"),
        queryset=lambda: TrainingClass.objects.filter(series__isnull=False),
        org_field="org",
        date_field="start_date",
        permission="trainings.view",
        definition=_(
            "Count of training classes that belong to a training series (培训系列), dated "
            "by their first day, at the organizer; a part of the training classes held."
        ),
        part_of="trainings.classes",
    )
)
register_metric(
    Metric(
        name="trainings.trainees",
        sentence=_("training {value}"),
        label=_("Trainees enrolled"),
        unit=_("person-times"),
        queryset=lambda: Enrollment.objects.all(),
        org_field="training_class__org",
        date_field="training_class__start_date",
        permission="trainings.view",
        definition=_(
            "Count of enrollments (one person in one class), dated by the class's "
            "first day, at the organizer. A person in two classes counts twice."
        ),
    )
)
register_metric(
    Metric(
        name="trainings.graduates",
        sentence=_("{value} graduated"),
        label=_("Trainees graduated"),
        unit=_("person-times"),
        queryset=lambda: Enrollment.objects.filter(graduated=True),
        org_field="training_class__org",
        date_field="training_class__completed_on",
        permission="trainings.view",
        definition=_(
            "Count of enrollments that passed the class's completion rule at 结业, "
            "dated by the day the class was completed, at the organizer."
        ),
    )
)


def _classes_to_run(viewer: Actor | None, user: Any) -> dict[str, Any] | None:
    """On the home page: open classes the viewer runs (not yet completed)."""
    if viewer is None or not viewer.is_authenticated or not viewer.has_function(MANAGE):
        return None
    classes = list(
        TRAINING_CLASS.queryset(viewer, MANAGE)
        .filter(completed_on__isnull=True)
        .select_related("org")
        .order_by("start_date")[:5]
    )
    return {"classes": classes} if classes else None


register_slot("core.home", "trainings/_home_classes.html", _classes_to_run, order=55)


def _person_trainings(viewer: Actor | None, person: Any) -> dict[str, Any] | None:
    """On the person page: the classes the person enrolled in, with the outcome, only
    those whose organizer the viewer sees."""
    from taizhang.trainings.permissions import ENROLLMENT, VIEW

    if viewer is None or not viewer.is_authenticated or not viewer.has_function(VIEW):
        return None

    enrollments = list(
        ENROLLMENT.queryset(viewer)
        .filter(person=person)
        .select_related("training_class__org")
        .order_by("-training_class__start_date", "-pk")[:10]
    )
    return {"enrollments": enrollments} if enrollments else None


register_slot("people.person_detail", "trainings/_person_trainings.html", _person_trainings)

# Excel: the class ledger and the rosters; each export writes the columns its import reads.
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.trainings.exports import CLASS_EXPORT, ROSTER_EXPORT  # noqa: E402
from taizhang.trainings.imports import CLASS_IMPORTER, ROSTER_IMPORTER  # noqa: E402

for _export in (CLASS_EXPORT, ROSTER_EXPORT):
    register_export(_export)
for _importer in (CLASS_IMPORTER, ROSTER_IMPORTER):
    register_importer(_importer)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "enrollment": _("Trainee"),
    },
    object_type="trainings.reflection",
)
register_audit_fields(
    {
        "enrolled": _("Trainees enrolled"),
        "graduates": _("Graduates"),
        "quota": _("Places"),
        "rule": _("Completion rule"),
    },
    object_type="trainings.trainingclass",
)

register_audit_fields(
    {
        "checked_in": _("Checked in"),
    },
    object_type="trainings.trainingsession",
)

register_audit_fields(
    {
        "trainees": _("Trainees"),
    },
    object_type="trainings.trainingclass",
)

register_audit_fields(
    {
        "training_class": _("Training class"),
    },
    object_type="trainings.trainingsession",
)
