"""One rule for persons, used by every module that shows or picks a person.

A person is seen with ``people.view`` on the organization that keeps the record
(``organization``) and recorded or changed with ``people.manage`` there. Unmasked
personal data needs ``people.view_personal`` on it (``can_view_personal``). External
persons (experts, lecturers, judges from other units) are kept by the organization that
recorded them, so the same rule covers them. Linked leaders are the one exception every
module shares: ``selectors.leader_candidates`` (they hold public office).

Work across the tree (双报到): a member of an organ who reported to a community is
seen, while the report is current, by whoever sees that community's people
(``REPORTED_TO_COMMUNITY``). It widens reading only: the community cannot change the
person, see their personal data unmasked, or see anyone else of the organ.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.people.models import CommunityReport, Person, PersonTransfer

VIEW = "people.view"
MANAGE = "people.manage"
VIEW_PERSONAL = "people.view_personal"

COMMUNITY_REPORT: ScopePolicy[CommunityReport] = ScopePolicy(
    name="people.community_report",
    model=CommunityReport,
    view=VIEW,
    manage=MANAGE,
    org_fields=("community",),
)
"""A 双报到 record belongs to the community: its people clerk records and ends it."""


def current_reports_q() -> Q:
    """Reports in force today: begun, and not ended (an end date is the first day off)."""
    today = timezone.localdate()
    return Q(reported_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gt=today))


def _reported_q(viewer: Actor, permission: str) -> Q:
    if permission != VIEW:
        return Q(pk__in=[])
    reports = COMMUNITY_REPORT.queryset(viewer, VIEW).filter(current_reports_q())
    return Q(pk__in=reports.values("person_id"))


def _reported_covers(viewer: Actor, person: Person, permission: str) -> bool:
    if permission != VIEW or person.pk is None:
        return False
    reports = CommunityReport.objects.filter(current_reports_q(), person_id=person.pk)
    return any(
        COMMUNITY_REPORT.covers(viewer, report, VIEW)
        for report in reports.select_related("community")
    )


REPORTED_TO_COMMUNITY = CrossTreeRule(
    name="people.reported_to_community",
    # Lazy: the policy is built at import, before a request picks the language.
    description=_("reported to a community whose people you see (双报到)"),
    q=_reported_q,
    covers=_reported_covers,
)

PERSON: ScopePolicy[Person] = ScopePolicy(
    name="people.person",
    model=Person,
    view=VIEW,
    manage=MANAGE,
    org_fields=("organization",),
    extra=(REPORTED_TO_COMMUNITY,),
)

PERSON_TRANSFER: ScopePolicy[PersonTransfer] = ScopePolicy(
    name="people.person_transfer",
    model=PersonTransfer,
    view=VIEW,
    manage=MANAGE,
    org_fields=("from_org", "to_org"),
)
"""调动 history: seen by whoever sees the people of the old or the new organization."""


def can_view_personal(viewer: Actor | None, person: Person) -> bool:
    """Whether the viewer may see this person's unmasked personal data."""
    return PERSON.covers(viewer, person, VIEW_PERSONAL)
