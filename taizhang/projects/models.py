"""The key-project ledger (重点项目台账): projects, their stages, schedule and progress.

Money is integer yuan (``BigIntegerField``); areas and capacities are ``Decimal``.
``stage`` and every ``StageChange`` are written by ``services.py`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.formatting import MAX_YUAN
from taizhang.core.models import Accountable


class Category(models.TextChoices):
    INDUSTRY = "industry", _("Industry")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    LIVELIHOOD = "livelihood", _("Public welfare")
    ECOLOGY = "ecology", _("Ecology")
    URBAN_RENEWAL = "urban_renewal", _("Urban renewal")
    SOCIAL = "social", _("Social services")


class Stage(models.IntegerChoices):
    """Stages in their order; the values sort, so "later than" is a plain comparison."""

    PLANNING = 10, _("Planning")
    PRELIMINARY = 20, _("Preliminary work")
    SIGNED = 30, _("Signed")
    LAND = 40, _("Land supplied")
    STARTED = 50, _("Groundbreaking")
    CONSTRUCTION = 60, _("Main construction")
    COMPLETED = 70, _("Completed")
    OPERATING = 80, _("In operation")


class MajorLevel(models.TextChoices):
    """重大项目: the level that lists a project among its major projects (issue 15)."""

    PROVINCE = "province", _("Provincial major project")
    CITY = "city", _("Municipal major project")
    DISTRICT = "district", _("District major project")


class StartBatch(models.Model):
    """集中开工: a dated event at which several projects break ground together
    (“第四批重大项目集中开工”). Its organizer (``org``, usually the district) holds it; the
    projects that join it keep their own organizations and are counted there."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organizer"),
        on_delete=models.PROTECT,
        related_name="start_batches",
    )
    name = models.CharField(_("batch name"), max_length=160)
    held_on = models.DateField(_("date of the groundbreaking"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("groundbreaking batch")
        verbose_name_plural = _("groundbreaking batches")
        indexes = [models.Index(fields=["org", "held_on"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:batch_detail", args=[self.pk])


class Project(Accountable):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("owning organization"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    name = models.CharField(_("project name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    major_level = models.CharField(
        _("major project level"), max_length=10, choices=MajorLevel.choices, blank=True
    )
    location = models.CharField(_("location"), max_length=120, blank=True)
    total_investment = models.BigIntegerField(
        _("total investment (yuan)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_YUAN)],
    )
    plan_year = models.PositiveSmallIntegerField(
        _("plan year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1949), MaxValueValidator(2100)],
    )
    annual_planned_investment = models.BigIntegerField(
        _("annual planned investment (yuan)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_YUAN)],
    )
    # The sum of ProjectMonth.completed, kept by the services that write months.
    completed_investment = models.BigIntegerField(
        _("completed investment (yuan)"), default=0, editable=False
    )
    building_area = models.DecimalField(
        _("building area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    land_area = models.DecimalField(
        _("land (mu)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    capacity = models.DecimalField(
        _("capacity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    capacity_unit = models.CharField(_("capacity unit"), max_length=20, blank=True)
    expected_jobs = models.PositiveIntegerField(_("expected jobs"), null=True, blank=True)
    description = models.TextField(pgettext_lazy("project", "description"), blank=True)
    stage = models.PositiveSmallIntegerField(
        _("stage"), choices=Stage.choices, default=Stage.PLANNING, editable=False
    )
    stage_since = models.DateField(_("in this stage since"), editable=False)
    created_at = models.DateTimeField(
        _("put on the ledger at"), default=timezone.now, editable=False
    )
    start_batch = models.ForeignKey(
        StartBatch,
        verbose_name=_("groundbreaking batch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="projects",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-total_investment", "pk"]
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        indexes = [
            models.Index(fields=["org", "stage"]),
            models.Index(fields=["linked_leader"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_investment__gte=0)
                & models.Q(annual_planned_investment__gte=0),
                name="project_money_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])


class StagePlan(models.Model):
    """The planned and actual date of one stage of one project (计划/实际节点)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plans")
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    planned_on = models.DateField(_("planned date"), null=True, blank=True)
    actual_on = models.DateField(_("actual date"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage plan")
        verbose_name_plural = _("stage plans")
        ordering = ["project_id", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["project", "stage"], name="unique_project_stage_plan")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.stage}"


class StageChange(models.Model):
    """One dated move between stages; a move back carries its reason."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.PositiveSmallIntegerField(choices=Stage.choices, null=True, blank=True)
    to_stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    changed_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # 补录: a past move entered afterwards (an imported ledger, a clerk catching up), and why.
    late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["project_id", "changed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.from_stage}->{self.to_stage}"

    @property
    def is_backward(self) -> bool:
        return self.from_stage is not None and self.to_stage < self.from_stage


class ProjectMonth(models.Model):
    """Investment completed in one month (``period`` is the first day of the month)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="months")
    period = models.DateField(_("month"))
    completed = models.BigIntegerField(_("completed investment (yuan)"), default=0)

    class Meta:
        verbose_name = _("monthly plan")
        verbose_name_plural = _("monthly plans")
        ordering = ["project_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="unique_project_month")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.period:%Y-%m}"


class ProgressReport(models.Model):
    """A dated progress entry (进展) by the responsible person."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    reported_on = models.DateField(_("date"))
    reporter = models.ForeignKey(
        "people.Person",
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("progress"))
    completed_investment = models.BigIntegerField(_("investment completed (yuan)"), default=0)
    stage_change = models.OneToOneField(
        StageChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="report"
    )
    # 补录: progress of a past day entered afterwards, and why.
    late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-reported_on", "-pk"]
        indexes = [models.Index(fields=["project", "reported_on"])]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.reported_on}"


class Evidence(models.Model):
    """A file attached to a progress report (photo, minutes, permit)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="projects/evidence/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
