"""The organization tree, its dated history, and groupings across it.

``parent`` is the truth. ``path`` and ``depth`` are derived and maintained by the
services in ``services.py`` only (ADR 0001): the path is the concatenation of fixed-width
base-36 ids from the root down, so a subtree is one index range on ``path``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

SEGMENT_WIDTH = 6
SEGMENT_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Kinds that only a root may have, and kinds whose parent must be of a given kind: a
# city committee stands above districts, never inside them. Other kinds nest freely,
# as real trees do (an organ's branch, a village's general branch).
ROOT_ONLY_KINDS = frozenset({"city_committee"})
PARENT_KINDS: dict[str, frozenset[str]] = {
    "district_committee": frozenset({"city_committee"}),
}

# Sorts after every character of the alphabet, in SQLite's BINARY and PostgreSQL's "C".
PATH_UPPER_SENTINEL = "~"


def encode_segment(pk: int) -> str:
    if pk <= 0 or pk >= 36**SEGMENT_WIDTH:
        raise ValueError(f"Organization id {pk} does not fit a path segment")
    digits = []
    while pk:
        pk, rem = divmod(pk, 36)
        digits.append(SEGMENT_ALPHABET[rem])
    return "".join(reversed(digits)).rjust(SEGMENT_WIDTH, "0")


def subtree_bounds(path: str) -> tuple[str, str]:
    """The half-open range ``[path, upper)`` holding a node and all its descendants."""
    return path, path + PATH_UPPER_SENTINEL


class PathField(models.CharField):  # type: ignore[type-arg]
    """A CharField compared byte by byte on every backend.

    PostgreSQL's default collation (e.g. en_US.UTF-8) ignores punctuation at the first
    level, which would break the ``~`` upper bound; the "C" collation compares bytes,
    as SQLite's BINARY does.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class OrgKind(models.TextChoices):
    CITY_COMMITTEE = "city_committee", _("City committee")
    DISTRICT_COMMITTEE = "district_committee", _("District committee")
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Party branch")
    ORGAN = "organ", _("Government organ")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")
    BUILDING = "building", _("Building")
    ENTERPRISE = "enterprise", _("Enterprise")


class Organization(models.Model):
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = PathField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # A closed organization keeps its row, its history and every record booked on it;
    # it only stops taking children and new records.
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [models.Index(fields=["parent", "sort_order"])]

    def __str__(self) -> str:
        return self.name

    @property
    def subtree_bounds(self) -> tuple[str, str]:
        return subtree_bounds(self.path)

    def ancestor_paths(self) -> list[str]:
        """Paths of every ancestor, root first, read off this node's own path."""
        return [self.path[:end] for end in range(SEGMENT_WIDTH, len(self.path), SEGMENT_WIDTH)]


class OrganizationVersion(models.Model):
    """A dated state of an organization: its name and place in the tree from..to.

    Statistics for a past period roll up to the structure valid then.
    ``valid_to`` is exclusive; the current version has none.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="versions"
    )
    parent = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=120)
    short_name = models.CharField(max_length=40)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("organization version")
        verbose_name_plural = _("organization versions")
        ordering = ["organization_id", "valid_from"]
        indexes = [models.Index(fields=["organization", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.name} [{self.valid_from}..{self.valid_to or ''})"


class TreeLock(models.Model):
    """A single row locked by structural changes (moves) so they run one at a time."""

    class Meta:
        verbose_name = _("tree lock")
        verbose_name_plural = _("tree locks")

    def __str__(self) -> str:
        return "tree lock"


class Grouping(models.Model):
    """Units from different branches working together, e.g. a 党建联创协作组."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=60, blank=True)
    owner = models.ForeignKey(
        Organization,
        verbose_name=_("owning organization"),
        on_delete=models.PROTECT,
        related_name="owned_groupings",
    )
    members: models.ManyToManyField[Organization, GroupingMembership] = models.ManyToManyField(
        Organization, through="GroupingMembership", related_name="groupings"
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("grouping")
        verbose_name_plural = _("groupings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupingMembership(models.Model):
    grouping = models.ForeignKey(Grouping, on_delete=models.CASCADE)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    # Exclusive, like OrganizationVersion.valid_to: a member on ``left_on`` is gone.
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("grouping member")
        verbose_name_plural = _("grouping members")
        ordering = ["joined_on", "pk"]
        constraints = [
            # A unit may leave and join again, but is a current member once at most.
            models.UniqueConstraint(
                fields=["grouping", "organization"],
                condition=models.Q(left_on__isnull=True),
                name="unique_current_grouping_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grouping_id}:{self.organization_id}"
