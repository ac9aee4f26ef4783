"""Tombstones: the records a sync must forget (issue 17). A row is written, inside the
deleting transaction, for every record of a ledger model that a service removes (an
import undone, a routing rule deleted), with the unit it was booked on, so
``GET /api/v1/deleted`` answers each client within its own scope."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tombstone(models.Model):
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.BigIntegerField(_("object id"))
    # The unit the record was booked on (its scope policy's first organization field).
    org_id = models.PositiveIntegerField(_("organization"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), db_index=True)

    class Meta:
        verbose_name = _("deleted record")
        verbose_name_plural = _("deleted records")
        indexes = [models.Index(fields=["object_type", "deleted_at"])]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}"
