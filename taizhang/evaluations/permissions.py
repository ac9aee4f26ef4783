"""Who may see and act on competitions and awards: the scope policies, the duties kept
apart, and the conflict-of-interest rule.

Scope (ADR 0036, ADR 0043): a competition, award, entry or nomination is seen with
``evaluations.view`` on the organizing (awarding) organization, and run with
``evaluations.manage`` there. Three reads cross the tree, each a named rule on the
policy: a judge sees the competitions they are named to (and their entries); a published
competition reaches the units below its organizer; an award reaches the units below the
awarding body at all times (they nominate, then read the honour roll).

Duties kept apart: scoring follows the appointment, not a role. A judge scores only the
entries without a conflict of interest and never runs or publishes the competition they
judge; an organizer is offered scoring only once named a judge, and may not name herself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core.actors import Actor, is_system
from taizhang.evaluations.models import (
    Award,
    Competition,
    CompetitionStatus,
    Entry,
    Judge,
    Nomination,
    NominationStatus,
    Objection,
)
from taizhang.organizations.models import SEGMENT_WIDTH, Organization
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy

VIEW = "evaluations.view"
MANAGE = "evaluations.manage"
ACTIONS = {"manage", "score", "review", "publish", "nominate"}

NOTHING = Q(pk__in=[])


def _signed_in(viewer: Actor | None) -> bool:
    return viewer is not None and bool(getattr(viewer, "is_authenticated", False))


# Reach-down: the organizations strictly above the top of the viewer's view scope.


def ancestor_paths(viewer: Actor | None) -> list[str]:
    """Paths strictly above the top organizations of the viewer's ``evaluations.view``
    scope (computed on the server from the grants)."""
    if not _signed_in(viewer):
        return []
    scope = COMPETITION.scope(viewer, VIEW)
    tops = list(scope.subtree_paths)
    if scope.org_ids:
        tops += list(
            Organization.objects.filter(pk__in=sorted(scope.org_ids)).values_list("path", flat=True)
        )
    return sorted(
        {top[:end] for top in tops for end in range(SEGMENT_WIDTH, len(top), SEGMENT_WIDTH)}
    )


def _above(viewer: Actor | None, org: Organization | None) -> bool:
    return org is not None and org.path in ancestor_paths(viewer)


def is_judge(viewer: Actor | None, competition: Competition) -> bool:
    """Whether ``viewer`` is named a judge of ``competition``."""
    if not _signed_in(viewer) or viewer is None or viewer.pk is None:
        return False
    return Judge.objects.filter(competition_id=competition.pk, user_id=viewer.pk).exists()


def _judging(viewer: Actor, competition_ref: str) -> Q:
    if viewer is None or getattr(viewer, "pk", None) is None:
        return NOTHING
    return Q(Exists(Judge.objects.filter(competition=OuterRef(competition_ref), user_id=viewer.pk)))


def _view_only(permission: str) -> bool:
    # Cross-tree reads never widen what a viewer may write.
    return permission == VIEW


JUDGE_SEES_COMPETITION = CrossTreeRule(
    name="evaluations.judge_sees_competition",
    description=gettext_lazy("You are a judge of this competition."),
    q=lambda viewer, permission: _judging(viewer, "pk") if _view_only(permission) else NOTHING,
    covers=lambda viewer, obj, permission: _view_only(permission) and is_judge(viewer, obj),
)
PUBLISHED_COMPETITION_REACHES_DOWN = CrossTreeRule(
    name="evaluations.published_competition_reaches_down",
    description=gettext_lazy("The results are published to the units below the organizer."),
    q=lambda viewer, permission: (
        Q(status=CompetitionStatus.PUBLISHED, org__path__in=ancestor_paths(viewer))
        if _view_only(permission)
        else NOTHING
    ),
    covers=lambda viewer, obj, permission: (
        _view_only(permission)
        and obj.status == CompetitionStatus.PUBLISHED
        and _above(viewer, obj.org)
    ),
)
JUDGE_SEES_ENTRIES = CrossTreeRule(
    name="evaluations.judge_sees_entries",
    description=gettext_lazy("You are a judge of this entry's competition."),
    q=lambda viewer, permission: (
        _judging(viewer, "competition") if _view_only(permission) else NOTHING
    ),
    covers=lambda viewer, obj, permission: (
        _view_only(permission) and is_judge(viewer, obj.competition)
    ),
)
PUBLISHED_ENTRIES_REACH_DOWN = CrossTreeRule(
    name="evaluations.published_entries_reach_down",
    description=gettext_lazy("The results are published to the units below the organizer."),
    q=lambda viewer, permission: (
        Q(
            competition__status=CompetitionStatus.PUBLISHED,
            competition__org__path__in=ancestor_paths(viewer),
        )
        if _view_only(permission)
        else NOTHING
    ),
    covers=lambda viewer, obj, permission: (
        _view_only(permission)
        and obj.competition.status == CompetitionStatus.PUBLISHED
        and _above(viewer, obj.competition.org)
    ),
)
AWARD_REACHES_DOWN = CrossTreeRule(
    name="evaluations.award_reaches_down",
    description=gettext_lazy(
        "Units below the awarding body nominate to it and read its honour roll."
    ),
    q=lambda viewer, permission: (
        Q(org__path__in=ancestor_paths(viewer)) if _view_only(permission) else NOTHING
    ),
    covers=lambda viewer, obj, permission: _view_only(permission) and _above(viewer, obj.org),
)
HONOUR_ROLL_REACHES_DOWN = CrossTreeRule(
    name="evaluations.honour_roll_reaches_down",
    description=gettext_lazy(
        "The published honour roll is read by the units below the awarding body."
    ),
    q=lambda viewer, permission: (
        Q(status=NominationStatus.PUBLISHED, award__org__path__in=ancestor_paths(viewer))
        if _view_only(permission)
        else NOTHING
    ),
    covers=lambda viewer, obj, permission: (
        _view_only(permission)
        and obj.status == NominationStatus.PUBLISHED
        and _above(viewer, obj.award.org)
    ),
)

COMPETITION: ScopePolicy[Competition] = ScopePolicy(
    name="evaluations.competition",
    model=Competition,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
    extra=(JUDGE_SEES_COMPETITION, PUBLISHED_COMPETITION_REACHES_DOWN),
)
# An entry is seen with its competition; its owning organization (``org``) decides
# conflicts of interest and who may register it (manage on the owner too).
ENTRY: ScopePolicy[Entry] = ScopePolicy(
    name="evaluations.entry",
    model=Entry,
    view=VIEW,
    manage=MANAGE,
    org_fields=("competition__org",),
    extra=(JUDGE_SEES_ENTRIES, PUBLISHED_ENTRIES_REACH_DOWN),
)
AWARD: ScopePolicy[Award] = ScopePolicy(
    name="evaluations.award",
    model=Award,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
    extra=(AWARD_REACHES_DOWN,),
)
# The awarding body sees every nomination; a unit below it sees its own nominees.
NOMINATION: ScopePolicy[Nomination] = ScopePolicy(
    name="evaluations.nomination",
    model=Nomination,
    view=VIEW,
    manage=MANAGE,
    org_fields=("award__org", "org"),
    extra=(HONOUR_ROLL_REACHES_DOWN,),
)
# Objections raised during an award's public notice (公示): the awarding body's records.
OBJECTION: ScopePolicy[Objection] = ScopePolicy(
    name="evaluations.objection",
    model=Objection,
    view=VIEW,
    manage=MANAGE,
    org_fields=("award__org",),
)
POLICIES = (COMPETITION, ENTRY, AWARD, NOMINATION, OBJECTION)


def organizers_see(viewer: Actor | None, competition: Competition) -> bool:
    """Whether ``viewer`` holds ``evaluations.view`` on the organizing unit itself (not
    through a cross-tree rule): live scores and ranks are for them, judges excepted."""
    if not _signed_in(viewer):
        return False
    return COMPETITION.scope(viewer, VIEW).covers(competition.org)


# Conflict of interest (ADR 0035) ----------------------------------------------------


def judge_organizations(user: Any) -> list[Organization]:
    """The organizations a judge belongs to: their person's home and current positions."""
    person = getattr(user, "person", None)
    if person is None:
        return []
    cached = getattr(user, "_evaluations_orgs", None)
    if cached is not None:
        return list(cached)
    from taizhang.people.models import Position

    today = timezone.localdate()
    orgs = {person.organization_id: person.organization}
    positions = (
        Position.objects.filter(person=person, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("organization")
    )
    for position in positions:
        orgs[position.organization_id] = position.organization
    result = sorted(orgs.values(), key=lambda o: o.path)
    user._evaluations_orgs = result
    return list(result)


def judge_org_paths(user: Any) -> list[tuple[str, str]]:
    """(path, name) of each organization the judge belongs to."""
    return [(org.path, org.short_name or org.name) for org in judge_organizations(user)]


def conflict_reason(paths: list[tuple[str, str]], entry: Any) -> str:
    """Why the judge must abstain from ``entry``, or "" when there is no conflict."""
    entry_path = entry.org.path
    for path, name in paths:
        if entry_path == path:
            return _("Conflict of interest: the entry belongs to %(own)s, where you serve.") % {
                "own": name
            }
        if entry_path.startswith(path):
            return _(
                "Conflict of interest: the entry belongs to %(entry)s, "
                "below %(own)s where you serve."
            ) % {
                "entry": entry.org.short_name or entry.org.name,
                "own": name,
            }
    return ""


# Actions ------------------------------------------------------------------------------


def runs(viewer: Actor | None, competition: Competition) -> bool:
    """Whether ``viewer`` may set up, open, decide and publish ``competition``:
    ``evaluations.manage`` on its organizer, and not one of its judges."""
    if not COMPETITION.can_manage(viewer, competition):
        return False
    return is_system(viewer) or not is_judge(viewer, competition)


def can(viewer: Actor | None, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj``.

    ``score`` (an entry): the competition is open for scoring, the viewer is named one of
    its judges, and the entry is not from the judge's own subtree. ``manage`` and
    ``publish`` (a competition): ``runs``. ``manage``, ``review`` and ``publish`` (an
    award): ``evaluations.manage`` on the awarding body. ``nominate`` (an award): the
    list is still open and the viewer manages some unit (the nominee's own unit is
    checked when the nomination is made).
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if not _signed_in(viewer):
        return False
    if action == "score":
        competition = obj.competition
        if competition.status != CompetitionStatus.SCORING or not is_judge(viewer, competition):
            return False
        return not conflict_reason(judge_org_paths(viewer), obj)
    if isinstance(obj, Entry):
        return action == "manage" and runs(viewer, obj.competition)
    if isinstance(obj, Competition):
        return action in {"manage", "publish"} and runs(viewer, obj)
    if isinstance(obj, Award):
        if action == "nominate":
            return (
                obj.published_on is None
                and viewer is not None
                and viewer.has_function(MANAGE)
                and AWARD.covers(viewer, obj)
            )
        return AWARD.can_manage(viewer, obj)
    if isinstance(obj, Nomination):
        return action == "review" and AWARD.can_manage(viewer, obj.award)
    raise ValueError(f"No rule for {action!r} on {type(obj).__name__}")
