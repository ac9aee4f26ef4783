"""The 12345 hotline adapter's records: the endpoints, their category mapping, the work
orders received (each one demand) and the state changes pushed back, attempt by attempt.

No personal data is kept here: the requester's name and phone go to the demand's
requester (``demands.DemandRequester``), masked like any other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HotlineEndpoint(models.Model):
    """One receiving organization's connection to the 12345 platform: the shared key the
    platform signs its work orders with (and taizhang its pushes), the push-back address
    and the service account the demands are recorded by."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("receiving organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    code = models.SlugField(_("key id"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    shared_key = models.CharField(_("shared key"), max_length=200)
    push_url = models.URLField(_("push-back URL"), max_length=500)
    default_category = models.ForeignKey(
        "demands.DemandCategory",
        verbose_name=_("default demand category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("hotline endpoint")
        verbose_name_plural = _("hotline endpoints")
        ordering = ["org__path", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class CategoryMapping(models.Model):
    """The platform's category code → the demand category (the small mapping table)."""

    endpoint = models.ForeignKey(HotlineEndpoint, on_delete=models.CASCADE, related_name="mappings")
    platform_code = models.CharField(_("platform category code"), max_length=40)
    category = models.ForeignKey(
        "demands.DemandCategory",
        verbose_name=_("demand category"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        ordering = ["platform_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "platform_code"], name="unique_hotline_mapping"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform_code}→{self.category_id}"


class WorkOrder(models.Model):
    """A work order (工单) received from the platform and the demand it became."""

    endpoint = models.ForeignKey(
        HotlineEndpoint,
        verbose_name=_("hotline endpoint"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    order_no = models.CharField(_("work-order number"), max_length=64)
    platform_category = models.CharField(_("platform category code"), max_length=40, blank=True)
    demand = models.OneToOneField(
        "demands.Demand",
        verbose_name=_("demand"),
        on_delete=models.PROTECT,
        related_name="hotline_order",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "order_no"], name="unique_work_order")
        ]

    def __str__(self) -> str:
        return self.order_no


class PushEvent(models.TextChoices):
    ASSIGNED = "assigned", _("Signed for (assigned)")
    HANDLING = "handling", _("Being handled")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Concluded")
    SATISFACTION = "satisfaction", _("Follow-up result")


class PushStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Push(models.Model):
    """One state change of a hotline demand, pushed back to the platform until it takes it
    (or the attempts run out). ``(order, event, seq)`` is its identity for the receiver:
    the ``seq``-th time this event happened to this order (a reopened demand is replied
    to twice)."""

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="pushes"
    )
    event = models.CharField(_("event"), max_length=16, choices=PushEvent.choices)
    seq = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict)
    # The demand's last step before the change: the step written right after it is the
    # change itself, whose real moment (a late entry's too) the push carries.
    after_step = models.PositiveBigIntegerField(default=0)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("push")
        verbose_name_plural = _("pushes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "event", "seq"], name="unique_hotline_push")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.event_id

    @property
    def event_id(self) -> str:
        return f"{self.order.order_no}:{self.event}:{self.seq}"


class PushAttempt(models.Model):
    """One try of a push: when, what came back, how long it took."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("push attempt")
        verbose_name_plural = _("push attempts")
        ordering = ["push_id", "number"]

    def __str__(self) -> str:
        return f"{self.push_id}#{self.number}"
