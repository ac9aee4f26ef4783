"""Notices (通知公告): published by a unit to units below it, read and acknowledged there.

A notice is written as a draft, then published: publication resolves the receiving
units once (``NoticeTarget`` rows, bulk-created) and tells their staff. Each target row
keeps when the unit first read it and when (and by whom) it acknowledged receipt, so the
publisher's receipt board is one query; ``NoticeReceipt`` keeps each person's own read
and acknowledgement. Only ``services.py`` writes these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NoticeState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("notice", "Draft")
    PUBLISHED = "published", pgettext_lazy("notice", "Published")
    WITHDRAWN = "withdrawn", pgettext_lazy("notice", "Withdrawn")


class Audience(models.TextChoices):
    SUBTREE = "subtree", _("Units below the publisher")
    CHOSEN = "chosen", _("Chosen units")


class Notice(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("publishing unit"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    title = models.CharField(_("notice title"), max_length=200)
    # Plain text; paragraphs are blank-line separated and rendered escaped.
    body = models.TextField(_("notice text"))
    audience = models.CharField(
        _("sent to"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE
    )
    # For the subtree audience: how many levels below the publisher receive it.
    levels = models.PositiveSmallIntegerField(_("levels below"), default=1)
    chosen_units = models.ManyToManyField(
        "organizations.Organization",
        verbose_name=_("chosen units"),
        blank=True,
        related_name="+",
    )
    requires_ack = models.BooleanField(_("acknowledgement required"), default=False)
    ack_deadline = models.DateField(_("acknowledge by"), null=True, blank=True)
    state = models.CharField(
        _("notice state"), max_length=16, choices=NoticeState.choices, default=NoticeState.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["org", "state"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notices:detail", args=[self.pk])

    @property
    def paragraphs(self) -> list[str]:
        """The body split at blank lines, for rendering as escaped paragraphs."""
        text = self.body.replace("\r\n", "\n")
        return [p.strip() for p in text.split("\n\n") if p.strip()]

    @property
    def is_published(self) -> bool:
        return self.state == NoticeState.PUBLISHED

    @property
    def ack_overdue(self) -> bool:
        return bool(
            self.requires_ack
            and self.ack_deadline is not None
            and self.ack_deadline < timezone.localdate()
        )


class NoticeTarget(models.Model):
    """A receiving unit, resolved when the notice is published."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="targets")
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    read_at = models.DateTimeField(_("first read at"), null=True, blank=True)
    acked_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("notice recipient unit")
        verbose_name_plural = _("notice recipient units")
        ordering = ["org__path"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "org"], name="unique_notice_target")
        ]
        indexes = [models.Index(fields=["org", "notice"])]

    def __str__(self) -> str:
        return f"{self.notice_id}→{self.org_id}"


def attachment_path(instance: NoticeAttachment, filename: str) -> str:
    # The stored name is not the uploaded one: users' file names never reach the disk.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"notices/{now:%Y/%m}/{instance.notice_id}-{now:%H%M%S%f}.{suffix}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("attachment"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("file size"))
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notice attachment")
        verbose_name_plural = _("notice attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class NoticeReceipt(models.Model):
    """One person's reading (and acknowledgement) of a notice at one receiving unit."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    read_at = models.DateTimeField(pgettext_lazy("notice", "read at"), default=timezone.now)
    acked_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice receipt")
        verbose_name_plural = _("notice receipts")
        ordering = ["read_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "user", "org"], name="unique_notice_receipt")
        ]
        indexes = [models.Index(fields=["user", "notice"])]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.user_id}@{self.org_id}"
