"""Investment attraction (招商引资): leads and their stages, events, competitions, subsidies.

Money is integer yuan. ``Lead.stage`` and every ``LeadStageChange`` are written by
``services.py`` only. A landed lead may become a key project; ``Lead.project`` keeps the link
(projects never imports investment).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.formatting import MAX_YUAN


class Source(models.TextChoices):
    PROMOTION = "promotion", _("Promotion event")
    FAIR = "fair", _("Investment fair")
    RESIDENT = "resident", _("Resident team")
    REFERRAL = "referral", _("Referral by investors")
    VISIT = "visit", _("Door-to-door visit")
    ONLINE = "online", _("Online")
    OTHER = "other", _("Other")


class LeadStage(models.IntegerChoices):
    CONTACT = 10, _("First contact")
    NEGOTIATING = 20, _("Negotiating")
    SIGNED = 30, _("Signed")
    LANDED = 40, _("Landed")
    STARTED = 50, _("Construction started")


class EventKind(models.TextChoices):
    PROMOTION = "promotion", _("Promotion event")
    FAIR = "fair", _("Investment fair")


class Event(models.Model):
    """A 推介会 or 投洽会; its signings are the leads signed there."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="investment_events",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    name = models.CharField(_("name"), max_length=120)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    organizer = models.CharField(_("organizer"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "pk"]
        verbose_name = _("investment event")

    def __str__(self) -> str:
        return self.name


class Competition(models.Model):
    """A 驻点招商竞赛: teams score points for the stages their leads reach in the period."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="investment_competitions",
    )
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    min_cases = models.PositiveSmallIntegerField(
        _("cases needed to be ranked"),
        default=3,
        help_text=_("A team is ranked only once this many of its leads have scored."),
    )
    points_contact = models.PositiveSmallIntegerField(_("points for first contact"), default=1)
    points_negotiating = models.PositiveSmallIntegerField(_("points for negotiating"), default=2)
    points_signed = models.PositiveSmallIntegerField(_("points for signing"), default=5)
    points_landed = models.PositiveSmallIntegerField(_("points for landing"), default=8)
    points_started = models.PositiveSmallIntegerField(
        _("points for construction start"), default=10
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("investment competition")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="competition_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def points_for(self, stage: int) -> int:
        table: dict[int, int] = {
            LeadStage.CONTACT: self.points_contact,
            LeadStage.NEGOTIATING: self.points_negotiating,
            LeadStage.SIGNED: self.points_signed,
            LeadStage.LANDED: self.points_landed,
            LeadStage.STARTED: self.points_started,
        }
        return table.get(stage, 0)


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("team name"), max_length=80)
    base = models.CharField(_("stationed in"), max_length=60, blank=True)
    leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    members = models.ManyToManyField(
        "people.Person", verbose_name=_("members"), blank=True, related_name="investment_teams"
    )

    class Meta:
        verbose_name = _("investment team")
        verbose_name_plural = _("investment teams")
        ordering = ["competition_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="unique_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="investment_leads",
    )
    enterprise = models.CharField(_("enterprise"), max_length=120)
    project_name = models.CharField(_("project"), max_length=120)
    sector = models.CharField(_("sector"), max_length=40)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # Often not known at first contact (接洽): empty until the enterprise names a figure.
    amount = models.BigIntegerField(
        _("intended investment (yuan)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_YUAN)],
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("signed at event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    stage = models.PositiveSmallIntegerField(
        _("stage"), choices=LeadStage.choices, default=LeadStage.CONTACT, editable=False
    )
    stage_since = models.DateField(_("in this stage since"), editable=False)
    signed_on = models.DateField(_("signed on"), null=True, blank=True, editable=False)
    signed_amount = models.BigIntegerField(
        _("signed investment (yuan)"),
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_YUAN)],
    )
    is_lost = models.BooleanField(_("lost"), default=False, editable=False)
    lost_on = models.DateField(_("lost on"), null=True, blank=True, editable=False)
    lost_reason = models.CharField(_("why it was lost"), max_length=200, blank=True, editable=False)
    # 补录: the loss was recorded after the day it happened, and why.
    lost_late_reason = models.CharField(
        _("late entry of the loss"), max_length=200, blank=True, editable=False
    )
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("key project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_lead",
        editable=False,
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "pk"]
        verbose_name = _("investment lead")
        indexes = [
            models.Index(fields=["org", "stage"]),
            models.Index(fields=["signed_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="lead_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.project_name

    def get_absolute_url(self) -> str:
        return reverse("investment:lead_detail", args=[self.pk])


class LeadStageChange(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="changes")
    from_stage = models.PositiveSmallIntegerField(choices=LeadStage.choices, null=True, blank=True)
    to_stage = models.PositiveSmallIntegerField(choices=LeadStage.choices)
    changed_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # 补录: the move was recorded after ``changed_on`` (an import, a clerk catching up);
    # the audit event keeps the moment it was entered.
    late_reason = models.CharField(_("late entry"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lead stage change")
        verbose_name_plural = _("lead stage changes")
        ordering = ["lead_id", "changed_on", "pk"]
        indexes = [models.Index(fields=["changed_on"])]

    def __str__(self) -> str:
        before = LeadStage(self.from_stage).label if self.from_stage else ""
        return f"{self.lead.project_name}：{before}→{LeadStage(self.to_stage).label}"

    def get_absolute_url(self) -> str:
        return reverse("investment:lead_detail", args=[self.lead_id])


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    TALK = "talk", _("Talks")
    CONTACT = "contact", _("Phone contact")
    PROMOTION = "promotion", _("Promotion meeting")


class FollowUp(models.Model):
    """One step of following a lead up (跟进记录): a visit, talks, a call or a promotion
    meeting, who met whom, what was said and the next step. Written by
    ``services.follow_up_add`` only; read through the lead."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="follow_ups")
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices)
    our_people = models.ManyToManyField(
        "people.Person",
        verbose_name=_("our people"),
        blank=True,
        related_name="investment_follow_ups",
    )
    # Our side as text, for people not on the registry (a deputy from the district, …).
    our_side = models.CharField(_("our side (others)"), max_length=200, blank=True)
    their_side = models.CharField(_("their side"), max_length=200, blank=True)
    content = models.TextField(_("content"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step by"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lead follow-up")
        verbose_name_plural = _("lead follow-ups")
        ordering = ["lead_id", "-on", "-pk"]
        indexes = [models.Index(fields=["lead", "on"]), models.Index(fields=["next_step_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(next_step_on__isnull=True)
                | models.Q(next_step_on__gte=models.F("on")),
                name="follow_up_next_step_after_it",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.on} {self.kind}"

    def get_absolute_url(self) -> str:
        return reverse("investment:lead_detail", args=[self.lead_id]) + f"#follow-up-{self.pk}"


class SubsidyPolicy(models.Model):
    """An enterprise-support policy payments are made under (惠企政策): a district-wide
    dictionary the system administrator keeps. Deactivated, never deleted, once paid."""

    name = models.CharField(_("policy name"), max_length=120, unique=True)
    issued_by = models.CharField(_("issued by"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")

    def __str__(self) -> str:
        return self.name


class Subsidy(models.Model):
    """One payment under an enterprise-support policy (惠企政策兑现)."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("paying organization"),
        on_delete=models.PROTECT,
        related_name="subsidies",
    )
    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="subsidies"
    )
    enterprise = models.CharField(_("enterprise"), max_length=120)
    amount = models.BigIntegerField(
        _("amount (yuan)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_YUAN)]
    )
    paid_on = models.DateField(_("paid on"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "pk"]
        verbose_name = _("subsidy payment")
        indexes = [models.Index(fields=["org", "paid_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="subsidy_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.policy.name}"
