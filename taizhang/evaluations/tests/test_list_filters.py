"""The shared list filters on the competition and award lists (page, API, export).

Competitions: organization and its subtree on the organizer, dates on the day held,
"mine" (the viewer is named a judge, or the viewer's person is on an entry). Awards:
organization on the awarding organization, dates on the day the list was published,
"mine" (the viewer's person is nominated)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.evaluations.models import Award, AwardKind, EntryKind
from taizhang.evaluations.services import (
    award_create,
    competition_create,
    entry_add,
    judge_add,
    nomination_create,
)
from taizhang.organizations.tests import ledger_checks as checks
from taizhang.people.services import person_create

pytestmark = pytest.mark.django_db


def _make(org, day, title):
    return competition_create(org=org, name=title, held_on=day, acting_user=SYSTEM)


def _make_mine(user, org, day, title):
    competition = _make(org, day, title)
    checks.person_of(user, org)
    judge_add(competition=competition, user=user, acting_user=SYSTEM)
    return competition


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("evaluations:competitions"),
        api_url="/api/v1/evaluations/competitions",
        make=_make,
        make_mine=_make_mine,
        item_text=lambda item: item["name"],
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's competitions (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (held)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the competitions the viewer is named a judge of."""
    checks.check_mine(client, tree, personas, case)


def test_mine_entrant(client, tree, personas, case):
    """mine=1 also finds the competitions with an entry of the viewer's person."""

    def make_mine(user, org, day, title):
        competition = _make(org, day, title)
        entry_add(
            competition=competition,
            kind=EntryKind.BRAND,
            title="我的参赛作品",
            org=org,
            person=checks.person_of(user, org),
            acting_user=SYSTEM,
        )
        return competition

    case.make_mine = make_mine
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_export_uses_the_filters(client, tree, personas, case):
    """The Excel export reads the page's filters; one the page refuses is a 404."""
    from taizhang.evaluations.exports import build_competitions

    for org, title in ((tree.community_a, "甲街道的竞赛"), (tree.community_b, "乙街道的竞赛")):
        competition = case.make(org, checks.DAY, title)
        entry_add(
            competition=competition, kind=EntryKind.BRAND, title=title, org=org, acting_user=SYSTEM
        )
    assert build_competitions(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    assert build_competitions(personas.district, {}).count == 2
    client.force_login(personas.street_a)
    refused = client.get(reverse("evaluations:competition_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404


# Awards: organization on the awarding organization, dates on the day the list was
# published, "mine" (the viewer's person is nominated).


def _make_award(org, day, title, nominee=None):
    award = award_create(
        org=org,
        kind=AwardKind.EXCELLENT_MEMBER,
        name=title,
        year=day.year,
        quota=5,
        acting_user=SYSTEM,
    )
    if nominee is not None:
        nomination_create(award=award, person=nominee, acting_user=SYSTEM)
    # Publishing needs reviewed nominations; the filters only read the day.
    Award.objects.filter(pk=award.pk).update(published_on=day)
    return award


@pytest.fixture
def award_case():
    return checks.LedgerCase(
        page_url=reverse("evaluations:awards"),
        api_url="/api/v1/evaluations/awards",
        make=_make_award,
        make_mine=lambda user, org, day, title: _make_award(
            org, day, title, nominee=checks.person_of(user, org)
        ),
        item_text=lambda item: item["name"],
    )


def test_awards_org_narrows_to_subtree(client, tree, personas, award_case):
    """The district clerk filtering to street A sees A's awards (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, award_case)


def test_awards_out_of_scope_org_reads_like_unknown(client, tree, personas, award_case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, award_case)


def test_awards_dates_are_inclusive(client, tree, personas, award_case):
    """date_from and date_to include their own day (published)."""
    checks.check_dates_are_inclusive(client, tree, personas, award_case)


def test_awards_bad_dates_are_refused(client, tree, personas, award_case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, award_case)


def test_awards_mine(client, tree, personas, award_case):
    """mine=1: the awards the viewer's person is nominated for."""
    checks.check_mine(client, tree, personas, award_case)


def test_awards_query_count_with_filters(
    client, tree, personas, award_case, django_assert_max_num_queries
):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, award_case, django_assert_max_num_queries
    )


def test_nomination_export_uses_the_filters(client, tree, personas, award_case):
    """The nomination export reads the page's filters; one the page refuses is a 404."""
    from taizhang.evaluations.exports import build_nominations

    for org, name in ((tree.community_a, "甲街道党员"), (tree.community_b, "乙街道党员")):
        person = person_create(organization=org, name=name, gender="M", acting_user=SYSTEM)
        award_case.make(org, checks.DAY, f"{name}评选", nominee=person)
    assert build_nominations(personas.district, {"org": str(tree.street_a.pk)}).count == 1
    assert build_nominations(personas.district, {}).count == 2
    client.force_login(personas.street_a)
    refused = client.get(reverse("evaluations:nomination_export"), {"org": tree.street_b.pk})
    assert refused.status_code == 404
