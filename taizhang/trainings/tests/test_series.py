"""Training series (培训系列): numbering per series, the plan and progress, scope, audit,
the series page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, version_of
from taizhang.trainings import services
from taizhang.trainings.models import TrainingClass
from taizhang.trainings.selectors import (
    next_class_number,
    series_press_line,
    series_progress,
    training_series_list,
)
from taizhang.trainings.tests.factories import START, make_class, make_person, make_series
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_two_series_of_one_organizer_each_have_a_first_class(tree, personas):
    grid = make_series(tree.street_a, acting_user=personas.street_a)
    secretaries = make_series(
        tree.street_a, title="党支部书记轮训班", acting_user=personas.street_a
    )
    first = make_class(tree.street_a, number=1, series=grid, acting_user=personas.street_a)
    other = make_class(tree.street_a, number=1, series=secretaries, acting_user=personas.street_a)
    # A class without a series keeps the organizer's own numbering: a 第1期 too.
    plain = make_class(tree.street_a, number=1)
    assert {first.series_id, other.series_id, plain.series_id} == {grid.pk, secretaries.pk, None}
    with pytest.raises(ValidationError, match="This series already has a class"):
        make_class(tree.street_a, number=1, series=grid)
    with pytest.raises(ValidationError, match="This organizer already has a class"):
        make_class(tree.street_a, number=1)
    assert next_class_number(tree.street_a, grid) == 2
    assert next_class_number(tree.street_a, None) == 2


def test_the_database_holds_the_numbering_rule(tree):
    grid = make_series(tree.street_a)
    make_class(tree.street_a, number=3, series=grid)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingClass.objects.create(
            org=tree.street_a,
            series=grid,
            number=3,
            title="x",
            start_date=START,
            end_date=START,
            capacity=1,
        )


def test_series_is_the_organizers_and_in_scope(tree, personas):
    grid = make_series(tree.street_a)
    with pytest.raises(ValidationError, match="another organizer"):
        make_class(tree.district, number=1, series=grid)
    # A clerk of a sibling subdistrict neither starts a series there nor uses one.
    with pytest.raises(PermissionDenied):
        make_series(tree.street_a, title="别人的系列", acting_user=personas.street_b)
    with pytest.raises(PermissionDenied):
        services.training_series_update(
            series=grid, planned_classes=9, acting_user=personas.street_b
        )
    assert not training_series_list(viewer=personas.street_b).filter(pk=grid.pk).exists()
    assert training_series_list(viewer=personas.street_a).filter(pk=grid.pk).exists()
    with pytest.raises(ValidationError):
        make_class(tree.street_b, number=1, series=grid, acting_user=personas.street_b)


def test_create_and_update_are_audited_and_versioned(tree, personas):
    grid = make_series(tree.street_a, acting_user=personas.street_a, planned_classes=3)
    event = AuditEvent.objects.get(action="training_series.create")
    assert event.changes["planned_classes"] == [None, 3]
    seen = version_of(grid)
    services.training_series_update(
        series=grid, planned_classes=5, version=seen, acting_user=personas.street_a
    )
    event = AuditEvent.objects.get(action="training_series.update")
    assert event.changes["planned_classes"] == [3, 5]
    with pytest.raises(StaleEdit):
        services.training_series_update(
            series=grid, planned_trainees=1, version=seen, acting_user=personas.street_a
        )
    with pytest.raises(ValidationError, match="at least one class"):
        services.training_series_update(series=grid, planned_classes=0, acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="already has a series"):
        make_series(tree.street_a, planned_classes=2)


def test_progress_counts_classes_begun_and_their_trainees(tree):
    grid = make_series(tree.street_a, planned_classes=4, planned_trainees=10)
    first = make_class(tree.street_a, number=1, series=grid)
    make_class(
        tree.street_a,
        number=2,
        series=grid,
        start_date=START + dt.timedelta(days=30),
        end_date=START + dt.timedelta(days=31),
    )
    people = [make_person(tree.community_a, f"网格员{i}") for i in range(3)]
    services.enrollment_create(training_class=first, persons=people, acting_user=SYSTEM)
    on = START + dt.timedelta(days=5)
    progress = series_progress(grid, on)
    assert (progress.held, progress.opened, progress.planned_classes) == (1, 2, 4)
    assert (progress.trainees, progress.planned_trainees) == (3, 10)
    assert (progress.classes_pct, progress.trainees_pct) == (25, 30)
    assert series_press_line(grid, progress) == (
        "网格员业务能力培训班已举办1期（计划4期），培训3人次（计划10人次）"
    )
    row = training_series_list(viewer=SYSTEM, on=on).get(pk=grid.pk)
    assert (row.held_count, row.held_trainees, row.classes_pct) == (1, 3, 25)
    later = series_progress(grid, START + dt.timedelta(days=40))
    assert later.held == 2


def test_series_page_and_form(client, tree, personas):
    grid = make_series(tree.street_a)
    make_class(tree.street_a, number=1, series=grid, title="第一期网格员培训")
    body = login(client, personas.street_a).get(reverse("trainings:series", args=[grid.pk]))
    assert body.status_code == 200
    text = body.content.decode()
    assert "第一期网格员培训" in text and "网格员业务能力培训班已举办1期" in text
    assert "网格员业务能力培训班" in client.get(reverse("trainings:list")).content.decode()
    # The next class is offered with the series, its organizer and its next number.
    form = client.get(reverse("trainings:create") + f"?series={grid.pk}").content.decode()
    assert 'value="2"' in form
    response = client.post(
        reverse("trainings:series_create"),
        {
            "org": tree.street_a.pk,
            "title": "党员发展对象培训班",
            "planned_classes": 2,
            "planned_trainees": 80,
        },
    )
    assert response.status_code == 302
    edit = reverse("trainings:series_edit", args=[grid.pk])
    page = client.get(edit)
    assert page.status_code == 200
    response = client.post(
        edit,
        {
            "title": grid.title,
            "planned_classes": 6,
            "planned_trainees": 300,
            "version": page.context["form"].initial["version"],
        },
    )
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.planned_classes == 6


def test_series_page_out_of_scope_is_a_404(client, tree, personas):
    grid = make_series(tree.street_a)
    client = login(client, personas.street_b)
    assert client.get(reverse("trainings:series", args=[grid.pk])).status_code == 404
    assert client.get(reverse("trainings:series_edit", args=[grid.pk])).status_code == 404
    assert client.get(reverse("trainings:create") + f"?series={grid.pk}").status_code == 404


def test_series_api(client, tree, personas):
    from tests.support import bearer

    url = "/api/v1/trainings/series"
    headers = bearer(client, personas.street_a)
    body = {
        "org_id": tree.street_a.pk,
        "title": "网格员业务能力培训班",
        "planned_classes": 3,
        "planned_trainees": 90,
    }
    created = client.post(url, body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    series_id = created.json()["id"]
    klass = client.post(
        "/api/v1/trainings",
        {
            "org_id": tree.street_a.pk,
            "series_id": series_id,
            "number": 1,
            "title": "第一期",
            "start_date": "2026-09-15",
            "end_date": "2026-09-16",
            "capacity": 30,
        },
        content_type="application/json",
        **headers,
    )
    assert klass.status_code == 201, klass.content
    assert klass.json()["series_id"] == series_id
    detail = client.get(f"{url}/{series_id}", **headers).json()
    assert detail["class_ids"] == [klass.json()["id"]]
    assert detail["progress"]["planned_classes"] == 3
    assert [s["title"] for s in client.get(url, **headers).json()["items"]] == [
        "网格员业务能力培训班"
    ]
    other = bearer(client, personas.street_b)
    assert client.get(f"{url}/{series_id}", **other).status_code == 404
    assert client.get(url, **other).json()["items"] == []
    # A hidden series and a missing one get the same 422.
    answers = [
        client.post(
            "/api/v1/trainings",
            {
                "org_id": tree.street_b.pk,
                "series_id": pk,
                "number": 1,
                "title": "x",
                "start_date": "2026-09-15",
                "end_date": "2026-09-16",
                "capacity": 3,
            },
            content_type="application/json",
            **other,
        )
        for pk in (series_id, 9_999_999)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()
    refused = client.post(
        url,
        {**body, "org_id": tree.street_a.pk, "title": "别人的"},
        content_type="application/json",
        **other,
    )
    assert refused.status_code == 422


def test_series_figure_is_a_part_of_the_classes(tree):
    from taizhang.core.registry import METRICS
    from taizhang.statistics.figures import compute
    from taizhang.statistics.periods import Period

    grid = make_series(tree.street_a)
    make_class(tree.street_a, number=1, series=grid)
    make_class(tree.street_a, number=2, series=grid)
    make_class(tree.street_a, number=1)
    period = Period(kind="year", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    metric = METRICS["trainings.series_classes"]
    assert metric.part_of == "trainings.classes"
    assert compute(SYSTEM, metric, tree.district, period) == 2
    assert compute(SYSTEM, METRICS["trainings.classes"], tree.district, period) == 3
