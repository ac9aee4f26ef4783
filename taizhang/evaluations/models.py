"""Evaluations (评选与表彰): scored competitions and awards.

A ``Competition`` (e.g. a 党建品牌展演) has weighted ``Criterion`` rows, ``Entry`` rows (a
brand, an organization or a person, always with an owning organization) and ``Judge``
rows (users). A judge gives one ``Score`` per entry and criterion. Results are computed
by ``selectors.competition_results``; winners are declared by a service.

An ``Award`` (先进党支部, 优秀党员, 十佳宣讲员) collects ``Nomination`` rows that move
nominated → approved/rejected → published, only through ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CompetitionStatus(models.TextChoices):
    DRAFT = "draft", _("Being set up")
    SCORING = "scoring", _("Scoring")
    DECIDED = "decided", _("Winners declared")
    PUBLISHED = "published", _("Results published")


class Normalization(models.TextChoices):
    NONE = "none", _("None (mean of weighted totals)")
    MINMAX = "minmax", _("Min-max per judge (0-100)")
    ZSCORE = "zscore", _("Z-score per judge")


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean over the judges")
    TRIMMED = "trimmed", _("Drop the highest and the lowest judge, then the mean")


class Competition(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organizing unit"),
        on_delete=models.PROTECT,
        related_name="evaluation_competitions",
    )
    name = models.CharField(_("name"), max_length=120)
    held_on = models.DateField(_("date"))
    description = models.TextField(_("about the competition"), blank=True)
    normalization = models.CharField(
        _("normalization"),
        max_length=8,
        choices=Normalization.choices,
        default=Normalization.NONE,
    )
    aggregation = models.CharField(
        _("final score rule"),
        max_length=8,
        choices=Aggregation.choices,
        default=Aggregation.MEAN,
        help_text=_("With fewer than three judges the plain mean is taken."),
    )
    winners_count = models.PositiveIntegerField(_("number of winners"), default=10)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CompetitionStatus.choices,
        default=CompetitionStatus.DRAFT,
    )
    scoring_opened_on = models.DateField(_("scoring opened on"), null=True, blank=True)
    decided_on = models.DateField(_("winners declared on"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "pk"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluations:competition_detail", args=[self.pk])


class Criterion(models.Model):
    """A rubric line. Weights of a competition sum to 100 (or to 1); scores stay within max."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=80)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=4)
    max_score = models.DecimalField(_("maximum score"), max_digits=6, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["competition_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="unique_criterion_name"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight_pos"),
            models.CheckConstraint(condition=models.Q(max_score__gt=0), name="criterion_max_pos"),
        ]

    def __str__(self) -> str:
        return self.name


class EntryKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    ORGANIZATION = "organization", _("Organization")
    PERSON = "person", _("Person")


class Entry(models.Model):
    """One entry. ``org`` is the owning organization, the basis of scope and of conflicts."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    title = models.CharField(_("title"), max_length=120)
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("entry owner"),
        on_delete=models.PROTECT,
        related_name="evaluation_entries",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_entries",
    )
    number = models.PositiveIntegerField(_("number"))
    summary = models.TextField(_("about the entry"), blank=True)
    # Written by competition_declare_winners only.
    final_score = models.DecimalField(
        _("final score"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    is_winner = models.BooleanField(_("winner"), default=False)

    class Meta:
        ordering = ["competition_id", "number"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(fields=["competition", "number"], name="unique_entry_number"),
        ]

    def __str__(self) -> str:
        return self.title


class Judge(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="judgeships"
    )
    added_on = models.DateField(_("added on"))

    class Meta:
        verbose_name = _("judge")
        verbose_name_plural = _("judges")
        ordering = ["competition_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "user"], name="unique_judge"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.competition_id}"


class Score(models.Model):
    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="scores")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["entry_id", "judge_id", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry", "criterion"], name="unique_score"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.judge_id}/{self.entry_id}/{self.criterion_id}={self.value}"


class AwardKind(models.TextChoices):
    ADVANCED_BRANCH = "advanced_branch", _("Advanced Party branch")
    EXCELLENT_MEMBER = "excellent_member", _("Excellent Party member")
    TOP_SPEAKER = "top_speaker", _("Top ten outreach speaker")
    OTHER = "other", _("Other honour")


# Which nominee an award takes: an organization or a person.
ORG_AWARDS = {AwardKind.ADVANCED_BRANCH}


class Award(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("awarding organization"),
        on_delete=models.PROTECT,
        related_name="evaluation_awards",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AwardKind.choices)
    name = models.CharField(_("name"), max_length=120)
    year = models.PositiveIntegerField(_("year"))
    quota = models.PositiveIntegerField(_("quota"))
    # 公示: the approved list is shown publicly for a period before it is final.
    notice_start = models.DateField(_("public notice from"), null=True, blank=True)
    notice_end = models.DateField(_("public notice until"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "kind", "pk"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self) -> str:
        return self.name

    @property
    def takes_organizations(self) -> bool:
        return self.kind in ORG_AWARDS

    def notice_over(self, day: object) -> bool:
        """Whether the public notice period ended before ``day``."""
        return self.notice_end is not None and self.notice_end < day  # type: ignore[operator]


class Objection(models.Model):
    """An objection raised during an award's public notice (公示), and how it was settled."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="objections")
    received_on = models.DateField(_("received on"))
    text = models.TextField(_("objection"))
    outcome = models.TextField(pgettext_lazy("objection", "outcome"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["award_id", "received_on", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.award_id}: {self.text[:40]}"


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PUBLISHED = "published", _("Published")


class Nomination(models.Model):
    """A nominee for an award. ``org`` is the nominee's organization (its scope)."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="nominations")
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="evaluation_nominations",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_nominations",
    )
    deeds = models.TextField(_("deeds"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=NominationStatus.choices,
        default=NominationStatus.NOMINATED,
    )
    nominated_on = models.DateField(_("nominated on"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        ordering = ["award_id", "pk"]
        verbose_name = _("nomination")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "org"],
                condition=models.Q(person__isnull=True),
                name="unique_org_nomination",
            ),
            models.UniqueConstraint(
                fields=["award", "person"],
                condition=models.Q(person__isnull=False),
                name="unique_person_nomination",
            ),
        ]

    def __str__(self) -> str:
        return self.person.name if self.person_id else self.org.name  # type: ignore[union-attr]

    @property
    def nominee(self) -> str:
        return str(self)
