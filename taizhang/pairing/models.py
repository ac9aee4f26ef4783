"""Pairing (挂钩帮扶): helping organizations paired with weak villages, the villages'
yearly indicators with locked confirmed values and a correction history, and
partnerships with outside bodies with the ambassadors appointed under them.

Money is integer yuan. Values, confirmations and corrections are written by
``services.py`` only; a correction never overwrites without keeping the old value.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_TARGET = 500_000  # 50万元


class Pair(models.Model):
    """A helping organization (机关, 企业…) paired with a village or community for a period."""

    helper = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("helping organization"),
        on_delete=models.PROTECT,
        related_name="pairings_given",
    )
    village = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="pairings_received",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    target_income = models.BigIntegerField(
        _("collective income target (yuan)"), default=DEFAULT_TARGET
    )
    target_year = models.PositiveIntegerField(_("target year"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village_id", "starts_on", "pk"]
        verbose_name = _("pair")
        verbose_name_plural = _("pairs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="pair_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(target_income__gte=0), name="pair_target_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["village", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.helper} → {self.village}"

    def get_absolute_url(self) -> str:
        return reverse("pairing:pair_detail", args=[self.pk])

    @property
    def years(self) -> list[int]:
        return list(range(self.starts_on.year, self.ends_on.year + 1))


class ProjectState(models.TextChoices):
    PLANNING = "planning", _("Being planned")
    UNDERWAY = "underway", _("Under way")
    DONE = "done", pgettext_lazy("assistance project", "Completed")


class AssistanceProject(models.Model):
    """A named project carried out under a pair (帮扶项目: a solar plant, a park
    renovation…): its funds in integer yuan, its state and dates, the unit helping.
    Written by ``services.assistance_project_create``/``_update`` only."""

    pair = models.ForeignKey(Pair, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(_("project name"), max_length=120)
    helper = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("helping unit"),
        on_delete=models.PROTECT,
        related_name="assistance_projects",
    )
    funds = models.BigIntegerField(_("funds (yuan)"), default=0)
    state = models.CharField(
        _("state"), max_length=12, choices=ProjectState.choices, default=ProjectState.PLANNING
    )
    starts_on = models.DateField(_("starts on"))
    completed_on = models.DateField(
        pgettext_lazy("assistance project", "completed on"), null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pair_id", "starts_on", "pk"]
        verbose_name = _("assistance project")
        verbose_name_plural = _("assistance projects")
        indexes = [models.Index(fields=["starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(funds__gte=0), name="assistance_funds_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(completed_on__isnull=True)
                | models.Q(completed_on__gte=models.F("starts_on")),
                name="assistance_completed_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pairing:pair_detail", args=[self.pair_id]) + f"#project-{self.pk}"


class Indicator(models.TextChoices):
    COLLECTIVE_INCOME = "collective_income", _("Collective economy income")
    OPERATING_INCOME = "operating_income", _("Operating income")
    AID_FUNDS = "aid_funds", _("Assistance funds received")
    PROJECTS = "projects", _("Assistance projects completed")


MONEY_INDICATORS = {
    Indicator.COLLECTIVE_INCOME,
    Indicator.OPERATING_INCOME,
    Indicator.AID_FUNDS,
}


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("Recorded")
    CONFIRMED = "confirmed", _("Confirmed")


class IndicatorValue(models.Model):
    """One village's value of one indicator for one year. Locked once confirmed."""

    village = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="indicator_values",
    )
    indicator = models.CharField(_("indicator"), max_length=24, choices=Indicator.choices)
    year = models.PositiveIntegerField(_("year"))
    year_end = models.DateField(_("year end"))  # 31 December of ``year``: the metric date
    value = models.BigIntegerField(_("value"))
    status = models.CharField(
        _("status"), max_length=12, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    recorded_on = models.DateField(_("recorded on"))
    # Who recorded the current draft: they may not confirm it (duties kept apart).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 补录: a past year's value entered afterwards (an imported ledger), and why.
    late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["village_id", "indicator", "year"]
        verbose_name = _("indicator value")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "indicator", "year"], name="unique_village_indicator_year"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="indicator_not_negative"),
        ]
        indexes = [models.Index(fields=["indicator", "year", "status"])]

    def __str__(self) -> str:
        return f"{self.village_id} {self.indicator} {self.year}={self.value}"

    @property
    def is_locked(self) -> bool:
        return self.status == ValueStatus.CONFIRMED

    @property
    def is_money(self) -> bool:
        return self.indicator in MONEY_INDICATORS


class IndicatorCorrection(models.Model):
    """A correction of a confirmed value: the old value stays here with the reason."""

    value = models.ForeignKey(IndicatorValue, on_delete=models.PROTECT, related_name="corrections")
    old_value = models.BigIntegerField(_("old value"))
    new_value = models.BigIntegerField(_("new value"))
    reason = models.CharField(_("reason"), max_length=200)
    corrected_on = models.DateField(_("corrected on"))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_id", "created_at", "pk"]
        verbose_name = _("correction")

    def __str__(self) -> str:
        return f"{self.value_id}: {self.old_value} → {self.new_value}"


class PartnershipKind(models.TextChoices):
    AGREEMENT = "agreement", _("Cooperation agreement")
    TALENT_STATION = "talent_station", _("Talent recruitment workstation")
    INVESTMENT_STATION = "investment_station", _("Investment liaison workstation")


class Partnership(models.Model):
    """A dated partnership with an outside body: an agreement or a workstation."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="partnerships",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=PartnershipKind.choices)
    partner = models.CharField(_("partner"), max_length=120)
    title = models.CharField(_("title"), max_length=160)
    signed_on = models.DateField(_("signed on"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-signed_on", "pk"]
        verbose_name = _("partnership")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("signed_on")),
                name="partnership_ends_after_signing",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pairing:partnership_detail", args=[self.pk])


class AmbassadorRole(models.TextChoices):
    INVESTMENT = "investment", _("Investment ambassador")
    TALENT = "talent", _("Talent ambassador")


class Ambassador(models.Model):
    """A person appointed 招商大使 or 招才引智大使 under a partnership, from..until."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="ambassadors"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="ambassadorships",
    )
    role = models.CharField(_("appointment"), max_length=16, choices=AmbassadorRole.choices)
    appointed_on = models.DateField(_("appointed on"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["partnership_id", "appointed_on", "pk"]
        verbose_name = _("ambassador")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("appointed_on")),
                name="ambassador_ends_after_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role}@{self.partnership_id}"
