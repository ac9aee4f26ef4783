"""Competitions and awards as Excel 台账: the scores sheet of the competitions (one row
per entry, each criterion's score and the total) and the nominations with the honour
roll (in the columns the nomination import reads back).

Both read the filters of the list page they are taken from (``views.competition_filters``,
``views.award_filters``) and the viewer's scope through the module's policies. Scores and
ranks follow the page's rule: the organizers see them live, everyone else (a judge
included) once the results are published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Avg
from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import DATE, DECIMAL, INTEGER, Column, Export, Sheet
from taizhang.evaluations.imports import FIELDS, nomination_row
from taizhang.evaluations.models import CompetitionStatus, Criterion, Score
from taizhang.evaluations.permissions import AWARD, ENTRY, NOMINATION, VIEW
from taizhang.evaluations.selectors import (
    award_list,
    competition_list,
    competition_results,
    published_list,
    results_visible,
)
from taizhang.organizations.policy import scope_title

CHUNK = 2000
CENT = Decimal("0.01")


def _score(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


def build_competitions(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.evaluations.views import competition_filters

    filters = competition_filters(viewer, params)
    competitions = competition_list(viewer=viewer, year=filters["year"], ledger=filters["ledger"])
    if filters["competition"] is not None:
        competitions = competitions.filter(pk=filters["competition"])
    listed = list(competitions)
    shown = {c.pk for c in listed if results_visible(viewer, c)}
    # Totals: the stored result once declared; live from the scores before (organizers).
    live: dict[int, Any] = {}
    for competition in listed:
        if competition.pk in shown and competition.status == CompetitionStatus.SCORING:
            live.update((r.entry_id, r) for r in competition_results(competition))
    criteria: dict[str, None] = {}
    for name in (
        Criterion.objects.filter(competition__in=listed)
        .order_by("competition__held_on", "competition_id", "order", "pk")
        .values_list("name", flat=True)
    ):
        criteria.setdefault(name, None)
    # Each criterion's score is the mean over the judges who scored the entry.
    means: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for entry_id, name, mean in (
        Score.objects.filter(entry__competition_id__in=shown)
        .values("entry_id", "criterion__name")
        .annotate(mean=Avg("value"))
        .values_list("entry_id", "criterion__name", "mean")
    ):
        means[entry_id][name] = mean
    entries = (
        ENTRY.queryset(viewer)
        .filter(competition__in=listed)
        .select_related("competition__org", "org", "person")
        .order_by("-competition__held_on", "competition_id", "rank", "number")
    )
    columns = [
        Column(_("competition"), width=20),
        Column(_("date"), kind=DATE),
        Column(_("organizing unit"), width=14),
        Column(_("status"), width=10),
        Column(_("entry number"), kind=INTEGER),
        Column(_("entry"), width=22),
        Column(_("kind"), width=8),
        Column(_("entry owner"), width=16),
        *[Column(name, kind=DECIMAL) for name in criteria],
        Column(_("final score"), kind=DECIMAL),
        Column(_("rank"), kind=INTEGER),
        Column(_("winner"), width=6),
    ]

    def rows() -> Iterator[list[Any]]:
        for entry in entries.iterator(chunk_size=CHUNK):
            competition = entry.competition
            visible = competition.pk in shown
            scored = means.get(entry.pk, {}) if visible else {}
            final: Any = None
            rank: Any = None
            winner = ""
            if visible and entry.pk in live:
                final, rank = live[entry.pk].final, live[entry.pk].rank
            elif visible and competition.status != CompetitionStatus.DRAFT:
                final, rank = entry.final_score, entry.rank
                if competition.status != CompetitionStatus.SCORING:
                    winner = str(_("yes") if entry.is_winner else _("no"))
            yield [
                competition.name,
                competition.held_on,
                competition.org.name,
                competition.get_status_display(),
                entry.number,
                entry.title,
                entry.get_kind_display(),
                entry.org.name,
                *[_score(scored.get(name)) for name in criteria],
                _score(final),
                rank,
                winner,
            ]

    return Sheet(
        columns=columns,
        rows=rows(),
        count=entries.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_nominations(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.evaluations.views import award_filters

    filters = award_filters(viewer, params)
    awards = award_list(
        viewer=viewer, year=filters["year"], kind=filters["kind"], ledger=filters["ledger"]
    )
    if filters["award"] is not None:
        awards = awards.filter(pk=filters["award"])
    qs = NOMINATION.queryset(viewer).filter(award__in=awards.values("pk"))
    if filters["status"]:
        qs = qs.filter(status=filters["status"])
    qs = qs.select_related("award__org", "org", "person").order_by(
        "-award__year", "award_id", "org__path", "person__name", "pk"
    )

    def rows() -> Iterator[list[Any]]:
        for nomination in qs.iterator(chunk_size=CHUNK):
            yield nomination_row(nomination)

    return Sheet(
        columns=[f.column for f in FIELDS],
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_honour_roll(viewer: Any, params: Mapping[str, str]) -> Sheet:
    """光荣榜: the final (published) list of one award (``?award=``), one row per honoured
    unit or person in the order of the published page, with the deeds. An award the
    viewer cannot see, or one not yet published, gives no rows."""
    from taizhang.core.forms import int_or_none

    award_id = int_or_none(params.get("award"))
    award = None
    if award_id is not None:
        awards = AWARD.queryset(viewer).filter(pk=award_id, published_on__isnull=False)
        award = awards.select_related("org").first()
    qs = (
        published_list(award).select_related("award__org")
        if award is not None
        else NOMINATION.queryset(viewer).none()
    )

    def rows() -> Iterator[list[Any]]:
        for number, nomination in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
            yield [
                number,
                nomination.nominee,
                nomination.org.name,
                nomination.deeds,
                nomination.award.name,
                nomination.award.org.name,
                nomination.published_on,
            ]

    return Sheet(
        columns=[
            Column(_("No."), kind=INTEGER),
            Column(_("honoured"), width=18),
            Column(_("organization"), width=22),
            Column(_("deeds"), width=40),
            Column(_("award"), width=22),
            Column(_("awarding organization"), width=18),
            Column(_("published on"), kind=DATE),
        ],
        rows=rows(),
        count=qs.count(),
        organization_name=award.org.name if award is not None else "",
    )


COMPETITIONS = Export(
    kind="evaluations.competition",
    title=_("Competition scores"),
    permission=VIEW,
    ascii_name="competition-scores",
    build=build_competitions,
)
NOMINATIONS = Export(
    kind="evaluations.nomination",
    title=_("Award nominations and honour roll"),
    permission=VIEW,
    ascii_name="nominations",
    build=build_nominations,
)
HONOUR_ROLL = Export(
    kind="evaluations.honour_roll",
    title=_("Honour roll"),
    permission=VIEW,
    ascii_name="honour-roll",
    build=build_honour_roll,
)
EXPORTS = (COMPETITIONS, NOMINATIONS, HONOUR_ROLL)
