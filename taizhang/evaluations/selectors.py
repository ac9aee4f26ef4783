"""Reads for competitions and awards; every one starts from a scope policy
(``permissions.COMPETITION``, ``ENTRY``, ``AWARD``, ``NOMINATION``).

A competition or award is seen by viewers whose scope covers its organization, and,
once its results or list are published, by every viewer whose scope lies below it (a
published honour roll reaches down the tree). A judge also sees the competitions they
judge, with every entry, because scoring needs them (ADR 0036). Persons come from the
one person rule (``people.permissions.PERSON``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Length, Substr
from django.utils import timezone

from taizhang.core.actors import Actor
from taizhang.evaluations.models import (
    Aggregation,
    Award,
    Competition,
    CompetitionStatus,
    Entry,
    EntryKind,
    Judge,
    Nomination,
    NominationStatus,
    Objection,
    Score,
)
from taizhang.evaluations.permissions import (
    AWARD,
    COMPETITION,
    ENTRY,
    MANAGE,
    NOMINATION,
    NOTHING,
    OBJECTION,
    VIEW,
    can,
    conflict_reason,
    is_judge,
    judge_org_paths,
    organizers_see,
)
from taizhang.evaluations.scoring import EntryResult, rank
from taizhang.organizations.filters import NO_FILTER, LedgerFilter
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON

__all__ = ["MANAGE", "VIEW"]


# Competitions ---------------------------------------------------------------------


def competition_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the competition list: the viewer is named one of
    its judges, or the viewer's person is on one of its entries."""
    pk = getattr(viewer, "pk", None)
    q = Q(pk__in=Judge.objects.filter(user_id=pk).values("competition_id")) if pk else NOTHING
    person_id = getattr(viewer, "person_id", None)
    if person_id:
        q |= Q(pk__in=Entry.objects.filter(person_id=person_id).values("competition_id"))
    return q


def competition_list(
    *, viewer: Actor, year: int | None = None, ledger: LedgerFilter = NO_FILTER
) -> QuerySet[Competition]:
    """Competitions in scope, published ones above it, and those the viewer judges.

    ``ledger`` (the shared list filters): organization on the organizer, dates on the
    day held, "mine" as ``competition_mine_q``."""
    qs = ledger.narrow(
        COMPETITION.queryset(viewer),
        org_fields=COMPETITION.org_fields,
        date_field="held_on",
        mine_q=competition_mine_q(viewer),
    )
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


def get_competition_for_viewer(viewer: Actor, pk: Any) -> Competition:
    """The competition, or the same 404 whether it is missing or out of scope."""
    return COMPETITION.get(viewer, pk, base=Competition.objects.select_related("org"))


def competition_entries(competition: Competition) -> QuerySet[Entry]:
    return competition.entries.select_related("org", "person").order_by("number")


def get_entry(viewer: Actor, competition: Competition, pk: Any) -> Entry:
    """An entry of ``competition``: the same 404 for missing, hidden and elsewhere."""
    return ENTRY.get(viewer, pk, base=competition_entries(competition))


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
        trim=competition.aggregation == Aggregation.TRIMMED,
    )


def results_visible(viewer: Actor, competition: Competition) -> bool:
    """Scores and ranks are for the organizers until the results are published; a judge
    never sees the live standings of a competition they score."""
    if competition.status == CompetitionStatus.PUBLISHED:
        return True
    return organizers_see(viewer, competition) and not is_judge(viewer, competition)


@dataclass
class SheetRow:
    entry: Entry
    conflict: str
    scores: dict[int, Any]
    cells: list[Any] = field(default_factory=list)

    @property
    def scored(self) -> bool:
        return bool(self.scores)


def judge_sheet(*, viewer: Actor, competition: Competition) -> list[SheetRow] | None:
    """The viewer's scoring sheet: every entry, its conflict reason, the viewer's scores.

    ``None`` when the viewer is not a judge of this competition.
    """
    judge = competition.judges.filter(user_id=viewer.pk).first() if viewer.pk else None
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


def judging_for(*, viewer: Actor) -> QuerySet[Competition]:
    """Competitions open for scoring that the viewer is named to judge."""
    if viewer.pk is None:
        return Competition.objects.none()
    return (
        Competition.objects.filter(judges__user_id=viewer.pk, status=CompetitionStatus.SCORING)
        .select_related("org")
        .order_by("-held_on", "pk")
    )


def org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    """Organizations the viewer manages competitions and awards for."""
    return COMPETITION.org_choices(viewer)


def judge_user_choices(*, viewer: Actor, competition: Competition | None = None) -> QuerySet[Any]:
    """Who may be named a judge: an active user linked to a person the viewer may see
    (the one person rule, external experts included), never the viewer herself, nor a
    judge already named to ``competition``."""
    from taizhang.accounts.models import User

    users = User.objects.filter(
        is_active=True, person__in=PERSON.queryset(viewer).values("pk")
    ).select_related("person__organization")
    if viewer.pk is not None:
        users = users.exclude(pk=viewer.pk)
    if competition is not None:
        users = users.exclude(judgeships__competition=competition)
    return users.order_by("person__organization__path", "username")


def resolve_judge_user(
    viewer: Actor, pk: Any, *, field: str = "user_id", competition: Competition | None = None
) -> Any:
    """A judge named by id: one 422 for a missing user and one outside the choices."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = None
    user = (
        judge_user_choices(viewer=viewer, competition=competition).filter(pk=key).first()
        if key is not None and not isinstance(pk, bool)
        else None
    )
    if user is None:
        raise ValidationError({field: unknown_message()})
    return user


# Awards -----------------------------------------------------------------------------


def _counted(viewer: Actor, *, statuses: Sequence[str] | None = None) -> Any:
    """How many nominations of each award the viewer may see (one subquery)."""
    rows = NOMINATION.queryset(viewer).filter(award=OuterRef("pk"))
    if statuses is not None:
        rows = rows.filter(status__in=statuses)
    counted = rows.order_by().values("award").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def award_mine_q(viewer: Actor | None) -> Q:
    """What "mine" (与我相关) means on the award list: the viewer's person is nominated
    (awards keep no recorder)."""
    person_id = getattr(viewer, "person_id", None)
    if not person_id:
        return NOTHING
    return Q(pk__in=Nomination.objects.filter(person_id=person_id).values("award_id"))


def award_list(
    *,
    viewer: Actor,
    year: int | None = None,
    kind: str = "",
    ledger: LedgerFilter = NO_FILTER,
) -> QuerySet[Award]:
    """Awards in scope, and awards of the organizations above the scope.

    Units below an awarding body see its awards to nominate and to read the published
    list. Nomination counts cover every nomination for the award's organizers; for the
    units below, only their own nominations and the published ones.

    ``ledger`` (the shared list filters): organization on the awarding organization,
    dates on the day the list was published, "mine" as ``award_mine_q``.
    """
    qs = ledger.narrow(
        AWARD.queryset(viewer),
        org_fields=AWARD.org_fields,
        date_field="published_on",
        mine_q=award_mine_q(viewer),
    )
    if year is not None:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return _with_counts(viewer, qs).order_by("-year", "kind", "pk")


def _with_counts(viewer: Actor, awards: QuerySet[Award]) -> QuerySet[Award]:
    passed = [NominationStatus.APPROVED, NominationStatus.PUBLISHED]
    return awards.select_related("org").annotate(
        nominated=_counted(viewer), approved=_counted(viewer, statuses=passed)
    )


def get_award_for_viewer(viewer: Actor, pk: Any) -> Award:
    """The award with the nomination counts the viewer may see, or one 404."""
    return AWARD.get(viewer, pk, base=_with_counts(viewer, Award.objects.all()))


def award_nominations(*, viewer: Actor, award: Award) -> QuerySet[Nomination]:
    """All nominations for the award's organizers; for the units below, their own
    nominations and the published list."""
    qs = award.nominations.select_related("org", "person__organization", "award__org")
    return NOMINATION.queryset(viewer, base=qs).order_by("org__path", "person__name", "pk")


def award_objections(*, viewer: Actor, award: Award) -> QuerySet[Objection]:
    """The objections raised during the award's public notice, oldest first."""
    return OBJECTION.queryset(viewer, base=award.objections.all()).order_by("received_on", "pk")


def winner_competitions(*, viewer: Actor, award: Award | None = None) -> list[Competition]:
    """Competitions whose declared winners ``viewer`` may read: those that can become
    an award's nominations (``services.nominations_from_winners``); with ``award``, only
    those with a winner of the kind it honours (a unit, or a person)."""
    decided = (CompetitionStatus.DECIDED, CompetitionStatus.PUBLISHED)
    qs = COMPETITION.queryset(viewer).filter(status__in=decided, entries__is_winner=True)
    if award is not None:
        kinds = (
            [EntryKind.ORGANIZATION, EntryKind.BRAND]
            if award.takes_organizations
            else [EntryKind.PERSON]
        )
        qs = qs.filter(entries__is_winner=True, entries__kind__in=kinds)
    return [c for c in qs.distinct().select_related("org") if results_visible(viewer, c)]


def published_list(award: Award) -> QuerySet[Nomination]:
    return (
        award.nominations.filter(status=NominationStatus.PUBLISHED)
        .select_related("org", "person__organization")
        .order_by("org__path", "person__name", "pk")
    )


def can_nominate(viewer: Actor, award: Award) -> bool:
    """Open awards take nominations from anyone managing units in the award's reach."""
    return can(viewer, "nominate", award)


def get_nomination(viewer: Actor, award: Award, pk: Any) -> Nomination:
    return NOMINATION.get(
        viewer, pk, base=award.nominations.select_related("org", "person", "award__org")
    )


def nominee_org_choices(*, viewer: Actor) -> QuerySet[Organization]:
    return NOMINATION.org_choices(viewer)


def nominee_person_choices(*, viewer: Actor) -> QuerySet[Person]:
    """Persons the viewer may see (the one person rule) kept by a unit where she runs
    competitions and awards: the nominee's or entrant's own unit must be hers."""
    managed = NOMINATION.org_choices(viewer).values("pk")
    return (
        PERSON.queryset(viewer, base=Person.objects.filter(organization__in=managed))
        .select_related("organization")
        .order_by("organization__path", "name")
    )


# To-dos (the workbench, ADR 0048) --------------------------------------------------


def _judge_organizations_q(viewer: Actor) -> Q:
    """The organizations the judge belongs to, as a query (the conflict-of-interest rule
    of ``permissions.judge_organizations``: the person's home and current positions)."""
    from taizhang.people.models import Position

    person_id = getattr(viewer, "person_id", None)
    if person_id is None:
        return NOTHING
    today = timezone.localdate()
    positions = (
        Position.objects.filter(person_id=person_id, start_date__lte=today)
        .exclude(end_date__lt=today)
        .values("organization_id")
    )
    home = Person.objects.filter(pk=person_id).values("organization_id")
    return Q(pk__in=home) | Q(pk__in=positions)


def todo_to_score(*, viewer: Actor) -> QuerySet[Entry]:
    """Entries waiting for this judge's scores: entries of competitions open for scoring
    that the viewer is named to judge (``ENTRY``'s judge rule), not scored by them yet,
    leaving out those they must abstain from (the entry's owner is, or lies below, an
    organization they belong to: the same rule as ``conflict_reason``). Oldest
    competition first, then by entry number."""
    if getattr(viewer, "pk", None) is None:
        return Entry.objects.none()
    judged = Judge.objects.filter(competition=OuterRef("competition"), user_id=viewer.pk)
    scored = Score.objects.filter(entry=OuterRef("pk"), judge__user_id=viewer.pk)
    # The entry's owner lies in the subtree of one of the judge's organizations: that
    # organization's path is a prefix of the owner's path (fixed-width segments).
    conflict = Organization.objects.filter(_judge_organizations_q(viewer)).filter(
        path=Substr(OuterRef("org__path"), 1, Length("path"))
    )
    return (
        ENTRY.queryset(viewer, VIEW)
        .filter(Exists(judged), competition__status=CompetitionStatus.SCORING)
        .exclude(Exists(scored))
        .exclude(Exists(conflict))
        .select_related("competition")
        .order_by("competition__held_on", "competition_id", "number")
    )


def todo_nominations_to_review(*, viewer: Actor) -> QuerySet[Nomination]:
    """Nominations waiting for review on awards the viewer runs (``evaluations.manage``
    on the awarding body, the rule of ``nomination_review``); a unit that only nominated
    does not review its own nominees. Oldest nomination first."""
    awards = AWARD.queryset(viewer, MANAGE).filter(published_on__isnull=True)
    return (
        NOMINATION.queryset(viewer, MANAGE)
        .filter(status=NominationStatus.NOMINATED, award__in=awards.values("pk"))
        .select_related("award", "org", "person")
        .order_by("nominated_on", "award_id", "pk")
    )
