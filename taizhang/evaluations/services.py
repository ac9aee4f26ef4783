"""Writes for competitions and awards. Each is atomic and records one audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, require_actor
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.formatting import chinese_date
from taizhang.evaluations.models import (
    Aggregation,
    Award,
    Competition,
    CompetitionStatus,
    Criterion,
    Entry,
    EntryKind,
    Judge,
    Nomination,
    NominationStatus,
    Normalization,
    Objection,
    Score,
)
from taizhang.evaluations.permissions import (
    AWARD,
    COMPETITION,
    ENTRY,
    NOMINATION,
    OBJECTION,
    can,
    conflict_reason,
    is_judge,
    judge_org_paths,
)
from taizhang.evaluations.scoring import plain, rank, weights_valid
from taizhang.evaluations.selectors import results_visible
from taizhang.organizations.models import Organization
from taizhang.people.permissions import PERSON

COMPETITION_FIELDS = [
    "org",
    "name",
    "held_on",
    "normalization",
    "aggregation",
    "winners_count",
    "status",
]


class ConflictOfInterest(PermissionDenied):
    """A judge tried to score an entry from their own organization's subtree."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _today() -> dt.date:
    return timezone.localdate()


def _ensure_runs(acting_user: Actor, competition: Competition) -> None:
    """Manage on the organizer, and not a judge of this competition (duties kept apart:
    whoever scores does not set up, decide or publish)."""
    COMPETITION.require(acting_user, competition)
    if not is_system(acting_user) and is_judge(acting_user, competition):
        raise PermissionDenied(_("A judge of this competition may not run it."))


def _ensure_sees_person(acting_user: Actor, person: Any) -> None:
    """The one person rule: only a person the acting user may see is entered or named."""
    PERSON.require(acting_user, person, PERSON.view)


def _locked_competition(competition: Competition) -> Competition:
    return Competition.objects.select_for_update(of=("self",)).get(pk=competition.pk)


def _require_status(competition: Competition, *allowed: str) -> None:
    if competition.status not in allowed:
        raise ValidationError(
            _("Not possible while the competition is “%(status)s”.")
            % {"status": competition.get_status_display()}
        )


@transaction.atomic
def competition_create(
    *,
    org: Organization,
    name: str,
    held_on: dt.date,
    normalization: str = Normalization.NONE,
    aggregation: str = Aggregation.MEAN,
    winners_count: int = 10,
    description: str = "",
    acting_user: Actor,
) -> Competition:
    COMPETITION.require_org(acting_user, org)
    competition = Competition(
        org=org,
        name=name,
        held_on=held_on,
        normalization=normalization,
        aggregation=aggregation,
        winners_count=winners_count,
        description=description,
    )
    competition.full_clean()
    if winners_count < 1:
        raise ValidationError({"winners_count": _("At least one winner is declared.")})
    competition.save()
    rows_written(Competition, [competition])
    audit_record(
        actor=acting_user,
        action="competition.create",
        obj=competition,
        changes=diff({}, snapshot(competition, COMPETITION_FIELDS)),
    )
    return competition


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


@transaction.atomic
def criterion_add(
    *,
    competition: Competition,
    name: str,
    weight: Decimal,
    max_score: Decimal,
    acting_user: Actor,
) -> Criterion:
    """Add a rubric line while the competition is being set up."""
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.DRAFT)
    weight = _decimal(weight, "weight")
    max_score = _decimal(max_score, "max_score")
    if weight <= 0:
        raise ValidationError({"weight": _("A weight is greater than zero.")})
    if max_score <= 0:
        raise ValidationError({"max_score": _("A maximum score is greater than zero.")})
    order = (competition.criteria.aggregate(m=Max("order"))["m"] or 0) + 1
    criterion = Criterion(
        competition=competition, name=name, weight=weight, max_score=max_score, order=order
    )
    criterion.full_clean()
    criterion.save()
    audit_record(
        actor=acting_user,
        action="criterion.add",
        obj=criterion,
        changes=diff({}, snapshot(criterion, ["competition", "name", "weight", "max_score"])),
    )
    return criterion


@transaction.atomic
def entry_add(
    *,
    competition: Competition,
    kind: str,
    title: str = "",
    org: Organization | None = None,
    person: Any = None,
    summary: str = "",
    acting_user: Actor,
) -> Entry:
    """Register an entry: a brand (title + owner), an organization, or a person."""
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.DRAFT, CompetitionStatus.SCORING)
    if kind == EntryKind.PERSON:
        if person is None:
            raise ValidationError({"person": _("Choose the person entered.")})
        org = person.organization
        title = title or person.name
    elif kind == EntryKind.ORGANIZATION:
        if org is None:
            raise ValidationError({"org": _("Choose the organization entered.")})
        title = title or org.name
        person = None
    elif org is None:
        raise ValidationError({"org": _("Choose the organization that owns the brand.")})
    assert org is not None
    ENTRY.require_org(acting_user, org)
    if person is not None:
        _ensure_sees_person(acting_user, person)
    number = (competition.entries.aggregate(m=Max("number"))["m"] or 0) + 1
    entry = Entry(
        competition=competition,
        kind=kind,
        title=title,
        org=org,
        person=person,
        number=number,
        summary=summary,
    )
    entry.full_clean()
    entry.save()
    rows_written(Entry, [entry])
    audit_record(
        actor=acting_user,
        action="entry.add",
        obj=entry,
        changes=diff(
            {}, snapshot(entry, ["competition", "kind", "title", "org", "person", "number"])
        ),
    )
    return entry


@transaction.atomic
def judge_add(
    *, competition: Competition, user: Any, on: dt.date | None = None, acting_user: Actor
) -> Judge:
    """Appoint a judge: a user linked to a person the acting user may see (an expert
    from another unit too), so conflicts can be checked. Nobody names herself: the
    organizer who would score her own competition is the conflict this rule prevents."""
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.DRAFT, CompetitionStatus.SCORING)
    if user.person_id is None:
        raise ValidationError(
            {"user": _("A judge must be linked to a person, so conflicts of interest show.")}
        )
    if not is_system(acting_user) and user.pk == acting_user.pk:
        raise ValidationError(
            {"user": _("You run this competition; another person must judge it.")}
        )
    _ensure_sees_person(acting_user, user.person)
    if competition.judges.filter(user=user).exists():
        raise ValidationError({"user": _("This user is already a judge here.")})
    judge = Judge.objects.create(competition=competition, user=user, added_on=on or _today())
    audit_record(
        actor=acting_user,
        action="judge.add",
        obj=judge,
        object_repr=f"{user.username} @ {competition.name}",
        changes={"competition": [None, competition.pk], "user": [None, user.pk]},
    )
    return judge


@transaction.atomic
def competition_open_scoring(
    *, competition: Competition, on: dt.date | None = None, acting_user: Actor
) -> Competition:
    """Freeze the rubric and let judges score. The weights must sum to 100 or to 1."""
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.DRAFT)
    weights = list(competition.criteria.values_list("weight", flat=True))
    if not weights:
        raise ValidationError(_("Add at least one criterion first."))
    if not weights_valid(weights):
        raise ValidationError(
            _("The weights sum to %(total)s; they must sum to 100 or to 1.")
            % {"total": plain(sum(weights, Decimal(0)))}
        )
    if not competition.entries.exists():
        raise ValidationError(_("Register at least one entry first."))
    if not competition.judges.exists():
        raise ValidationError(_("Appoint at least one judge first."))
    competition.status = CompetitionStatus.SCORING
    competition.scoring_opened_on = on or _today()
    competition.save(update_fields=["status", "scoring_opened_on"])
    audit_record(
        actor=acting_user,
        action="competition.open_scoring",
        obj=competition,
        changes={
            "status": [CompetitionStatus.DRAFT, CompetitionStatus.SCORING],
            "scoring_opened_on": [None, competition.scoring_opened_on],
        },
    )
    return competition


@transaction.atomic
def score_record(
    *, entry: Entry, judge_user: Any, values: dict[int, Any], acting_user: Actor
) -> list[Score]:
    """Record (or revise) one judge's scores for one entry, one value per criterion.

    Refused with ``ConflictOfInterest`` when the entry's organization lies in the subtree
    of an organization the judge belongs to. Only the judge may enter their own scores
    (``acting_user`` None is the demo loader).
    """
    require_actor(acting_user)
    competition = _locked_competition(entry.competition)
    if not is_system(acting_user) and acting_user.pk != judge_user.pk:
        raise PermissionDenied(_("Only the judge enters their own scores."))
    judge = competition.judges.filter(user=judge_user).first()
    if judge is None:
        raise PermissionDenied
    _require_status(competition, CompetitionStatus.SCORING)
    entry = Entry.objects.select_related("org").get(pk=entry.pk, competition=competition)
    reason = conflict_reason(judge_org_paths(judge_user), entry)
    if reason:
        raise ConflictOfInterest(reason)
    criteria = {c.pk: c for c in competition.criteria.all()}
    errors: dict[str, list[str]] = {}
    clean: dict[int, Decimal] = {}
    for criterion_id, criterion in criteria.items():
        key = f"c{criterion_id}"
        raw = values.get(criterion_id)
        if raw is None or raw == "":
            errors[key] = [_("Score every criterion.")]
            continue
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors[key] = [_("Enter a number.")]
            continue
        if not value.is_finite() or value < 0 or value > criterion.max_score:
            errors[key] = [
                _("%(name)s takes a score from 0 to %(max)s.")
                % {"name": criterion.name, "max": plain(criterion.max_score)}
            ]
        elif value != value.quantize(Decimal("0.01")):
            errors[key] = [_("At most two decimal places.")]
        else:
            clean[criterion_id] = value
    unknown = set(values) - set(criteria)
    if unknown:
        errors["__all__"] = [_("Unknown criterion.")]
    if errors:
        raise ValidationError(errors)
    existing = {s.criterion_id: s for s in Score.objects.filter(judge=judge, entry=entry)}
    now = timezone.now()
    changes: dict[str, list[Any]] = {}
    saved = []
    for criterion_id, value in clean.items():
        score = existing.get(criterion_id)
        old = score.value if score else None
        if score is None:
            score = Score.objects.create(
                judge=judge, entry=entry, criterion_id=criterion_id, value=value, scored_at=now
            )
        elif score.value != value:
            score.value = value
            score.scored_at = now
            score.save(update_fields=["value", "scored_at"])
        if old != value:
            changes[criteria[criterion_id].name] = [old, value]
        saved.append(score)
    audit_record(
        actor=acting_user,
        action="score.record",
        obj=entry,
        object_repr=f"{entry.title} / {judge_user.username}",
        changes={"judge": judge_user.pk, **changes},
    )
    return saved


def _results(competition: Competition) -> list[Any]:
    criteria = {c.pk: (c.weight, c.max_score) for c in competition.criteria.all()}
    return rank(
        entries=competition.entries.values_list("pk", "number"),
        criteria=criteria,
        scores=Score.objects.filter(entry__competition=competition).values_list(
            "judge_id", "entry_id", "criterion_id", "value"
        ),
        method=competition.normalization,
        winners=competition.winners_count,
        trim=competition.aggregation == Aggregation.TRIMMED,
    )


@transaction.atomic
def competition_declare_winners(
    *, competition: Competition, on: dt.date | None = None, acting_user: Actor
) -> list[Entry]:
    """Close scoring, store each entry's final score and rank, and mark the top N."""
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.SCORING)
    results = _results(competition)
    if not any(r.final is not None for r in results):
        raise ValidationError(_("No entry has been scored yet."))
    entries = {e.pk: e for e in competition.entries.all()}
    for result in results:
        entry = entries[result.entry_id]
        entry.final_score = result.final
        entry.rank = result.rank
        entry.is_winner = result.is_winner
    Entry.objects.bulk_update(entries.values(), ["final_score", "rank", "is_winner"])
    rows_written(Entry, entries)
    competition.status = CompetitionStatus.DECIDED
    competition.decided_on = on or _today()
    competition.save(update_fields=["status", "decided_on"])
    winners = [entries[r.entry_id] for r in results if r.is_winner]
    audit_record(
        actor=acting_user,
        action="competition.declare_winners",
        obj=competition,
        changes={
            "status": [CompetitionStatus.SCORING, CompetitionStatus.DECIDED],
            "decided_on": [None, competition.decided_on],
            "normalization": competition.normalization,
            "aggregation": competition.aggregation,
            "winners": [[e.number, e.title, str(e.final_score)] for e in winners],
        },
    )
    return winners


@transaction.atomic
def competition_publish(
    *, competition: Competition, on: dt.date | None = None, acting_user: Actor
) -> Competition:
    competition = _locked_competition(competition)
    _ensure_runs(acting_user, competition)
    _require_status(competition, CompetitionStatus.DECIDED)
    # Publication decides which winners count, and on which day: report the entries.
    with rows_changing(Entry, list(competition.entries.values_list("pk", flat=True))):
        competition.status = CompetitionStatus.PUBLISHED
        competition.published_on = on or _today()
        competition.save(update_fields=["status", "published_on"])
    audit_record(
        actor=acting_user,
        action="competition.publish",
        obj=competition,
        changes={
            "status": [CompetitionStatus.DECIDED, CompetitionStatus.PUBLISHED],
            "published_on": [None, competition.published_on],
        },
    )
    return competition


# Awards ----------------------------------------------------------------------------


@transaction.atomic
def award_create(
    *, org: Organization, kind: str, name: str, year: int, quota: int, acting_user: Actor
) -> Award:
    AWARD.require_org(acting_user, org)
    award = Award(org=org, kind=kind, name=name, year=year, quota=quota)
    award.full_clean()
    if quota < 1:
        raise ValidationError({"quota": _("The quota is at least one.")})
    award.save()
    audit_record(
        actor=acting_user,
        action="award.create",
        obj=award,
        changes=diff({}, snapshot(award, ["org", "kind", "name", "year", "quota"])),
    )
    return award


def _locked_award(award: Award) -> Award:
    return Award.objects.select_for_update(of=("self",)).get(pk=award.pk)


def _require_list_open(award: Award) -> None:
    """Nominations are made and reviewed until the list goes on public notice (公示)."""
    if award.published_on is not None:
        raise ValidationError(_("The list of this award is already published."))
    if award.notice_start is not None:
        raise ValidationError(
            _("The list is on public notice; nominations and reviews are closed.")
        )


@transaction.atomic
def nomination_create(
    *,
    award: Award,
    org: Organization | None = None,
    person: Any = None,
    deeds: str = "",
    on: dt.date | None = None,
    acting_user: Actor,
) -> Nomination:
    """Nominate an organization (先进党支部) or a person (优秀党员, 十佳宣讲员)."""
    award = _locked_award(award)
    _require_list_open(award)
    if award.takes_organizations:
        if org is None:
            raise ValidationError({"org": _("This award honours organizations.")})
        person = None
    else:
        if person is None:
            raise ValidationError({"person": _("This award honours persons.")})
        org = person.organization
    assert org is not None
    NOMINATION.require_org(acting_user, org)
    if person is not None:
        _ensure_sees_person(acting_user, person)
    duplicate = award.nominations.filter(person=person) if person else None
    if duplicate is None:
        duplicate = award.nominations.filter(org=org, person__isnull=True)
    if duplicate.exists():
        raise ValidationError(_("This nominee is already on the list."))
    nomination = Nomination(
        award=award, org=org, person=person, deeds=deeds, nominated_on=on or _today()
    )
    nomination.full_clean()
    nomination.save()
    rows_written(Nomination, [nomination])
    audit_record(
        actor=acting_user,
        action="nomination.create",
        obj=nomination,
        changes=diff({}, snapshot(nomination, ["award", "org", "person", "nominated_on"])),
    )
    return nomination


NOMINATION_FIELDS = ["award", "org", "person", "deeds", "nominated_on"]


@transaction.atomic
def nomination_update(
    *,
    nomination: Nomination,
    deeds: str | None = None,
    nominated_on: dt.date | None = None,
    acting_user: Actor,
) -> Nomination:
    """Correct the deeds or the date of a nomination still waiting for review."""
    nomination = (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("award__org", "org")
        .get(pk=nomination.pk)
    )
    NOMINATION.require_org(acting_user, nomination.org)
    if nomination.status != NominationStatus.NOMINATED:
        raise ValidationError(
            _("A nomination already reviewed cannot be changed; this one is “%(status)s”.")
            % {"status": nomination.get_status_display()}
        )
    before = snapshot(nomination, ["deeds", "nominated_on"])
    if deeds is not None:
        nomination.deeds = deeds.strip()
    if nominated_on is not None:
        if nominated_on > _today():
            raise ValidationError({"nominated_on": _("A nomination is dated today or earlier.")})
        nomination.nominated_on = nominated_on
    nomination.full_clean()
    nomination.save(update_fields=["deeds", "nominated_on"])
    rows_written(Nomination, [nomination])
    audit_record(
        actor=acting_user,
        action="nomination.update",
        obj=nomination,
        changes=diff(before, snapshot(nomination, ["deeds", "nominated_on"])),
    )
    return nomination


@dataclass(frozen=True)
class NominationIn:
    """One nominee for an award: the input of ``nomination_import``."""

    award: Award
    org: Organization
    person: Any = None
    deeds: str = ""
    nominated_on: dt.date | None = None


@transaction.atomic
def nomination_import(
    *, rows: Sequence[NominationIn], source: str, acting_user: Actor
) -> list[Nomination]:
    """Record many nominations at once (a unit's list brought in): one audit event.

    Every row is checked as ``nomination_create`` checks it before anything is written:
    the award still open and within the nominator's reach, an organization or a person
    as the award takes, manage on the nominee's unit, the person visible, no nominee
    twice. A nomination keeps the date it was made (never a day to come).
    """
    today = _today()
    awards = {row.award.pk: row.award for row in rows}
    for award in Award.objects.select_for_update(of=("self",)).filter(pk__in=awards):
        _require_list_open(award)
        if not is_system(acting_user) and not can(acting_user, "nominate", award):
            raise PermissionDenied
    for org in {row.org.pk: row.org for row in rows}.values():
        NOMINATION.require_org(acting_user, org)
    keys: set[tuple[int, str, int]] = set()
    for row in rows:
        takes_orgs = row.award.takes_organizations
        if takes_orgs and row.person is not None:
            raise ValidationError({"person": _("This award honours organizations.")})
        if not takes_orgs and row.person is None:
            raise ValidationError({"person": _("This award honours persons.")})
        if row.person is not None:
            if row.person.organization_id != row.org.pk:
                raise ValidationError({"org": _("A person is nominated with their own unit.")})
            _ensure_sees_person(acting_user, row.person)
        if row.nominated_on is not None and row.nominated_on > today:
            raise ValidationError({"nominated_on": _("A nomination is dated today or earlier.")})
        key = (row.award.pk, "p", row.person.pk) if row.person else (row.award.pk, "o", row.org.pk)
        if key in keys:
            raise ValidationError(_("This nominee is already on the list."))
        keys.add(key)
    existing = Nomination.objects.filter(award_id__in=awards).values_list(
        "award_id", "org_id", "person_id"
    )
    for award_id, org_id, person_id in existing:
        key = (award_id, "p", person_id) if person_id else (award_id, "o", org_id)
        if key in keys:
            raise ValidationError(_("This nominee is already on the list."))
    built = [
        Nomination(
            award=row.award,
            org=row.org,
            person=row.person,
            deeds=row.deeds.strip(),
            nominated_on=row.nominated_on or today,
        )
        for row in rows
    ]
    for nomination in built:
        # The related rows were resolved above; checking them again costs a query each.
        nomination.clean_fields(exclude=["award", "org", "person"])
    Nomination.objects.bulk_create(built, batch_size=1000)
    if not all(n.pk for n in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(Nomination, built)
    changes: dict[str, Any] = {"count": len(built), "source": source}
    if built:
        changes["ids"] = [built[0].pk, built[-1].pk]
    audit_record(
        actor=acting_user,
        action="nomination.import",
        object_type=Nomination._meta.label_lower,
        object_repr=source[:200],
        changes=changes,
    )
    return built


@transaction.atomic
def nomination_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the nominations an import recorded (its batch is being undone): one audit
    event. The ingest module calls this only while no later event touched them; one
    reviewed since is refused all the same."""
    nominations = list(
        Nomination.objects.select_for_update(of=("self",)).select_related("org").filter(pk__in=ids)
    )
    for org in {n.org_id: n.org for n in nominations}.values():
        NOMINATION.require_org(acting_user, org)
    if any(n.status != NominationStatus.NOMINATED for n in nominations):
        raise ValidationError(_("A nomination of this import has been reviewed since."))
    with rows_changing(Nomination, nominations):
        Nomination.objects.filter(pk__in=[n.pk for n in nominations]).delete()
    audit_record(
        actor=acting_user,
        action="nomination.import_undo",
        object_type=Nomination._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(nominations), "source": source},
    )
    return len(nominations)


@transaction.atomic
def nomination_review(
    *,
    nomination: Nomination,
    approve: bool,
    note: str = "",
    on: dt.date | None = None,
    acting_user: Actor,
) -> Nomination:
    """Approve or reject a nomination; approvals may not exceed the award's quota."""
    award = _locked_award(nomination.award)
    AWARD.require(acting_user, award)
    _require_list_open(award)
    nomination = Nomination.objects.select_for_update(of=("self",)).get(pk=nomination.pk)
    if nomination.status != NominationStatus.NOMINATED:
        raise ValidationError(
            _("Only a nomination waiting for review can be reviewed; this one is “%(status)s”.")
            % {"status": nomination.get_status_display()}
        )
    if not approve and not note.strip():
        raise ValidationError({"note": _("Say why the nomination is rejected.")})
    if approve:
        approved = award.nominations.filter(status=NominationStatus.APPROVED).count()
        if approved >= award.quota:
            raise ValidationError(_("The quota of %(quota)s is reached.") % {"quota": award.quota})
    before = snapshot(nomination, ["status", "reviewed_on", "review_note"])
    nomination.status = NominationStatus.APPROVED if approve else NominationStatus.REJECTED
    nomination.reviewed_on = on or _today()
    if nomination.reviewed_on < nomination.nominated_on:
        raise ValidationError({"on": _("A review cannot come before the nomination.")})
    nomination.review_note = note.strip()
    nomination.save(update_fields=["status", "reviewed_on", "review_note"])
    rows_written(Nomination, [nomination])
    audit_record(
        actor=acting_user,
        action="nomination.review",
        obj=nomination,
        changes=diff(before, snapshot(nomination, ["status", "reviewed_on", "review_note"])),
    )
    return nomination


@transaction.atomic
def award_publish(*, award: Award, on: dt.date | None = None, acting_user: Actor) -> Award:
    """Publish the list: every approved nomination becomes published, on one date."""
    award = _locked_award(award)
    AWARD.require(acting_user, award)
    if award.published_on is not None:
        raise ValidationError(_("The list of this award is already published."))
    approved = award.nominations.filter(status=NominationStatus.APPROVED)
    if not approved.exists():
        raise ValidationError(_("Approve at least one nomination first."))
    if award.nominations.filter(status=NominationStatus.NOMINATED).exists():
        raise ValidationError(_("Review every nomination before publishing."))
    day = on or _today()
    if award.notice_end is None:
        raise ValidationError(_("Put the list on public notice first."))
    if not award.notice_over(day):
        raise ValidationError(
            _("The list is final only after its public notice has ended (on %(end)s).")
            % {"end": chinese_date(award.notice_end)}
        )
    ids = sorted(approved.values_list("pk", flat=True))
    # A bulk update sends no signal: the honours published are reported here.
    with rows_changing(Nomination, ids):
        approved.update(status=NominationStatus.PUBLISHED, published_on=day)
    award.published_on = day
    award.save(update_fields=["published_on"])
    audit_record(
        actor=acting_user,
        action="award.publish",
        obj=award,
        changes={
            "published_on": [None, day],
            "nominations": ids,
            "objections": award.objections.count(),
        },
    )
    return award


@transaction.atomic
def award_notice_set(*, award: Award, start: dt.date, end: dt.date, acting_user: Actor) -> Award:
    """Put the reviewed list on public notice (公示) from ``start`` to ``end``, both
    included; the dates may be moved (a notice extended) until the list is published.
    Every nomination is reviewed and one at least approved first."""
    award = _locked_award(award)
    AWARD.require(acting_user, award)
    if award.published_on is not None:
        raise ValidationError(_("The list of this award is already published."))
    if end < start:
        raise ValidationError({"end": _("The notice ends on or after the day it starts.")})
    if award.nominations.filter(status=NominationStatus.NOMINATED).exists():
        raise ValidationError(_("Review every nomination before the public notice."))
    if not award.nominations.filter(status=NominationStatus.APPROVED).exists():
        raise ValidationError(_("Approve at least one nomination first."))
    first = award.objections.order_by("received_on").values_list("received_on", flat=True).first()
    if first is not None and first < start:
        raise ValidationError({"start": _("An objection was received before that day.")})
    before = snapshot(award, ["notice_start", "notice_end"])
    award.notice_start, award.notice_end = start, end
    award.save(update_fields=["notice_start", "notice_end"])
    audit_record(
        actor=acting_user,
        action="award.notice_set",
        obj=award,
        changes=diff(before, snapshot(award, ["notice_start", "notice_end"])),
    )
    return award


@transaction.atomic
def objection_record(
    *,
    award: Award,
    received_on: dt.date,
    text: str,
    outcome: str,
    acting_user: Actor,
) -> Objection:
    """Record an objection raised during the public notice and how it was settled
    (核实情况及处理结果). Only the awarding body records them, before publication."""
    award = _locked_award(award)
    objection = Objection(award=award, received_on=received_on, text=text.strip(), outcome="")
    OBJECTION.require(acting_user, objection)
    if award.published_on is not None:
        raise ValidationError(_("The list of this award is already published."))
    if award.notice_start is None:
        raise ValidationError(_("Objections are recorded once the list is on public notice."))
    if received_on < award.notice_start or received_on > _today():
        raise ValidationError(
            {"received_on": _("An objection is dated within the notice, and not after today.")}
        )
    objection.outcome = outcome.strip()
    errors = {}
    if not objection.text:
        errors["text"] = _("Say what the objection is.")
    if not objection.outcome:
        errors["outcome"] = _("Say how the objection was settled.")
    if errors:
        raise ValidationError(errors)
    objection.full_clean()
    objection.save()
    audit_record(
        actor=acting_user,
        action="objection.record",
        obj=objection,
        changes=diff({}, snapshot(objection, ["award", "received_on", "text", "outcome"])),
    )
    return objection


def _winner_nominee(award: Award, entry: Entry) -> tuple[Organization, Any] | None:
    """The nominee an award takes from a winning entry: a unit (an organization's entry,
    or a brand's owning unit) for 先进党支部-like awards, a person for the others."""
    if award.takes_organizations:
        if entry.kind in (EntryKind.ORGANIZATION, EntryKind.BRAND):
            return entry.org, None
        return None
    if entry.kind == EntryKind.PERSON and entry.person is not None:
        return entry.org, entry.person
    return None


@dataclass(frozen=True)
class WinnersNominated:
    created: list[Nomination]
    already: int  # winners already on the list (left alone)
    unfit: int  # winners the award does not take (a person for a unit's award, ...)


@transaction.atomic
def nominations_from_winners(
    *,
    award: Award,
    competition: Competition,
    on: dt.date | None = None,
    acting_user: Actor,
) -> WinnersNominated:
    """The declared winners of ``competition`` become nominations of ``award``, in
    rank order, with their rank and score as the deeds: one audit event. A winner already
    on the list is left as it is, so doing it twice adds nothing. The awarding body's
    manager does it (manage on the award, and on each nominee's unit as for any
    nomination), from a competition whose results she may read."""
    award = _locked_award(award)
    AWARD.require(acting_user, award)
    _require_list_open(award)
    competition = Competition.objects.select_related("org").get(pk=competition.pk)
    COMPETITION.require(acting_user, competition, COMPETITION.view)
    if competition.status not in (CompetitionStatus.DECIDED, CompetitionStatus.PUBLISHED):
        raise ValidationError(_("The winners of this competition are not declared yet."))
    if not is_system(acting_user) and not results_visible(acting_user, competition):
        raise PermissionDenied
    winners = list(
        competition.entries.filter(is_winner=True)
        .select_related("org", "person")
        .order_by("rank", "number")
    )
    existing = set(award.nominations.values_list("org_id", "person_id"))
    taken_people = {person_id for _org, person_id in existing if person_id}
    taken_orgs = {org_id for org_id, person_id in existing if not person_id}
    day = on or _today()
    if day > _today():
        raise ValidationError({"on": _("A nomination is dated today or earlier.")})
    built: list[Nomination] = []
    already = unfit = 0
    for entry in winners:
        nominee = _winner_nominee(award, entry)
        if nominee is None:
            unfit += 1
            continue
        org, person = nominee
        if (person is not None and person.pk in taken_people) or (
            person is None and org.pk in taken_orgs
        ):
            already += 1
            continue
        NOMINATION.require_org(acting_user, org)
        if person is not None:
            _ensure_sees_person(acting_user, person)
            taken_people.add(person.pk)
        else:
            taken_orgs.add(org.pk)
        deeds = _("Ranked %(rank)s in %(competition)s (score %(score)s).") % {
            "rank": entry.rank,
            "competition": competition.name,
            "score": plain(entry.final_score) if entry.final_score is not None else "—",
        }
        nomination = Nomination(award=award, org=org, person=person, deeds=deeds, nominated_on=day)
        nomination.full_clean()
        nomination.save()
        built.append(nomination)
    if built:
        rows_written(Nomination, built)
    audit_record(
        actor=acting_user,
        action="nomination.from_winners",
        obj=award,
        changes={
            "count": len(built),
            "source": competition.name,
            "ids": [n.pk for n in built],
        },
    )
    return WinnersNominated(created=built, already=already, unfit=unfit)
