"""Core models: the append-only, hash-chained audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AuditEvent(models.Model):
    """One recorded action. Rows are only ever inserted; see ``core/audit.py``.

    ``digest`` is an HMAC over this row's content and the previous row's digest, so a
    changed, deleted, inserted or reordered row breaks the chain at that point.
    """

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    # Which of the configured audit keys sealed this row (settings.AUDIT_KEYS). The digest
    # covers it, so re-labelling a row with another version breaks the chain too.
    key_version = models.PositiveIntegerField(default=1)
    # The organization the written object belongs to (its owning unit, by the object's
    # scope policy), so the trail can be filtered by a unit and the units below it. A
    # plain id, not a foreign key: core does not know the organizations module, and a row
    # must outlive the unit. The digest covers it when it is set.
    scope_org = models.PositiveIntegerField(_("organization"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["scope_org", "-id"], name="core_audit_scope_org"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only")


class AuditHead(models.Model):
    """The chain's head: the last event's id and digest, kept in the same transaction.

    Without it, deleting the newest rows would leave a shorter chain that still verifies.
    Locking this single row also serializes appends on PostgreSQL.
    """

    last_event_id = models.BigIntegerField(default=0)
    last_digest = models.CharField(max_length=64, default="")
    count = models.BigIntegerField(default=0)
    # Events up to this id were sealed before key versions existed: their digest does not
    # cover ``key_version``. Moving the boundary either way breaks verification.
    legacy_through = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit head")
        verbose_name_plural = _("audit heads")

    def __str__(self) -> str:
        return f"audit head #{self.last_event_id}"


class WriteStamp(models.Model):
    """When a ledger row was last written, for ``updated_since`` and ``updated_at``
    (issue 17). The audit trail says it for a row audited on its own; a bulk write (an
    import) is audited once for many rows, so the rows it reports through
    ``core.changes`` are stamped here as well (``versions.stamp_listener``)."""

    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.BigIntegerField(_("object id"))
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("write stamp")
        verbose_name_plural = _("write stamps")
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id"], name="write_stamp_one_per_row"
            )
        ]
        indexes = [models.Index(fields=["object_type", "written_at"])]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}"


class AuditReview(models.Model):
    """The audit administrator's mark (三员分立): the events to review up to ``up_to``
    have been read. Each mark is a new row, so the history of reviews stays."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    up_to = models.BigIntegerField(_("reviewed up to event"))
    reviewed_at = models.DateTimeField(_("reviewed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit review")
        verbose_name_plural = _("audit reviews")
        indexes = [models.Index(fields=["reviewer", "-up_to"])]

    def __str__(self) -> str:
        return f"#{self.up_to}"


class Accountable(models.Model):
    """Who answers for a ledger item (项目挂钩责任制 / 挂账销号): a lead unit with co-units,
    the linked leader (挂钩领导) and the responsible person. Related names follow the
    model: ``led_projects``, ``co_problems``, ``linked_projects``, ``responsible_problems``.
    """

    lead_unit = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("lead unit"),
        on_delete=models.PROTECT,
        related_name="led_%(class)ss",
    )
    co_units = models.ManyToManyField(
        "organizations.Organization",
        verbose_name=_("co-units"),
        blank=True,
        related_name="co_%(class)ss",
    )
    linked_leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("linked leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="linked_%(class)ss",
    )
    responsible = models.ForeignKey(
        "people.Person",
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_%(class)ss",
    )

    class Meta:
        abstract = True


class WorkdayOverride(models.Model):
    """One day whose working-day status the district sets itself (节假日与调休).

    It wins over the published State Council schedule (``chinesecalendar``) and carries
    the calendar past the years that package knows; see ``core/calendar.py``.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("holiday or make-up day"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'workday' if self.is_workday else 'rest day'}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", pgettext_lazy("task status", "Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A long piece of work (an import, a large export) run by the background worker.

    The row says what was asked and how it ended; the progress while it runs is kept in
    the ``progress`` cache (``core/jobs.py``) because the work itself may hold one long
    transaction that other connections cannot see into. ``result`` is the handler's
    summary; ``file`` a file to download (an export), readable only by its owner.
    """

    kind = models.CharField(_("kind"), max_length=60)
    label = models.CharField(_("task"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    message = models.TextField(_("message"), blank=True)
    result = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        indexes = [models.Index(fields=["created_by", "-id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label}"

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}
