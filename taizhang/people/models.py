"""Persons, their Party membership and the positions they hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.crypto import BlindIndexField, EncryptedCharField, EncryptedModel, equals
from taizhang.core.masking import mask_id_number, mask_mobile


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PersonQuerySet(models.QuerySet["Person"]):
    """Equality on the encrypted columns goes through their keyed hashes (ADR 0058)."""

    def with_mobile(self, mobile: str) -> PersonQuerySet:
        return self.filter(equals(self.model, "mobile", mobile))

    def with_id_number(self, *numbers: str) -> PersonQuerySet:
        """Persons holding any of ``numbers`` (a trailing x and X are one number)."""
        return self.filter(equals(self.model, "id_number", numbers))


class Person(EncryptedModel):
    """A person known to the platform. ``organization`` is where the record belongs.

    ``mobile`` and ``id_number`` are personal data: templates and the API show the
    ``masked_*`` properties unless the viewer holds ``people.view_personal``, and each
    reveal is audited (``people.services.person_reveal``). Both are encrypted in the
    database (ADR 0058); equality goes through ``mobile_hash`` and ``id_number_hash``
    (``Person.objects.with_mobile``, ``with_id_number``), and nothing sorts or searches
    by substring on them.

    An external person (``is_external``: an expert, lecturer, talent, ambassador or judge
    from outside the district) is kept by the organization that recorded them, like
    everyone else; ``affiliation`` is their own unit, as free text.
    """

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="persons",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    mobile = EncryptedCharField(_("mobile number"), max_length=20, blank=True)
    id_number = EncryptedCharField(_("ID number"), max_length=18, blank=True)
    mobile_hash = BlindIndexField(source="mobile")
    id_number_hash = BlindIndexField(source="id_number", normalize="upper")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    is_external = models.BooleanField(_("external person"), default=False)
    affiliation = models.CharField(_("affiliation"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class MembershipStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class PartyMembership(models.Model):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="membership")
    branch = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    joined_on = models.DateField(pgettext_lazy("party", "joined on"))
    status = models.CharField(
        _("status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.FULL
    )

    class Meta:
        verbose_name = _("Party membership")

    def __str__(self) -> str:
        return f"{self.person_id}@{self.branch_id}"


class PositionTitle(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    DIRECTOR = "director", _("Director")
    DEPUTY_DIRECTOR = "deputy_director", _("Deputy director")
    GRID_WORKER = "grid_worker", _("Grid worker")
    BUILDING_LEADER = "building_leader", _("Building leader")
    CLERK = "clerk", _("Clerk")
    LEADER = "leader", _("Leader")
    MANAGER = "manager", _("Manager")


class Position(models.Model):
    """A position held in an organization from ``start_date`` until ``end_date`` (open;
    the end date is the last day held). ``document_number`` is the appointment's 任免文号;
    ``end_reason`` says why it ended (term over, transferred, removed…)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="positions")
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="positions",
    )
    title = models.CharField(_("position"), max_length=32, choices=PositionTitle.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    document_number = models.CharField(_("appointment document number"), max_length=60, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["organization_id", "title", "start_date"]
        indexes = [models.Index(fields=["organization", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="position_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.title}@{self.organization_id}"


class PersonTransfer(models.Model):
    """调动: ``person``'s record moved from ``from_org`` to ``to_org`` on ``transferred_on``.

    Both ends keep the history: whoever sees the people of either organization sees
    the move (``permissions.PERSON_TRANSFER``)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="transfers"
    )
    from_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=pgettext_lazy("transfer", "from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    transferred_on = models.DateField(_("transferred on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transferred_on", "-pk"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_org_id} → {self.to_org_id}"


class CommunityReport(models.Model):
    """双报到: ``person`` (a member of an organ or unit) reported to ``community`` on
    ``reported_on`` to serve there, until ``ended_on`` (open while current).

    While a report is current, whoever sees the community's people sees this person
    too (``permissions.PERSON``'s cross-tree rule), and nothing else of their organ.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="reports"
    )
    community = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="community_reports",
    )
    reported_on = models.DateField(_("reported on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community_id", "-reported_on", "pk"]
        verbose_name = _("community report")
        verbose_name_plural = _("community reports")
        indexes = [models.Index(fields=["community", "ended_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("reported_on")),
                name="community_report_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person", "community"],
                condition=models.Q(ended_on__isnull=True),
                name="community_report_one_open",
                violation_error_message=_("This person has already reported to this community."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.community_id} {self.reported_on}"
