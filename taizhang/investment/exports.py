"""Investment ledgers as Excel 台账, in the columns their imports read back.

Each export reads the list page's own filters (``views.lead_filters`` and the others) and
starts from the module's selectors, so a file holds exactly the rows the page lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from taizhang.core.exports import INTEGER, MONEY, TEXT, Column, Export, Sheet
from taizhang.core.imports import Field
from taizhang.investment.imports import (
    EVENT_FIELDS,
    LEAD_FIELDS,
    SUBSIDY_FIELDS,
    event_names,
    event_row,
    lead_row,
    subsidy_row,
    team_names,
    wan,
)
from taizhang.investment.permissions import VIEW
from taizhang.investment.selectors import (
    event_list,
    get_competition_for_viewer,
    lead_list,
    scoreboard,
    subsidy_list,
)
from taizhang.organizations.policy import scope_title

CHUNK = 2000


def _columns(fields: Sequence[Field], summed: set[str]) -> list[Column]:
    """The importer's columns; money and counts add up where a sum means something."""
    return [replace(f.column, summed=True) if f.key in summed else f.column for f in fields]


def build_leads(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.investment.views import lead_filters

    filters = lead_filters(viewer, params)
    qs = lead_list(viewer=viewer, **filters).prefetch_related("changes")
    teams, events = team_names(viewer), event_names(viewer)

    def rows() -> Iterator[list[Any]]:
        for lead in qs.iterator(chunk_size=CHUNK):
            yield lead_row(lead, teams, events)

    return Sheet(
        columns=_columns(LEAD_FIELDS, {"amount", "signed_amount"}),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_events(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.investment.views import event_filters

    filters = event_filters(viewer, params)
    qs = event_list(viewer=viewer, **filters)

    def rows() -> Iterator[list[Any]]:
        for event in qs.iterator(chunk_size=CHUNK):
            yield event_row(event)

    return Sheet(
        columns=_columns(EVENT_FIELDS, {"signings", "signed_amount"}),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["ledger"].org),
    )


def build_subsidies(viewer: Any, params: Mapping[str, str]) -> Sheet:
    from taizhang.investment.views import subsidy_filters

    filters = subsidy_filters(viewer, params)
    qs = subsidy_list(viewer=viewer, **filters)

    def rows() -> Iterator[list[Any]]:
        for subsidy in qs.iterator(chunk_size=CHUNK):
            yield subsidy_row(subsidy)

    return Sheet(
        columns=_columns(SUBSIDY_FIELDS, {"amount"}),
        rows=rows(),
        count=qs.count(),
        organization_name=scope_title(viewer, VIEW, filters["org"]),
    )


SCOREBOARD_COLUMNS = [
    Column(_("Rank"), INTEGER, width=6),
    Column(_("Team"), TEXT, width=16),
    Column(_("Stationed in"), TEXT, width=14),
    Column(_("Team leader"), TEXT, width=10),
    Column(_("Members"), TEXT, width=24),
    Column(_("Points"), INTEGER, summed=True),
    Column(_("Cases"), INTEGER, summed=True),
    Column(_("Signed"), INTEGER, summed=True),
    Column(_("Signed investment"), MONEY, unit="万元", summed=True),
]


def build_scoreboard(viewer: Any, params: Mapping[str, str]) -> Sheet:
    """A competition's scoreboard (the one named by ``competition``): ranked teams first,
    then the teams with too few cases to be ranked, as the page lists them."""
    competition = get_competition_for_viewer(viewer, params.get("competition"))
    ranked, unranked = scoreboard(competition)
    rows = [
        [
            score.rank,
            score.team.name,
            score.team.base,
            score.team.leader.name if score.team.leader else "",
            "、".join(m.name for m in score.team.members.all()),
            score.points,
            score.cases,
            score.signings,
            wan(score.signed_amount),
        ]
        for score in [*ranked, *unranked]
    ]
    return Sheet(
        columns=SCOREBOARD_COLUMNS,
        rows=rows,
        count=len(rows),
        organization_name=f"{competition.org.short_name} {competition.name}".strip(),
    )


LEAD_EXPORT = Export(
    kind="investment.lead",
    title=_("Investment lead ledger"),
    permission=VIEW,
    ascii_name="investment-leads",
    build=build_leads,
)
EVENT_EXPORT = Export(
    kind="investment.event",
    title=_("Promotion events and fairs ledger"),
    permission=VIEW,
    ascii_name="investment-events",
    build=build_events,
)
SUBSIDY_EXPORT = Export(
    kind="investment.subsidy",
    title=_("Subsidy payment ledger"),
    permission=VIEW,
    ascii_name="subsidies",
    build=build_subsidies,
)
SCOREBOARD_EXPORT = Export(
    kind="investment.competition",
    title=_("Resident-team competition scoreboard"),
    permission=VIEW,
    ascii_name="competition-scoreboard",
    build=build_scoreboard,
)
