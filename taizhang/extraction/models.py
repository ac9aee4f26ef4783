"""A report brought in for review (``ReportIntake``) and the drafts its extraction found.

An intake is booked on the organization the clerk chose: who sees it and who may
confirm its drafts follow from that organization (``permissions.INTAKE``). Its drafts
cite their sentence by offsets into ``text``, the cleaned text the extraction ran on. A
confirmed draft names the record it became (``object_type``, ``object_id``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IntakeState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("report intake", "Queued")
    EXTRACTING = "extracting", pgettext_lazy("report intake", "Extracting")
    READY = "ready", pgettext_lazy("report intake", "Ready for review")
    FAILED = "failed", pgettext_lazy("report intake", "Extraction failed")
    DONE = "done", pgettext_lazy("report intake", "Reviewed")


class DraftState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("report draft", "Pending")
    CONFIRMED = "confirmed", pgettext_lazy("report draft", "Confirmed")
    DROPPED = "dropped", pgettext_lazy("report draft", "Dropped")


class ReportIntake(models.Model):
    """One pasted or uploaded report, booked on ``org``."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=pgettext_lazy("report intake", "booked on"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(pgettext_lazy("report intake", "report title"), max_length=200)
    source_text = models.TextField(pgettext_lazy("report intake", "report text"), blank=True)
    file = models.FileField(upload_to="extraction/%Y/%m/", blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    report_year = models.PositiveSmallIntegerField(
        pgettext_lazy("report intake", "report year"), null=True, blank=True
    )
    state = models.CharField(
        _("status"), max_length=12, choices=IntakeState.choices, default=IntakeState.QUEUED
    )
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What the extraction ran on and found out about the report (year, dateline, time).
    text = models.TextField(blank=True)
    meta = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = pgettext_lazy("report intake", "report intake")
        verbose_name_plural = pgettext_lazy("report intake", "report intakes")
        indexes = [models.Index(fields=["org", "-id"])]

    def __str__(self) -> str:
        return self.title


class Draft(models.Model):
    """One record the extraction proposes, citing its sentence (``start``:``end``)."""

    intake = models.ForeignKey(ReportIntake, on_delete=models.CASCADE, related_name="drafts")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=30)
    fields = models.JSONField(default=dict, blank=True)
    sentence = models.TextField(blank=True)
    start = models.PositiveIntegerField(default=0)
    end = models.PositiveIntegerField(default=0)
    state = models.CharField(
        _("status"), max_length=12, choices=DraftState.choices, default=DraftState.PENDING
    )
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["intake_id", "position", "pk"]
        verbose_name = pgettext_lazy("report draft", "report draft")
        verbose_name_plural = pgettext_lazy("report draft", "report drafts")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
