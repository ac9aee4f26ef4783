"""Rules for actions on competitions and awards, including the conflict-of-interest rule."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for

MANAGE = "evaluations.manage"
JUDGE = "evaluations.judge"
ACTIONS = {"manage", "score", "review", "publish"}


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


def can(viewer: Any, action: str, obj: Any) -> bool:
    """Whether ``viewer`` may do ``action`` on ``obj`` (a competition, entry or award)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    if viewer is None or not viewer.is_authenticated:
        return False
    if action == "score":
        competition = obj.competition
        if competition.status != "scoring" or not viewer.has_function(JUDGE):
            return False
        if not competition.judges.filter(user_id=viewer.pk).exists():
            return False
        return not conflict_reason(judge_org_paths(viewer), obj)
    return scope_for(viewer, MANAGE).covers(obj.org)
