"""Reporting tasks (填报任务): a form a unit sends down the tree, one assignment per
receiving unit, and the answers each unit gives."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.organizations.models import Organization


class TaskState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    CLOSED = "closed", _("Closed")


class FieldKind(models.TextChoices):
    NUMBER = "number", _("Number")
    MONEY = "money", _("Amount (yuan)")
    TEXT = "text", _("Text")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    ATTACHMENT = "attachment", _("Attachment")


# Kinds whose accepted answers add up the tree.
SUMMED_KINDS = (FieldKind.NUMBER, FieldKind.MONEY)


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Not reported")
    SUBMITTED = "submitted", _("Reported")
    SENT_BACK = "sent_back", pgettext_lazy("reporting", "Sent back")
    ACCEPTED = "accepted", _("Accepted")


# What the receiving unit may still fill in.
OPEN_STATES = (AssignmentState.PENDING, AssignmentState.SENT_BACK)


class ReportingTask(models.Model):
    issuer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("Issued by")
    )
    title = models.CharField(_("Title"), max_length=200)
    instructions = models.TextField(_("Instructions"), blank=True)
    period_start = models.DateField(_("Period from"))
    period_end = models.DateField(_("Period to"))
    deadline = models.DateField(pgettext_lazy("reporting", "Deadline"))
    state = models.CharField(
        _("State"), max_length=10, choices=TaskState.choices, default=TaskState.DRAFT
    )
    # A street relaying a district task to its communities: the child task hangs off
    # the street's own assignment, whose answer the children's roll up into.
    parent_assignment = models.ForeignKey(
        "Assignment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relays",
        verbose_name=_("Relayed from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporting task")
        verbose_name_plural = _("reporting tasks")
        ordering = ("-deadline", "-pk")
        indexes = [models.Index(fields=("issuer", "state"))]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.state == TaskState.SENT and self.deadline < timezone.localdate()


class TaskField(models.Model):
    task = models.ForeignKey(ReportingTask, on_delete=models.CASCADE, related_name="fields")
    order = models.PositiveIntegerField(default=0)
    label = models.CharField(_("Field"), max_length=100)
    kind = models.CharField(_("Kind"), max_length=12, choices=FieldKind.choices)
    choices = models.JSONField(_("Choices"), default=list, blank=True)
    required = models.BooleanField(_("Required"), default=True)
    unit_label = models.CharField(
        pgettext_lazy("unit of measure", "Unit"), max_length=20, blank=True
    )
    # The name of a registered statistics metric: the field is a ledger figure to confirm.
    metric = models.CharField(_("Ledger figure"), max_length=100, blank=True)
    # On a relayed task: the parent task's field this one copies (the roll-up follows it).
    source = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies"
    )

    class Meta:
        verbose_name = _("reporting item")
        verbose_name_plural = _("reporting items")
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.label

    @property
    def is_summed(self) -> bool:
        return self.kind in SUMMED_KINDS


class Assignment(models.Model):
    task = models.ForeignKey(ReportingTask, on_delete=models.CASCADE, related_name="assignments")
    org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("Unit")
    )
    state = models.CharField(
        _("State"), max_length=10, choices=AssignmentState.choices, default=AssignmentState.PENDING
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_reason = models.TextField(_("Reason"), blank=True)
    times_sent_back = models.PositiveIntegerField(default=0)
    last_urged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unit's report")
        verbose_name_plural = _("units' reports")
        ordering = ("task", "org__path")
        constraints = [
            models.UniqueConstraint(
                fields=("task", "org"), name="reporting_one_assignment_per_unit"
            )
        ]
        indexes = [models.Index(fields=("org", "state"))]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.org_id}"

    def is_late(self, today: dt.date) -> bool:
        """Not submitted (or sent back and not resubmitted) after the deadline."""
        return self.state in OPEN_STATES and self.task.deadline < today


class Answer(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="answers")
    field = models.ForeignKey(TaskField, on_delete=models.CASCADE, related_name="answers")
    # The value in its kind's JSON form: a decimal string for numbers and money (yuan),
    # ISO date, text, the chosen option; null when left empty.
    value = models.JSONField(null=True, blank=True)
    # What taizhang's own records said when the answer was saved (metric fields only).
    record_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    file = models.FileField(upload_to="reporting/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=("assignment", "field"), name="reporting_one_answer")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.field_id}"
