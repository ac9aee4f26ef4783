"""Permissions, navigation, metrics, to-dos and the home-page panel of evaluations."""

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
    register_todo,
)
from taizhang.evaluations.permissions import POLICIES

register_permission("evaluations.view", _("View competitions and awards"))
register_permission("evaluations.manage", _("Run competitions and awards"))
grant_to_roles("evaluations.view", "clerk", "secretary", "leader", "viewer")
grant_to_roles("evaluations.manage", "clerk")
# Duties kept apart: no role carries scoring. A judge is named per competition
# (``judge_add``) and the appointment alone offers the scoring sheet, only for entries
# without a conflict of interest; a judge never runs or publishes what they score, and
# an organizer does not name herself. The grid worker has no part in evaluations.
for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Evaluations"), "evaluations:competitions", "evaluations.view", order=60)


def _published_awards() -> QuerySet[Any]:
    from taizhang.evaluations.models import Nomination

    return Nomination.objects.filter(status="published")


def _competitions() -> QuerySet[Any]:
    from taizhang.evaluations.models import Competition

    return Competition.objects.all()


def _winners() -> QuerySet[Any]:
    from taizhang.evaluations.models import Entry

    return Entry.objects.filter(is_winner=True, competition__status="published")


for _metric in (
    Metric(
        name="evaluations.awards_published",
        sentence=_("commended {value}"),
        label=_("Honours published"),
        unit=_("honours"),
        queryset=_published_awards,
        org_field="org",
        date_field="published_on",
        permission="evaluations.view",
        definition=_(
            "Published nominations (one honoured branch or person each), "
            "by the nominee's organization, on the publication date."
        ),
    ),
    Metric(
        name="evaluations.competitions",
        sentence=_("held {value} competitions"),
        label=_("Competitions held"),
        unit=_("competitions"),
        queryset=_competitions,
        org_field="org",
        date_field="held_on",
        permission="evaluations.view",
        definition=_("Competitions, by organizing organization, on the day they were held."),
    ),
    Metric(
        name="evaluations.winners",
        label=_("Winning entries"),
        unit=_("entries"),
        queryset=_winners,
        org_field="org",
        date_field="competition__published_on",
        permission="evaluations.view",
        definition=_(
            "Winning entries of published competitions, by the entry's owning "
            "organization, on the publication date."
        ),
    ),
):
    register_metric(_metric)


def _my_judging(viewer: Any, user: Any) -> dict[str, Any] | None:
    """On the home page: competitions open for scoring that the viewer is named to judge
    (the appointment, not a role, offers scoring)."""
    if viewer is None or not viewer.is_authenticated:
        return None
    from taizhang.evaluations.selectors import judging_for

    competitions = list(judging_for(viewer=viewer))
    return {"competitions": competitions} if competitions else None


register_slot("core.home", "evaluations/_my_judging.html", _my_judging, order=40)


def _person_honours(viewer: Any, person: Any) -> dict[str, Any] | None:
    """On the person page: published honours the person received and winning entries
    of published competitions, only those the viewer may see."""
    if viewer is None or not viewer.is_authenticated or not viewer.has_function("evaluations.view"):
        return None
    from taizhang.evaluations.models import CompetitionStatus, NominationStatus
    from taizhang.evaluations.permissions import ENTRY, NOMINATION

    honours = list(
        NOMINATION.queryset(viewer)
        .filter(person=person, status=NominationStatus.PUBLISHED)
        .select_related("award__org")
        .order_by("-award__year", "-pk")[:10]
    )
    wins = list(
        ENTRY.queryset(viewer)
        .filter(person=person, is_winner=True, competition__status=CompetitionStatus.PUBLISHED)
        .select_related("competition__org")
        .order_by("-competition__published_on", "-pk")[:10]
    )
    return {"honours": honours, "wins": wins} if honours or wins else None


register_slot("people.person_detail", "evaluations/_person_honours.html", _person_honours)


# To-dos (the workbench, ADR 0048): the queries are in selectors.py.


def _to_score(viewer: Any) -> QuerySet[Any]:
    from taizhang.evaluations.selectors import todo_to_score

    return todo_to_score(viewer=viewer)


def _nominations_to_review(viewer: Any) -> QuerySet[Any]:
    from taizhang.evaluations.selectors import todo_nominations_to_review

    return todo_nominations_to_review(viewer=viewer)


def _entry_title(entry: Any) -> str:
    return gettext("%(competition)s: No. %(number)s %(title)s") % {
        "competition": entry.competition.name,
        "number": entry.number,
        "title": entry.title,
    }


def _nomination_title(nomination: Any) -> str:
    return gettext("%(award)s: %(nominee)s") % {
        "award": nomination.award.name,
        "nominee": nomination.nominee,
    }


register_todo(
    TodoKind(
        name="evaluations.to_score",
        label=_("Entries waiting for your scores"),
        # A judge is named per competition (no role scores); the sheet is reached with
        # the view function every demo judge holds on their own unit.
        permission="evaluations.view",
        items=_to_score,
        title=_entry_title,
        url=lambda e: reverse("evaluations:score", args=[e.competition_id, e.pk]),
        why=_(
            "You are a judge of this competition and have not scored this entry yet; "
            "entries you abstain from (conflict of interest) are not listed."
        ),
        order=40,
    )
)
register_todo(
    TodoKind(
        name="evaluations.nominations_to_review",
        label=_("Nominations waiting for your review"),
        permission="evaluations.manage",
        items=_nominations_to_review,
        title=_nomination_title,
        url=lambda n: reverse("evaluations:award_detail", args=[n.award_id]) + "#nominations",
        why=_(
            "Nominated for an award your unit gives: approve it within the quota, "
            "or reject it with a reason, before the list is published."
        ),
        order=45,
    )
)


# Excel: the nominations' export and import read the same columns (evaluations/imports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.evaluations.exports import EXPORTS  # noqa: E402
from taizhang.evaluations.imports import IMPORTER  # noqa: E402

for _export in EXPORTS:
    register_export(_export)
register_importer(IMPORTER)


# The person pickers of the evaluations forms (issue 18): an entry's person holds a
# position, a nominated person is a Party member; both among the nominees' scope.
from taizhang.core.registry import PersonSource, register_person_source  # noqa: E402
from taizhang.evaluations.selectors import nominee_person_choices  # noqa: E402

register_person_source(
    PersonSource(
        "evaluations.entry_person",
        "evaluations.manage",
        lambda viewer: (
            nominee_person_choices(viewer=viewer).filter(positions__isnull=False).distinct()
        ),
    )
)
register_person_source(
    PersonSource(
        "evaluations.nominee",
        "evaluations.manage",
        lambda viewer: nominee_person_choices(viewer=viewer).filter(membership__isnull=False),
    )
)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "nominations": _("Nominations"),
        "objections": _("Objections during the public notice"),
    },
    object_type="evaluations.award",
)
register_audit_fields(
    {
        "winners": _("Winning entries"),
    },
    object_type="evaluations.competition",
)
register_audit_fields(
    {
        "judge": _("Judge"),
    },
    object_type="evaluations.entry",
)

register_audit_fields(
    {
        "award": _("Award"),
    },
    object_type="evaluations.nomination",
)

# Actions whose verb alone would read wrongly beside the record (core/audit_display.py).
from taizhang.core.registry import register_audit_action  # noqa: E402

register_audit_action("award.notice_set", _("Award list put on public notice"))
register_audit_action("nomination.from_winners", _("Competition winners nominated"))
