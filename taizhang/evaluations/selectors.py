"""Reads for competitions and awards, through the viewer's data scope.

A competition or award is seen by viewers whose scope covers its organization, and,
once its results or list are published, by every viewer whose scope lies below it (a
published honour roll reaches down the tree). A judge also sees the competitions they
judge, with every entry, because scoring needs them (ADR 0036).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from taizhang.evaluations.models import (
    Award,
    Competition,
    CompetitionStatus,
    Entry,
    Judge,
    Nomination,
    NominationStatus,
    Score,
)
from taizhang.evaluations.permissions import conflict_reason, judge_org_paths
from taizhang.evaluations.scoring import EntryResult, rank
from taizhang.organizations.models import SEGMENT_WIDTH, Organization
from taizhang.organizations.scope import scope_for

VIEW = "evaluations.view"
MANAGE = "evaluations.manage"


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _ancestor_paths(viewer: Any) -> list[str]:
    """Paths strictly above the top organizations of the viewer's scope."""
    scope = scope_for(viewer, VIEW)
    tops = list(scope.subtree_paths)
    if scope.org_ids:
        tops += list(
            Organization.objects.filter(pk__in=sorted(scope.org_ids)).values_list("path", flat=True)
        )
    return sorted(
        {top[:end] for top in tops for end in range(SEGMENT_WIDTH, len(top), SEGMENT_WIDTH)}
    )


def _visible_q(viewer: Any, *, published: Q) -> Q:
    scope = scope_for(viewer, VIEW)
    q = scope.records_q(org_field="org")
    above = _ancestor_paths(viewer) if not scope.is_empty else []
    if above:
        q |= published & Q(org__path__in=above)
    return q


# Competitions ---------------------------------------------------------------------


def competition_list(*, viewer: Any, year: int | None = None) -> QuerySet[Competition]:
    """Competitions in scope, published ones above it, and those the viewer judges."""
    judging = Exists(Judge.objects.filter(competition=OuterRef("pk"), user_id=viewer.pk))
    q = _visible_q(viewer, published=Q(status=CompetitionStatus.PUBLISHED))
    qs = Competition.objects.filter(q | Q(judging))
    if year is not None:
        qs = qs.filter(held_on__year=year)
    return (
        qs.select_related("org")
        .annotate(
            entry_count=Count("entries", distinct=True),
            judge_count=Count("judges", distinct=True),
        )
        .order_by("-held_on", "pk")
    )


def get_competition_for_viewer(viewer: Any, pk: Any) -> Competition:
    """The competition, or the same 404 whether it is missing or out of scope."""
    competition = competition_list(viewer=viewer).filter(pk=_pk(pk)).first()
    if competition is None:
        raise Http404
    return competition


def competition_entries(competition: Competition) -> QuerySet[Entry]:
    return competition.entries.select_related("org", "person").order_by("number")


def get_entry(competition: Competition, pk: Any) -> Entry:
    entry = competition_entries(competition).filter(pk=_pk(pk)).first()
    if entry is None:
        raise Http404
    return entry


def competition_judges(competition: Competition) -> QuerySet[Judge]:
    return (
        competition.judges.select_related("user__person__organization")
        .annotate(entries_scored=Count("scores__entry", distinct=True))
        .order_by("pk")
    )


def competition_results(competition: Competition, method: str = "") -> list[EntryResult]:
    """Results computed from the scores (``method`` overrides the normalization)."""
    criteria = {c.pk: (c.weight, c.max_score) for c in competition.criteria.all()}
    return rank(
        entries=competition.entries.values_list("pk", "number"),
        criteria=criteria,
        scores=Score.objects.filter(entry__competition=competition).values_list(
            "judge_id", "entry_id", "criterion_id", "value"
        ),
        method=method or competition.normalization,
        winners=competition.winners_count,
    )


def results_visible(viewer: Any, competition: Competition) -> bool:
    """Scores and ranks are for the organizers until the results are published."""
    if competition.status == CompetitionStatus.PUBLISHED:
        return True
    return scope_for(viewer, VIEW).covers(competition.org)


@dataclass
class SheetRow:
    entry: Entry
    conflict: str
    scores: dict[int, Any]
    cells: list[Any] = field(default_factory=list)

    @property
    def scored(self) -> bool:
        return bool(self.scores)


def judge_sheet(*, viewer: Any, competition: Competition) -> list[SheetRow] | None:
    """The viewer's scoring sheet: every entry, its conflict reason, the viewer's scores.

    ``None`` when the viewer is not a judge of this competition.
    """
    judge = competition.judges.filter(user_id=viewer.pk).first()
    if judge is None:
        return None
    paths = judge_org_paths(viewer)
    mine: dict[int, dict[int, Any]] = {}
    for entry_id, criterion_id, value in Score.objects.filter(judge=judge).values_list(
        "entry_id", "criterion_id", "value"
    ):
        mine.setdefault(entry_id, {})[criterion_id] = value
    return [
        SheetRow(entry=entry, conflict=conflict_reason(paths, entry), scores=mine.get(entry.pk, {}))
        for entry in competition_entries(competition)
    ]


def judging_for(*, viewer: Any) -> QuerySet[Competition]:
    """Competitions open for scoring that the viewer judges."""
    return (
        Competition.objects.filter(judges__user_id=viewer.pk, status=CompetitionStatus.SCORING)
        .select_related("org")
        .order_by("-held_on", "pk")
    )


def org_choices(*, viewer: Any) -> QuerySet[Organization]:
    """Organizations the viewer manages competitions and awards for."""
    return Organization.objects.filter(scope_for(viewer, MANAGE).org_q()).order_by("path")


def judge_user_choices(*, viewer: Any) -> QuerySet[Any]:
    """Users linked to a person the viewer may see, who hold the judging function."""
    from taizhang.accounts.models import User

    scope = scope_for(viewer, "people.view")
    return (
        User.objects.filter(is_active=True, person__isnull=False)
        .filter(scope.records_q(org_field="person__organization"))
        .select_related("person__organization")
        .order_by("person__organization__path", "username")
    )


# Awards -----------------------------------------------------------------------------


def award_list(*, viewer: Any, year: int | None = None, kind: str = "") -> QuerySet[Award]:
    """Awards in scope, and awards of the organizations above the scope.

    Units below an awarding body see its awards to nominate and to read the published
    list. Nomination counts cover every nomination for the award's organizers; for the
    units below, only their own nominations and the published ones.
    """
    # Awards reach down whether open (units below nominate) or published (the list).
    qs = Award.objects.filter(_visible_q(viewer, published=Q()))
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    scope = scope_for(viewer, VIEW)
    counted = (
        scope.records_q(org_field="org")
        | scope.records_q(org_field="nominations__org")
        | Q(nominations__status=NominationStatus.PUBLISHED)
    )
    passed = Q(nominations__status__in=[NominationStatus.APPROVED, NominationStatus.PUBLISHED])
    return (
        qs.select_related("org")
        .annotate(
            nominated=Count("nominations", filter=counted),
            approved=Count("nominations", filter=counted & passed),
        )
        .order_by("-year", "kind", "pk")
    )


def get_award_for_viewer(viewer: Any, pk: Any) -> Award:
    award = award_list(viewer=viewer).filter(pk=_pk(pk)).first()
    if award is None:
        raise Http404
    return award


def award_nominations(*, viewer: Any, award: Award) -> QuerySet[Nomination]:
    """All nominations for the award's organizers; for the units below, their own
    nominations and the published list."""
    qs = award.nominations.select_related("org", "person__organization")
    scope = scope_for(viewer, VIEW)
    if not scope.covers(award.org):
        qs = qs.filter(scope.records_q(org_field="org") | Q(status=NominationStatus.PUBLISHED))
    return qs.order_by("org__path", "person__name", "pk")


def published_list(award: Award) -> QuerySet[Nomination]:
    return (
        award.nominations.filter(status=NominationStatus.PUBLISHED)
        .select_related("org", "person__organization")
        .order_by("org__path", "person__name", "pk")
    )


def can_nominate(viewer: Any, award: Award) -> bool:
    """Open awards take nominations from anyone managing units in the award's reach."""
    return award.published_on is None and viewer.has_function(MANAGE)


def get_nomination(award: Award, pk: Any) -> Nomination:
    nomination = award.nominations.filter(pk=_pk(pk)).select_related("org", "person").first()
    if nomination is None:
        raise Http404
    return nomination


def nominee_org_choices(*, viewer: Any) -> QuerySet[Organization]:
    return org_choices(viewer=viewer)


def nominee_person_choices(*, viewer: Any) -> QuerySet[Any]:
    from taizhang.people.models import Person

    scope = scope_for(viewer, MANAGE)
    return (
        Person.objects.filter(scope.records_q(org_field="organization"))
        .select_related("organization")
        .order_by("organization__path", "name")
    )
