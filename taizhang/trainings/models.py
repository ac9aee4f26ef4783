"""Training classes (培训班): curriculum, enrollment, check-in, reflections, 结业.

A class belongs to its organizer (``org``). Completion follows the rule stored on the
class (``min_attendance_pct`` of the sessions and, when ``reflection_required``, a
submitted reflection); ``trainings.services.training_class_complete`` applies it once
and records each trainee's outcome, so the graduate list does not shift later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TrainingSeries(models.Model):
    """A training series (培训系列, e.g. 网格员业务能力培训班) of one organizer: its
    classes are numbered within it (两个系列各有第1期), against a plan of classes and
    trainees across the series."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="training_series",
    )
    title = models.CharField(_("series title"), max_length=120)
    planned_classes = models.PositiveIntegerField(_("planned number of classes"))
    planned_trainees = models.PositiveIntegerField(_("planned number of trainees (person-times)"))
    description = models.TextField(_("series description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("training series")
        verbose_name_plural = _("training series")
        constraints = [
            models.UniqueConstraint(fields=["org", "title"], name="unique_series_title"),
            models.CheckConstraint(
                condition=models.Q(planned_classes__gte=1), name="series_plans_a_class"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("trainings:series", args=[self.pk])

    # Percentages of the plan on a list annotated by ``selectors.training_series_list(on=)``.
    @property
    def classes_pct(self) -> int:
        held = getattr(self, "held_count", 0)
        return min(100, held * 100 // self.planned_classes) if self.planned_classes else 0

    @property
    def trainees_pct(self) -> int:
        done = getattr(self, "held_trainees", 0)
        return min(100, done * 100 // self.planned_trainees) if self.planned_trainees else 0


class TrainingClass(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="training_classes",
    )
    # A class of a series is numbered within the series; one without keeps the
    # organizer's own numbering.
    series = models.ForeignKey(
        TrainingSeries,
        verbose_name=_("training series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
    )
    number = models.PositiveIntegerField(_("class number (期次)"))
    title = models.CharField(_("class title"), max_length=160)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    venue = models.CharField(_("training venue"), max_length=160, blank=True)
    capacity = models.PositiveIntegerField(_("planned number of trainees"))
    min_attendance_pct = models.PositiveSmallIntegerField(_("minimum attendance (%)"), default=80)
    reflection_required = models.BooleanField(_("reflection required"), default=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # A 结业 entered afterwards (补录): its graduate list was decided outside taizhang,
    # on ``completed_on``; the reason says where it comes from.
    completion_late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-number"]
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "number"],
                condition=models.Q(series__isnull=True),
                name="unique_class_number",
            ),
            models.UniqueConstraint(
                fields=["series", "number"],
                condition=models.Q(series__isnull=False),
                name="unique_series_class_number",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="class_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(min_attendance_pct__lte=100), name="class_pct_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}期{self.title}"

    def get_absolute_url(self) -> str:
        return reverse("trainings:detail", args=[self.pk])

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def is_completed(self) -> bool:
        return self.completed_on is not None


class ClassQuota(models.Model):
    """How many trainees an organization (and its subtree) may send to a class."""

    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="quotas"
    )
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("sending organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    quota = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("class places")
        verbose_name_plural = _("class places")
        ordering = ["training_class_id", "org__path"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "org"], name="unique_class_quota")
        ]

    def __str__(self) -> str:
        return f"{self.org_id}: {self.quota}"


class SessionKind(models.TextChoices):
    LECTURE = "lecture", _("Thematic lecture")
    SITE = "site", _("On-site teaching")
    DISCUSSION = "discussion", _("Group discussion")
    EXCHANGE = "exchange", _("Exchange of experience")
    WRITING = "writing", _("Reflection writing")


class TrainingSession(models.Model):
    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("session type"), max_length=12, choices=SessionKind.choices)
    title = models.CharField(_("session title"), max_length=160)
    speaker = models.ForeignKey(
        "people.Person",
        verbose_name=_("lecturer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    speaker_note = models.CharField(_("lecturer's affiliation"), max_length=80, blank=True)
    day = models.DateField(_("session day"))
    start_time = models.TimeField(_("session starts at"))
    end_time = models.TimeField(_("session ends at"))
    location = models.CharField(_("session location"), max_length=120, blank=True)

    class Meta:
        ordering = ["day", "start_time", "pk"]
        verbose_name = _("training session")

    def __str__(self) -> str:
        return self.title


class Enrollment(models.Model):
    training_class = models.ForeignKey(
        TrainingClass, on_delete=models.CASCADE, related_name="enrollments"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("trainee"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    enrolled_on = models.DateField(_("enrolled on"))
    # Set by 结业 only: None until the class is completed.
    graduated = models.BooleanField(_("graduated"), null=True, blank=True)
    attendance_pct = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["training_class_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "person"], name="unique_enrollment")
        ]
        indexes = [models.Index(fields=["person", "training_class"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.training_class_id}"


class CheckIn(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="checkins")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="checkins")
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(fields=["session", "enrollment"], name="unique_checkin")
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}@{self.session_id}"


class Reflection(models.Model):
    """A trainee's written 心得体会, submitted and then read by the organizer."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, related_name="reflection"
    )
    title = models.CharField(_("reflection title"), max_length=160)
    text = models.TextField(_("reflection text"))
    submitted_on = models.DateField(_("reflection submitted on"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(_("reader's comment"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reflection")

    def __str__(self) -> str:
        return self.title
