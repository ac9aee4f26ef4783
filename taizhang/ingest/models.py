"""Import batches: one uploaded file, what checking it found, and what it wrote."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BatchStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    REFUSED = "refused", _("Has errors")
    CHECKED = "checked", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Import failed")
    UNDONE = "undone", _("Undone")


class ImportBatch(models.Model):
    """One file brought in for one importer (``kind``), by one person.

    ``checksum`` (SHA-256 of the file) makes a second upload of an imported file a
    no-op. ``written`` lists what the import created and updated (model label → primary
    keys) so that the batch can be undone while no later event touched those rows;
    ``last_event`` is the audit event that closed the import, the line after which any
    event on those rows counts as a touch.
    """

    kind = models.CharField(_("ledger"), max_length=60)
    file = models.FileField(upload_to="ingest/%Y/%m/")
    file_name = models.CharField(_("file"), max_length=200)
    checksum = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.CHECKING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("new"), default=0)
    to_update = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(pgettext_lazy("import rows", "unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    written = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    last_event = models.BigIntegerField(null=True, blank=True)
    job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        indexes = [models.Index(fields=["created_by", "-id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"
