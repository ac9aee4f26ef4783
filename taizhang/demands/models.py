"""Residents' and enterprises' demands (民声/诉求), from intake to follow-up.

A demand moves 受理 → 分派 → 办理 → 答复 → 回访/办结 only through ``services.py``;
every step is a dated ``DemandStep``. Requesters' contact data is personal data: it leaves
this module masked unless the viewer holds ``people.view_personal`` on the demand's
organization, and each reveal is audited.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.crypto import BlindIndexField, EncryptedCharField, EncryptedModel
from taizhang.core.masking import mask_mobile


class Channel(models.TextChoices):
    RECEPTION_DAY = "reception_day", _("Reception-day visit")
    HOTLINE = "hotline", _("Hotline call")
    LETTER_VISIT = "letter_visit", _("Letter or visit")
    GRID_REPORT = "grid_report", _("Grid worker report")
    ONLINE = "online", _("Online submission")
    ENTERPRISE_CENTER = "enterprise_center", _("Enterprise service centre")


class DemandState(models.TextChoices):
    RECEIVED = "received", _("Demand received")
    ASSIGNED = "assigned", _("Demand assigned")
    HANDLING = "handling", _("Demand being handled")
    REPLIED = "replied", _("Demand replied")
    CLOSED = "closed", _("Demand concluded")
    MERGED = "merged", _("Merged into another")


OPEN_STATES = (
    DemandState.RECEIVED,
    DemandState.ASSIGNED,
    DemandState.HANDLING,
    DemandState.REPLIED,
)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class RequesterKind(models.TextChoices):
    PERSON = "person", _("Resident requester")
    ENTERPRISE = "enterprise", _("Enterprise requester")


class DemandCategory(models.Model):
    """A kind of demand with its default handling organization and time limit."""

    code = models.SlugField(_("category code"), max_length=40, unique=True)
    name = models.CharField(_("category name"), max_length=40, unique=True)
    default_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("default handling organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    for_enterprises = models.BooleanField(_("enterprise matter"), default=False)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("demand category")
        verbose_name_plural = _("demand categories")

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Demands of ``category`` arising inside ``area`` go to ``handling_org``.

    The deepest matching area wins; without a rule the category's default applies.
    """

    category = models.ForeignKey(DemandCategory, on_delete=models.CASCADE, related_name="rules")
    area = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    handling_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="unique_routing_rule")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}@{self.area_id}→{self.handling_org_id}"


class DelegatedService(models.Model):
    """A service a subdistrict now handles itself (下放街道事项)."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("subdistrict"),
        on_delete=models.PROTECT,
        related_name="delegated_services",
    )
    name = models.CharField(_("service"), max_length=120)
    category = models.ForeignKey(
        DemandCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delegated_by = models.CharField(_("delegated by"), max_length=60, blank=True)
    delegated_on = models.DateField(_("delegated on"))

    class Meta:
        verbose_name = _("delegated service")
        verbose_name_plural = _("delegated services")
        ordering = ["org__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="unique_delegated_service")
        ]

    def __str__(self) -> str:
        return self.name


class Demand(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("receiving organization"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    location = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("where it arose"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Where exactly, when the requester said (Open311's lat/long and address_string):
    # the place of the matter, not the requester's contact address.
    lat = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    long = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    address_string = models.CharField(_("address of the matter"), max_length=200, blank=True)
    category = models.ForeignKey(
        DemandCategory, verbose_name=_("demand category"), on_delete=models.PROTECT
    )
    title = models.CharField(_("demand summary"), max_length=200)
    content = models.TextField(_("demand content"))
    enterprise = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("enterprise served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handling_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("handling organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_demands",
    )
    state = models.CharField(
        _("demand state"), max_length=16, choices=DemandState.choices, default=DemandState.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"))
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("due on"))
    assigned_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(_("concluded on"), null=True, blank=True)
    # The day of the last follow-up call (回访), also when it reopened the demand.
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    reply_text = models.TextField(_("reply"), blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        indexes = [
            models.Index(fields=["org", "state"]),
            models.Index(fields=["handling_org", "state"]),
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["received_on"]),
            models.Index(fields=["enterprise", "received_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("demands:detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"SQ{self.received_on:%Y}-{self.pk or 0:05d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.long is not None

    @property
    def is_overdue(self) -> bool:
        """Not yet replied by the due day (a reply stops the clock)."""
        if self.state in (DemandState.MERGED,):
            return False
        if self.replied_at is not None:
            return timezone.localtime(self.replied_at).date() > self.due_on
        return self.due_on < timezone.localdate()


class DemandRequester(EncryptedModel):
    """Who asked: a resident or an enterprise. ``mobile`` and ``address`` are personal data.
    ``mobile`` is encrypted in the database (ADR 0058): equality goes through
    ``mobile_hash`` (``crypto.equals(DemandRequester, "mobile", x)``)."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="requesters")
    kind = models.CharField(_("requester type"), max_length=16, choices=RequesterKind.choices)
    name = models.CharField(_("requester name"), max_length=100)
    enterprise = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mobile = EncryptedCharField(_("contact mobile"), max_length=20, blank=True)
    mobile_hash = BlindIndexField(source="mobile")
    address = models.CharField(_("contact address"), max_length=200, blank=True)
    is_primary = models.BooleanField(default=True)
    merged_from = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("requester")
        verbose_name_plural = _("requesters")
        ordering = ["-is_primary", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def masked_address(self) -> str:
        """Keep the first six characters (district and street), hide the rest."""
        if not self.address:
            return ""
        return self.address[:6] + "****"


class DemandAction(models.TextChoices):
    RECEIVE = "receive", _("Demand received")
    ASSIGN = "assign", _("Demand assigned")
    REASSIGN = "reassign", _("Demand reassigned")
    START = "start", _("Handling started")
    REPLY = "reply", _("Replied to the requester")
    FOLLOW_UP = "follow_up", _("Followed up")
    REOPEN = "reopen", _("Reopened after an unsatisfied follow-up")
    MERGE = "merge", _("Merged as duplicate")
    ABSORB = "absorb", _("Duplicate merged in")
    RAISE_PROBLEM = "raise_problem", _("Raised on the problem list")


class DemandStep(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16, choices=DemandAction.choices)
    from_state = models.CharField(max_length=16, choices=DemandState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=DemandState.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    note = models.TextField(blank=True)
    # 补录: a step entered after it took place. ``occurred_at`` is the real moment,
    # ``entered_at`` the moment it was typed or imported, ``late_reason`` why.
    late_reason = models.CharField(_("reason for the late entry"), max_length=200, blank=True)
    entered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demand step")
        verbose_name_plural = _("demand steps")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["demand", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action}"

    @property
    def is_late_entry(self) -> bool:
        return bool(self.late_reason)
