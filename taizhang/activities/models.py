"""Activities (活动), campaigns (专项行动) and 双报到 volunteer service.

An activity belongs to the organization holding it (``org``); co-hosts are listed but
do not widen who sees it. Attendance is either the list of persons who came
(``AttendanceMode.LIST``, one ``Attendance`` row each) or only a reported headcount
(``AttendanceMode.HEADCOUNT``); ``participants`` holds the number either way, so it can
be summed, while coverage of distinct members is computed from ``Attendance`` alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActivityKind(models.Model):
    """A kind of activity (集中学习, 主题党课 ...): a dictionary administrators extend."""

    code = models.SlugField(_("activity kind code"), max_length=40, unique=True)
    name = models.CharField(_("activity kind name"), max_length=40, unique=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("activity kind")
        verbose_name_plural = _("activity kinds")

    def __str__(self) -> str:
        return self.name


class VenueCategory(models.Model):
    """Where an activity reaches people (进企业、进机关、进校园、进社区、进网络 ...)."""

    code = models.SlugField(_("venue category code"), max_length=40, unique=True)
    name = models.CharField(_("venue category"), max_length=40, unique=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("venue category")
        verbose_name_plural = _("venue categories")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A 专项行动 such as 百场宣讲: a target number of activities in a period."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organizing organization"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    title = models.CharField(_("campaign title"), max_length=120)
    kind = models.ForeignKey(
        ActivityKind,
        verbose_name=_("activity kind"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    target_count = models.PositiveIntegerField(_("target number of activities"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    venue_categories: models.ManyToManyField[VenueCategory, Campaign] = models.ManyToManyField(
        VenueCategory, verbose_name=_("venue categories to reach"), blank=True, related_name="+"
    )
    description = models.TextField(_("campaign description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("campaign")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="campaign_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class CampaignTeam(models.Model):
    """A team of a campaign (宣讲队) with its members and its quota of activities."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name of the team"), max_length=80)
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("team organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    quota = models.PositiveIntegerField(_("quota of activities"), default=0)
    leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("leader of the team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    members: models.ManyToManyField[models.Model, models.Model] = models.ManyToManyField(
        "people.Person", verbose_name=_("team members"), blank=True, related_name="campaign_teams"
    )

    class Meta:
        ordering = ["campaign_id", "pk"]
        verbose_name = _("campaign team")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="unique_campaign_team_name")
        ]

    def __str__(self) -> str:
        return self.name


class ActivityMode(models.TextChoices):
    OFFLINE = "offline", _("Held offline")
    ONLINE = "online", _("Held online")
    HYBRID = "hybrid", _("Held online and offline")


class AttendanceMode(models.TextChoices):
    LIST = "list", _("List of attendees")
    HEADCOUNT = "headcount", _("Headcount only")


class Activity(models.Model):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("holding organization"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    co_orgs: models.ManyToManyField[models.Model, models.Model] = models.ManyToManyField(
        "organizations.Organization",
        verbose_name=_("co-hosting organizations"),
        blank=True,
        related_name="co_hosted_activities",
    )
    kind = models.ForeignKey(
        ActivityKind, verbose_name=_("activity kind"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("topic"), max_length=160)
    held_on = models.DateField(_("date held"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    mode = models.CharField(
        _("online or offline"), max_length=10, choices=ActivityMode.choices, default="offline"
    )
    venue = models.CharField(_("venue"), max_length=120, blank=True)
    venue_category = models.ForeignKey(
        VenueCategory,
        verbose_name=_("venue category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    speaker = models.ForeignKey(
        "people.Person",
        verbose_name=_("speaker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A speaker from outside the registry (a 党校 teacher, an expert): the name and the
    # title or affiliation; ``speaker_title`` also qualifies a speaker of the registry.
    # Database defaults too, so rows inserted by SQL (the benchmark's generator, a bulk
    # load) need not name these columns.
    speaker_name = models.CharField(
        _("external speaker"), max_length=60, blank=True, default="", db_default=""
    )
    speaker_title = models.CharField(
        _("speaker's title or affiliation"),
        max_length=120,
        blank=True,
        default="",
        db_default="",
    )
    # Co-hosts outside the tree (a company, a school, the 区检察院): one name per line.
    co_host_names = models.TextField(
        _("co-hosts outside the organization tree"), blank=True, default="", db_default=""
    )
    # A summary entry for repeated sessions ("先后7次宣讲"): the figures that speak of
    # 场/次 sum this, the entries' figures count rows.
    sessions = models.PositiveIntegerField(
        pgettext_lazy("activity", "number of sessions"), default=1, db_default=1
    )
    materials = models.TextField(_("materials"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    team = models.ForeignKey(
        CampaignTeam,
        verbose_name=_("campaign team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    # Work done for a grouping across the tree (联创协作组): the holding organization
    # was a member on the day held (the services check it).
    grouping = models.ForeignKey(
        "organizations.Grouping",
        verbose_name=_("grouping"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    attendance_mode = models.CharField(
        _("attendance recorded as"),
        max_length=10,
        choices=AttendanceMode.choices,
        default=AttendanceMode.HEADCOUNT,
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    attendees: models.ManyToManyField[models.Model, models.Model] = models.ManyToManyField(
        "people.Person", through="Attendance", related_name="activities_attended"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["org", "held_on"]),
            models.Index(fields=["kind", "held_on"]),
            models.Index(fields=["campaign", "held_on"]),
            # The list's order, newest first: "the newest 50 in the subtree" reads the
            # index instead of sorting every activity (issue 20).
            models.Index(fields=["-held_on", "-id"], name="activity_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sessions__gte=1), name="activity_at_least_one_session"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    @property
    def is_survey(self) -> bool:
        return self.kind.code == "survey"

    @property
    def outside_co_hosts(self) -> list[str]:
        return [line.strip() for line in self.co_host_names.splitlines() if line.strip()]


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Activity photo")
    SIGN_IN = "sign_in", _("Sign-in sheet")
    MINUTES = "minutes", pgettext_lazy("attachment", "Minutes")
    OTHER = "other", _("Other material")


def attachment_path(instance: ActivityAttachment, filename: str) -> str:
    """A generated name under ``MEDIA_ROOT`` (never the uploaded one)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"activities/{now:%Y/%m}/{instance.activity_id}-{now:%H%M%S%f}.{suffix}"


class ActivityAttachment(models.Model):
    """Evidence of an activity (活动照片、签到表、会议记录), checked by core's upload
    policy and served only as a download to those who see the activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind of attachment"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("attachment file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("file size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "uploaded_at", "pk"]
        verbose_name = _("activity attachment")
        verbose_name_plural = _("activity attachments")

    def __str__(self) -> str:
        return self.original_name


class Attendance(models.Model):
    """One person present at one activity (only for ``AttendanceMode.LIST``)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="unique_attendance")
        ]
        indexes = [models.Index(fields=["person", "activity"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.activity_id}"


class VolunteerService(models.Model):
    """双报到: one member's volunteer service in a community, one person-time per row."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("community served"),
        on_delete=models.PROTECT,
        related_name="volunteer_services",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="volunteer_services",
    )
    served_on = models.DateField(_("date served"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    content = models.CharField(_("service content"), max_length=160)
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_services",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-served_on", "-pk"]
        verbose_name = _("volunteer service")
        indexes = [models.Index(fields=["org", "served_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24),
                name="volunteer_hours_in_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.served_on}"
