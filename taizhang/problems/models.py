"""The problem ledger (问题清单): items put on the ledger and struck off with evidence.

A problem moves 挂账 → 整改中 → 待验收 → 销号 (and back by send-back or reopen) only
through ``services.py``; every move leaves a dated ``ProblemStep``. Where a problem came
from is a source plus a generic origin (``origin_type``/``origin_id``), not a foreign
key, because the modules it comes from (projects, demands, activities) are independent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.models import Accountable


class ProblemKind(models.Model):
    """A kind of ledger item (问题, 攻关事项, 调研课题 ...): a dictionary admins extend."""

    code = models.SlugField(_("kind code"), max_length=40, unique=True)
    name = models.CharField(_("kind name"), max_length=40, unique=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Duties kept apart: by default whoever put an item on the ledger or submitted its
    # evidence may not also close it out; a kind may allow it (e.g. a unit's own tasks).
    self_close_allowed = models.BooleanField(
        _("may be closed out by whoever raised it or submitted its evidence"), default=False
    )

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("problem kind")
        verbose_name_plural = _("problem kinds")

    def __str__(self) -> str:
        return self.name


class ProblemSource(models.TextChoices):
    SURVEY = "survey", _("Field survey")
    INSPECTION = "inspection", _("Supervision")
    PATROL = "patrol", _("Inspection tour")
    DEMAND = "demand", _("Demand")
    MEETING = "meeting", _("Meeting")
    SELF_CHECK = "self_check", _("Self-check")
    INSTRUCTION = "instruction", _("Leader's instruction")


class ProblemCategory(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    LIVELIHOOD = "livelihood", _("Livelihood services")
    BUSINESS = "business", _("Business environment")
    SAFETY = "safety", _("Work safety")
    ENVIRONMENT = "environment", _("Environment")
    GOVERNANCE = "governance", _("Grassroots governance")
    PARTY = "party", _("Party building")
    OTHER = "other", _("Other")


class ProblemState(models.TextChoices):
    OPEN = "open", _("On the ledger")
    IN_PROGRESS = "in_progress", _("Being fixed")
    PENDING = "pending", _("Awaiting sign-off")
    CLOSED = "closed", _("Closed out")


OPEN_STATES = (ProblemState.OPEN, ProblemState.IN_PROGRESS, ProblemState.PENDING)


class Problem(Accountable):
    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("owning unit"),
        on_delete=models.PROTECT,
        related_name="problems",
    )
    title = models.CharField(_("problem title"), max_length=200)
    description = models.TextField(_("problem description"), blank=True)
    kind = models.ForeignKey(
        ProblemKind,
        verbose_name=_("problem kind"),
        on_delete=models.PROTECT,
        related_name="problems",
    )
    source = models.CharField(_("problem source"), max_length=16, choices=ProblemSource.choices)
    category = models.CharField(
        _("problem category"),
        max_length=20,
        choices=ProblemCategory.choices,
        default="other",
    )
    origin_type = models.CharField(_("origin type"), max_length=60, blank=True)
    origin_id = models.PositiveBigIntegerField(_("origin id"), null=True, blank=True)
    origin_label = models.CharField(_("origin record"), max_length=200, blank=True)
    deadline = models.DateField(_("rectification deadline"))
    # 现场解决: raised and solved there and then, during a visit (issue 15's figure).
    solved_on_spot = models.BooleanField(_("solved on the spot"), default=False, db_default=False)
    state = models.CharField(
        _("ledger state"),
        max_length=16,
        choices=ProblemState.choices,
        default=ProblemState.OPEN,
    )
    raised_on = models.DateField(_("put on the ledger on"), default=timezone.localdate)
    measures = models.TextField(_("rectification measures"), blank=True)
    evidence_text = models.TextField(_("rectification evidence"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    verifier = models.ForeignKey(
        "people.Person",
        verbose_name=_("verifier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verified_problems",
    )
    closed_on = models.DateField(_("closed out on"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-raised_on", "-pk"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["origin_type", "origin_id"]),
            models.Index(fields=["org", "state"]),
            models.Index(fields=["lead_unit", "state"]),
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["linked_leader", "state"]),
            # The list's default order: the newest 50 of a large subtree without a sort.
            models.Index(fields=["-raised_on", "-id"], name="problem_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", args=[self.pk])

    @property
    def number(self) -> str:
        """The ledger number, e.g. ``WT2026-00042``: year raised and id."""
        return f"WT{self.raised_on:%Y}-{self.pk or 0:05d}"

    @property
    def is_open(self) -> bool:
        return self.state != ProblemState.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline < timezone.localdate()

    @property
    def days_overdue(self) -> int:
        return (timezone.localdate() - self.deadline).days if self.is_overdue else 0


class StepAction(models.TextChoices):
    RAISE = "raise", _("Put on the ledger")
    UPDATE = "update", _("Details changed")
    START = "start", _("Work started")
    SUBMIT = "submit", _("Evidence submitted")
    VERIFY = "verify", _("Signed off and closed out")
    SEND_BACK = "send_back", _("Sent back")
    REOPEN = "reopen", _("Reopened")
    ESCALATE = "escalate", _("Overdue, escalated to the linked leader")


class ProblemStep(models.Model):
    """One dated step of a problem's life: who did what, from which state to which."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("step action"), max_length=16, choices=StepAction.choices)
    from_state = models.CharField(max_length=16, choices=ProblemState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ProblemState.choices)
    occurred_at = models.DateTimeField(_("step time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("done by"), max_length=60, blank=True)
    note = models.TextField(_("step note"), blank=True)
    # 补录: a step taken in the past and entered later (an import, a clerk catching up).
    # ``occurred_at`` is when it happened; these say why and when it was typed in.
    late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)
    entered_at = models.DateTimeField(_("entered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["problem", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action} {self.occurred_at:%Y-%m-%d}"

    @property
    def is_late_entry(self) -> bool:
        return bool(self.late_reason)


def evidence_path(instance: ProblemEvidence, filename: str) -> str:
    # The stored name is not the uploaded one: users' file names never reach the disk.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"problems/{now:%Y/%m}/{instance.problem_id}-{now:%H%M%S%f}.{suffix}"


class ProblemEvidence(models.Model):
    """An attachment proving the rectification (photo, PDF, document)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="evidence")
    step = models.ForeignKey(
        ProblemStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    file = models.FileField(
        pgettext_lazy("evidence", "evidence file"), upload_to=evidence_path, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("file size"))
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = pgettext_lazy("evidence", "evidence file")

    def __str__(self) -> str:
        return self.original_name


class InstructionState(models.TextChoices):
    OPEN = "open", pgettext_lazy("instruction", "Being handled")
    DONE = "done", pgettext_lazy("instruction", "Completed")


class Instruction(models.Model):
    """领导批示/交办: a named leader's instruction to a unit, with a deadline, tracked to
    completion. The problems it gives rise to name it as their origin (source 领导交办);
    it is completed with its result once they are all closed out."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        related_name="instructions",
    )
    leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("instructing leader"),
        on_delete=models.PROTECT,
        related_name="instructions_given",
    )
    title = models.CharField(_("instruction title"), max_length=200)
    content = models.TextField(_("instruction text"))
    issued_on = models.DateField(_("instructed on"))
    deadline = models.DateField(_("to be completed by"))
    state = models.CharField(
        _("state"), max_length=8, choices=InstructionState.choices, default=InstructionState.OPEN
    )
    done_on = models.DateField(_("day of completion"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("leader's instruction")
        verbose_name_plural = _("leaders' instructions")
        indexes = [models.Index(fields=["org", "state", "deadline"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("problems:instruction_detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.state == InstructionState.OPEN and self.deadline < timezone.localdate()


class ResearchStage(models.TextChoices):
    """调研课题's own flow, in order: 选题 → 调研 → 报告 → 成果转化."""

    TOPIC = "topic", pgettext_lazy("research", "Topic chosen")
    SURVEY = "survey", pgettext_lazy("research", "Surveying")
    REPORT = "report", pgettext_lazy("research", "Report")
    OUTCOME = "outcome", pgettext_lazy("research", "Outcomes adopted")


RESEARCH_STAGES: tuple[str, ...] = tuple(ResearchStage.values)


def research_report_path(instance: ResearchTopic, filename: str) -> str:
    # The stored name is not the uploaded one: users' file names never reach the disk.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"problems/research/{now:%Y/%m}/{instance.pk}-{now:%H%M%S%f}.{suffix}"


class ResearchTopic(models.Model):
    """调研课题: a unit's research topic, moved 选题 → 调研 → 报告 → 成果转化 (forward only,
    each move a dated ``ResearchStep``), with its report and what was adopted from it
    (``ResearchOutcome``). Problems found by it name it as their origin."""

    org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("unit doing the research"),
        on_delete=models.PROTECT,
        related_name="research_topics",
    )
    title = models.CharField(_("research topic"), max_length=200)
    description = models.TextField(_("aims and scope"), blank=True)
    lead_leader = models.ForeignKey(
        "people.Person",
        verbose_name=_("leading leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="research_topics_led",
    )
    team = models.ManyToManyField(
        "people.Person", verbose_name=_("research team"), blank=True, related_name="+"
    )
    team_text = models.CharField(_("research team (as written)"), max_length=200, blank=True)
    chosen_on = models.DateField(_("topic chosen on"))
    stage = models.CharField(
        pgettext_lazy("research", "stage"),
        max_length=8,
        choices=ResearchStage.choices,
        default=ResearchStage.TOPIC,
    )
    report_title = models.CharField(_("report title"), max_length=200, blank=True)
    report_on = models.DateField(_("report date"), null=True, blank=True)
    report_text = models.TextField(_("report text"), blank=True)
    report_file = models.FileField(
        _("report file"), upload_to=research_report_path, max_length=200, blank=True
    )
    report_file_name = models.CharField(_("file name"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-chosen_on", "-pk"]
        verbose_name = _("research topic")
        verbose_name_plural = _("research topics")
        indexes = [models.Index(fields=["org", "stage"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("problems:research_detail", args=[self.pk])

    @property
    def stage_index(self) -> int:
        return RESEARCH_STAGES.index(self.stage)

    @property
    def next_stage(self) -> str:
        i = self.stage_index + 1
        return RESEARCH_STAGES[i] if i < len(RESEARCH_STAGES) else ""

    @property
    def has_report(self) -> bool:
        return self.report_on is not None


class ResearchStep(models.Model):
    """The day a research topic reached a stage (补录 when entered later, with why)."""

    topic = models.ForeignKey(ResearchTopic, on_delete=models.CASCADE, related_name="steps")
    stage = models.CharField(
        pgettext_lazy("research", "stage"), max_length=8, choices=ResearchStage.choices
    )
    occurred_on = models.DateField(_("date reached"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("done by"), max_length=60, blank=True)
    note = models.TextField(_("step note"), blank=True)
    late_reason = models.CharField(_("late entry reason"), max_length=200, blank=True)
    entered_at = models.DateTimeField(_("entered on"), default=timezone.now)

    class Meta:
        ordering = ["occurred_on", "pk"]
        verbose_name = _("research step")
        verbose_name_plural = _("research steps")
        constraints = [
            models.UniqueConstraint(fields=["topic", "stage"], name="research_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.topic_id} {self.stage} {self.occurred_on:%Y-%m-%d}"

    @property
    def is_late_entry(self) -> bool:
        return bool(self.late_reason)


class ResearchOutcome(models.Model):
    """成果转化: one thing adopted from a research topic (a policy document, a mechanism)."""

    topic = models.ForeignKey(ResearchTopic, on_delete=models.CASCADE, related_name="outcomes")
    text = models.CharField(_("what was adopted"), max_length=300)
    adopted_on = models.DateField(_("adopted on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["adopted_on", "pk"]
        verbose_name = _("research outcome")
        verbose_name_plural = _("research outcomes")

    def __str__(self) -> str:
        return self.text
