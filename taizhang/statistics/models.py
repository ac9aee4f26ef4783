"""Statistics: pre-aggregated figures, indicators with targets, and briefing snapshots.

Nothing here is a source of truth. ``MonthlyFigure`` rows are derived from the ledgers
(rebuilt by ``taizhang stats refresh``, kept current in the writing transaction by
what services report they changed, ``core.changes``; no model signals); indicators
and briefings point back to the records by metric name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from taizhang.core.formatting import chinese_date, chinese_period
from taizhang.organizations.models import Organization


class MonthlyFigure(models.Model):
    """One additive metric for one organization and month.

    ``own_*`` count the rows booked on the organization itself; ``value`` and ``rows``
    cover its whole subtree, so a dashboard at any level reads one row per month and one
    per child, never the rows below.
    """

    metric = models.CharField(max_length=80)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    own_value = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    own_rows = models.BigIntegerField(default=0)
    value = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    rows = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "org", "month"], name="statistics_figure_metric_org_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.org_id} {self.month:%Y-%m}: {self.value}"


class MetricRefresh(models.Model):
    """When the monthly figures of a metric were last rebuilt from the records."""

    metric = models.CharField(max_length=80, unique=True)
    refreshed_at = models.DateTimeField()
    source_rows = models.BigIntegerField(default=0)
    duration_ms = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("figure refresh")
        verbose_name_plural = _("figure refreshes")

    def __str__(self) -> str:
        return f"{self.metric} @ {self.refreshed_at:%Y-%m-%d %H:%M}"


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class IndicatorSource(models.TextChoices):
    METRIC = "metric", _("Computed from a metric")
    MANUAL = "manual", _("Entered with evidence")


class Indicator(models.Model):
    """An indicator units are ranked on (指标任务): defined by an organization for its
    subtree, with targets per organization and period."""

    owner = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("defined by")
    )
    name = models.CharField(_("indicator"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    source = models.CharField(
        pgettext_lazy("indicator", "source"),
        max_length=10,
        choices=IndicatorSource.choices,
        default=IndicatorSource.METRIC,
    )
    metric = models.CharField(_("metric"), max_length=80, blank=True)
    min_cases = models.PositiveIntegerField(
        _("minimum cases to be ranked"),
        default=3,
        help_text=_("A unit with fewer records in the period is listed but not ranked."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    target = models.DecimalField(_("target"), max_digits=24, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org", "period_start", "period_end"],
                name="statistics_target_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.org_id} {self.period_start}..{self.period_end}"


def evidence_path(instance: IndicatorEntry, filename: str) -> str:
    return f"statistics/evidence/{instance.indicator_id}/{filename}"


class IndicatorEntry(models.Model):
    """A manually entered actual value, with the evidence it rests on."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="entries")
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(_("actual value"), max_digits=24, decimal_places=2)
    cases = models.PositiveIntegerField(_("cases"), default=1)
    evidence = models.TextField(_("evidence"))
    attachment = models.FileField(
        _("evidence file"), upload_to=evidence_path, max_length=200, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator entry")
        verbose_name_plural = _("indicator entries")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org", "period_start", "period_end"],
                name="statistics_entry_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.org_id}: {self.value}"


class Composite(models.Model):
    """A composite score (综合考评, 争先晋位) over several weighted indicators for one
    year, set by an organization for the units below it (ADR 0059). Each unit's score
    is Σ weight × its score on each member indicator (``indicators.composite_rank``)."""

    owner = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("defined by")
    )
    name = models.CharField(_("composite name"), max_length=120)
    year = models.PositiveIntegerField(_("year"))
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("composite score")
        verbose_name_plural = _("composite scores")
        ordering = ["-year", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name", "year"], name="statistics_composite_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class CompositeMember(models.Model):
    """One indicator of a composite and its weight in per cent (the weights sum to 100)."""

    composite = models.ForeignKey(Composite, on_delete=models.CASCADE, related_name="members")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator")
    )
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("composite member")
        verbose_name_plural = _("composite members")
        ordering = ["composite_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["composite", "indicator"], name="statistics_composite_member_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="statistics_composite_weight_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.weight}%"


class BriefingState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("briefing", "Draft")
    ISSUED = "issued", pgettext_lazy("briefing", "Issued")


class Briefing(models.Model):
    """A briefing (工作简报): a draft the clerk writes in, then an issue, numbered and
    locked, kept as a snapshot of its figures (ADR 0041, 0055).

    ``figures`` is a list of dicts, one per figure: metric, label, unit, value (a decimal
    string), rows, definition, text (as printed), digest (sha256 of the rows behind it)
    and, when there are not too many, the ids of those rows. The narrative the clerk
    writes is in ``sections`` (``BriefingSection``), later changes in ``corrections``.
    """

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    title = models.CharField(pgettext_lazy("briefing", "title"), max_length=200)
    figures = models.JSONField(default=list)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        pgettext_lazy("briefing", "state"),
        max_length=10,
        choices=BriefingState.choices,
        default=BriefingState.DRAFT,
    )
    # Whether the clerk asked for the level's sections that have no records (本期暂无…).
    include_empty = models.BooleanField(default=False)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    # 第X期: numbered per organization and year of the period, from 1, when issued
    # (a draft has no number yet).
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField(_("issue number"), null=True, blank=True)

    class Meta:
        verbose_name = _("briefing")
        verbose_name_plural = _("briefings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "number"], name="statistics_briefing_number_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.state == BriefingState.DRAFT

    @property
    def number_label(self) -> str:
        if self.number is None:
            return str(pgettext_lazy("briefing", "Draft"))
        return gettext("No. %(number)d") % {"number": self.number}

    @property
    def period_text(self) -> str:
        return chinese_period(self.period_start, self.period_end)

    @property
    def date_text(self) -> str:
        """The date line: the day it was issued (a draft: the day it was made)."""
        return chinese_date(timezone.localdate(self.issued_at or self.created_at))


class BriefingSection(models.Model):
    """One section of a briefing: the sentence of its computed figures, locked, and the
    narrative the clerk writes under it (工作动态, 经验做法, 存在问题, 下步打算)."""

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="sections")
    module = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(pgettext_lazy("briefing", "section"), max_length=100)
    # The figures' sentence as computed when the draft was made: never typed over.
    figures_text = models.TextField(_("figures as computed"))
    progress = models.TextField(_("work under way (工作动态)"), blank=True)
    practices = models.TextField(_("practices worth sharing (经验做法)"), blank=True)
    shortcomings = models.TextField(_("problems found (存在问题)"), blank=True)
    next_steps = models.TextField(_("next steps (下步打算)"), blank=True)

    class Meta:
        verbose_name = _("briefing section")
        verbose_name_plural = _("briefing sections")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["briefing", "module"], name="statistics_briefing_section_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.briefing_id} {self.module}"


class BriefingCorrection(models.Model):
    """A logged correction of an issued briefing: who, when, what it says now and why.
    The issue itself stays as it was printed."""

    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="corrections")
    section = models.ForeignKey(
        BriefingSection, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    text = models.TextField(_("correction"))
    reason = models.TextField(_("reason for the correction"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("briefing correction")
        verbose_name_plural = _("briefing corrections")
        ordering = ["made_at", "pk"]

    def __str__(self) -> str:
        return f"{self.briefing_id}: {self.text[:40]}"

    @property
    def date_text(self) -> str:
        return chinese_date(timezone.localdate(self.made_at))


class BriefingStyle(models.Model):
    """How an organization's briefings look: masthead, 编发单位, the 报/送/发 lines and,
    optionally, its own Word template. A unit without one uses its nearest ancestor's
    (``documents.style_for``)."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    masthead = models.CharField(_("masthead"), max_length=60, blank=True)
    issuer = models.CharField(_("issuing office"), max_length=60, blank=True)
    bao = models.CharField(_("reported to (报)"), max_length=300, blank=True)
    song = models.CharField(_("sent to (送)"), max_length=300, blank=True)
    fa = models.CharField(_("issued to (发)"), max_length=300, blank=True)
    template = models.FileField(
        _("Word template"), upload_to="statistics/briefing_styles/", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("briefing style")
        verbose_name_plural = _("briefing styles")

    def __str__(self) -> str:
        return self.masthead or str(self.org)
