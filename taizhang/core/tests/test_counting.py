"""Counts that stay cheap (``core.counting``): exact below the threshold, an estimate
marked as one above it, on the pages and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from taizhang.core import counting
from taizhang.core.counting import EstimatedPaginator, cheap_count, rounded
from taizhang.problems.models import Problem, ProblemKind
from tests.support import bearer

pytestmark = pytest.mark.django_db


def _problems(org, count: int) -> None:
    kind = ProblemKind.objects.first()
    Problem.objects.bulk_create(
        Problem(
            org=org,
            lead_unit=org,
            kind=kind,
            title=f"问题{n}",
            source="survey",
            category="other",
            deadline=dt.date(2026, 6, 1),
            raised_on=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
        )
        for n in range(count)
    )


def test_exact_at_and_below_the_threshold(tree):
    _problems(tree.street_a, 12)
    rows = Problem.objects.all()
    assert cheap_count(rows, threshold=12) == counting.ListCount(12, is_estimate=False)
    assert cheap_count(rows, threshold=100).value == 12
    assert not cheap_count(rows, threshold=100).is_estimate
    assert cheap_count([1, 2, 3]) == counting.ListCount(3)


def test_above_the_threshold_the_count_is_marked_an_estimate(tree):
    _problems(tree.street_a, 12)
    counted = cheap_count(Problem.objects.all(), threshold=5)
    assert counted.is_estimate
    if connection.vendor == "postgresql":
        # The planner's estimate, never below the rows counted on the way.
        assert counted.value >= 6 and not counted.at_least
    else:
        assert counted == counting.ListCount(5, is_estimate=True, at_least=True)


def test_the_paginator_pages_past_an_estimate_while_rows_remain(tree):
    _problems(tree.street_a, 23)
    rows = Problem.objects.order_by("pk")
    exact = EstimatedPaginator(rows, 10)
    assert (exact.count, exact.count_is_estimate, exact.num_pages) == (23, False, 3)
    paginator = EstimatedPaginator(rows, 10, threshold=5)
    assert paginator.count_is_estimate
    first = paginator.get_page(1)
    assert len(first.object_list) == 10 and first.has_next() and not first.has_previous()
    last = paginator.get_page(3)
    assert len(last.object_list) == 3 and not last.has_next() and last.has_previous()
    assert [p.pk for p in last.object_list] == list(rows.values_list("pk", flat=True)[20:])
    # Past the rows (an estimate can be high): the page of the last row, not an empty one.
    assert paginator.get_page(99).number == 3
    assert len(paginator.get_page(99).object_list) == 3
    assert paginator.get_page("x").number == 1


def test_rounded_estimates():
    assert [rounded(n) for n in (7, 99, 123, 12_345, 987_654)] == [7, 99, 120, 12_000, 990_000]


def test_the_api_marks_an_estimated_count(client, tree, personas, monkeypatch):
    _problems(tree.street_a, 8)
    headers = bearer(client, personas.district)
    body = client.get("/api/v1/problems", **headers).json()
    assert (body["count"], body["count_is_estimate"]) == (8, False)
    monkeypatch.setattr(counting, "EXACT_BELOW", 3)
    body = client.get("/api/v1/problems?limit=5", **headers).json()
    assert body["count_is_estimate"] is True
    assert len(body["items"]) == 5
    assert body["count"] >= 3


def test_the_page_shows_an_estimate_as_one(client, tree, personas, monkeypatch):
    _problems(tree.street_a, 60)
    client.force_login(personas.district)
    response = client.get("/problems/", HTTP_ACCEPT_LANGUAGE="en")
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.count_is_estimate) == (60, False)
    assert _says(response, "Page 1 of 2, 60 in all", "第 1 / 2 页，共 60 条")
    monkeypatch.setattr(counting, "EXACT_BELOW", 20)
    if connection.vendor == "postgresql":  # statistics: the planner's guess is then 60
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE problems_problem")
    response = client.get("/problems/", HTTP_ACCEPT_LANGUAGE="en")
    paginator = response.context["page"].paginator
    # Not the exact pager ("Page 1 of 3, 60 in all"), whatever the estimate comes to
    # (PostgreSQL's planner may well guess 60 once the table has statistics).
    assert paginator.count_is_estimate and not _says(response, "Page 1 of", "第 1 / ")
    if connection.vendor == "postgresql":
        assert not paginator.count_at_least
        assert _says(response, "about", "约")
    else:
        assert paginator.count_at_least and paginator.shown_count == 20
        assert _says(response, "Page 1, more than 20 in all", "第 1 页，共 20 条以上")


def _says(response, english: str, chinese: str) -> bool:
    """The pager's words, in whichever of the two languages the page came in."""
    text = response.content.decode()
    return english in text or chinese in text


@pytest.mark.parametrize("threshold", [5, 100])
def test_late_rows_give_the_same_pages(tree, threshold):
    _problems(tree.street_a, 23)
    rows = Problem.objects.select_related("org").order_by("-raised_on", "-pk")
    plain = EstimatedPaginator(rows, 10, threshold=threshold)
    late = EstimatedPaginator(rows, 10, threshold=threshold, late_rows=True)
    for number in (1, 2, 3):
        expected = [p.pk for p in plain.get_page(number).object_list]
        assert [p.pk for p in late.get_page(number).object_list] == expected
        assert late.get_page(number).has_next() == plain.get_page(number).has_next()
