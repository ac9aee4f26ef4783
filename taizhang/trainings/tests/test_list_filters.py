"""The shared list filters on the training-class ledger (page, API, export): organization
and its subtree on the organizer, dates on the class's first day, "mine" (the viewer's
person is a trainee or the speaker of one of its sessions)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.organizations.tests import ledger_checks as checks
from taizhang.trainings import services
from taizhang.trainings.tests.factories import make_class

pytestmark = pytest.mark.django_db

_numbers = itertools.count(100)


def _make(org, day, title):
    return make_class(
        org, number=next(_numbers), title=title, start_date=day, end_date=day + dt.timedelta(2)
    )


def _make_mine(user, org, day, title):
    klass = _make(org, day, title)
    person = checks.person_of(user, org)
    services.enrollment_create(training_class=klass, persons=[person], acting_user=SYSTEM)
    return klass


@pytest.fixture
def case():
    return checks.LedgerCase(
        page_url=reverse("trainings:list"),
        api_url="/api/v1/trainings",
        make=_make,
        make_mine=_make_mine,
    )


def test_org_narrows_to_subtree(client, tree, personas, case):
    """The district clerk filtering to street A sees A's classes (and below) only."""
    checks.check_org_narrows_to_subtree(client, tree, personas, case)


def test_out_of_scope_org_reads_like_unknown(client, tree, personas, case):
    """Street A's clerk naming street B: the filter error and nothing; API 422 alike."""
    checks.check_out_of_scope_org_is_like_unknown(client, tree, personas, case)


def test_dates_are_inclusive(client, tree, personas, case):
    """date_from and date_to include their own day (the class's first day)."""
    checks.check_dates_are_inclusive(client, tree, personas, case)


def test_bad_dates_are_refused(client, tree, personas, case):
    """A malformed date or a start after the end: a Chinese error and no rows; API 422."""
    checks.check_bad_dates_are_refused(client, tree, personas, case)


def test_mine(client, tree, personas, case):
    """mine=1: the classes the viewer's person is enrolled in."""
    checks.check_mine(client, tree, personas, case)


def test_mine_speaker(client, tree, personas, case):
    """mine=1 also finds the classes where the viewer's person speaks at a session."""

    def make_mine(user, org, day, title):
        klass = _make(org, day, title)
        services.training_session_create(
            training_class=klass,
            kind="lecture",
            title="专题课",
            day=day,
            start_time=dt.time(9),
            end_time=dt.time(11),
            speaker=checks.person_of(user, org),
            acting_user=SYSTEM,
        )
        return klass

    case.make_mine = make_mine
    checks.check_mine(client, tree, personas, case)


def test_query_count_with_filters(client, tree, personas, case, django_assert_max_num_queries):
    """The list with every filter on stays within the list page's query budget."""
    checks.check_query_count_with_filters(
        client, tree, personas, case, django_assert_max_num_queries
    )


def test_exports_use_the_filters(client, tree, personas, case):
    """The class and roster exports read the page's filters; refused filters: 404."""
    from taizhang.trainings.exports import build_classes, build_roster

    case.make(tree.community_a, checks.DAY, "甲街道的培训班")
    case.make_mine(personas.district, tree.community_b, checks.DAY, "乙街道的培训班")
    params = {"org": str(tree.street_a.pk)}
    assert build_classes(personas.district, params).count == 1
    assert build_roster(personas.district, params).count == 0
    assert build_roster(personas.district, {"org": str(tree.street_b.pk)}).count == 1
    client.force_login(personas.street_a)
    for name in ("trainings:export", "trainings:roster_export"):
        assert client.get(reverse(name), {"org": tree.street_b.pk}).status_code == 404
