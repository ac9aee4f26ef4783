"""Reads are scoped by the organizer; the report's figures come from the records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import METRICS
from taizhang.trainings import services
from taizhang.trainings.selectors import (
    class_report,
    class_roster,
    get_training_class_for_viewer,
    trainee_record,
    training_class_list,
)
from taizhang.trainings.tests.factories import START, make_class, make_person, make_sessions

pytestmark = pytest.mark.django_db
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


@pytest.fixture
def classes(tree):
    return {
        "a": make_class(tree.street_a, title="A的班"),
        "b": make_class(tree.street_b, title="B的班"),
        "d": make_class(tree.district, title="区的班"),
    }


def test_district_sees_all(personas, classes):
    assert training_class_list(viewer=personas.district).count() == 3


def test_street_a_sees_her_subdistrict(personas, classes):
    assert [c.title for c in training_class_list(viewer=personas.street_a)] == ["A的班"]


def test_street_b_gets_404_on_a(personas, classes):
    for pk in (classes["a"].pk, 999_999, "x"):
        with pytest.raises(Http404):
            get_training_class_for_viewer(personas.street_b, pk)
    assert "A的班" not in [c.title for c in training_class_list(viewer=personas.street_b)]


def test_nobody_sees_nothing(personas, classes):
    assert training_class_list(viewer=personas.nobody).count() == 0


def test_trainee_record_across_classes_is_scoped(tree, personas, classes):
    """A's member trained by A and by the district: district sees both, A sees A's only."""
    person = make_person(tree.community_a, "学员")
    for klass in (classes["a"], classes["d"]):
        services.enrollment_create(training_class=klass, persons=[person], acting_user=SYSTEM)
    _p, rows = trainee_record(viewer=personas.district, person_pk=person.pk)
    assert {r.training_class.title for r in rows} == {"A的班", "区的班"}
    _p, rows = trainee_record(viewer=personas.street_a, person_pk=person.pk)
    assert [r.training_class.title for r in rows] == ["A的班"]
    with pytest.raises(Http404):
        trainee_record(viewer=personas.street_b, person_pk=person.pk)


def test_class_report_figures(tree):
    """Trainees, days, sessions by type, attendance rate, reflections, graduates."""
    klass = make_class(tree.district, capacity=10)
    sessions = make_sessions(klass, 5)
    rows = services.enrollment_create(
        training_class=klass,
        persons=[make_person(tree.community_a, f"学员{i}") for i in range(4)],
        acting_user=SYSTEM,
    )
    for i, session in enumerate(sessions):
        services.session_check_in(
            session=session, enrollments=rows if i else rows[:1], acting_user=SYSTEM
        )
    for row in rows[:3]:
        services.reflection_submit(enrollment=row, title="体会", text=TEXT, acting_user=SYSTEM)
    report = class_report(klass)
    assert (report.trainees, report.days, report.sessions) == (4, 4, 5)
    assert {c: n for c, _l, n in report.sessions_by_kind}["lecture"] == 1
    assert report.checkins == 17
    assert report.attendance_rate == Decimal("85.0")
    assert report.graduates is None and report.reflections == 3
    services.training_class_complete(
        training_class=klass, completed_on=START + dt.timedelta(days=3), acting_user=SYSTEM
    )
    klass.refresh_from_db()
    report = class_report(klass)
    assert report.graduates == 3 and report.graduation_rate == Decimal("75.0")
    assert "第22期党支部书记培训班" in report.press_lines[0]
    assert "4名学员参加培训" in report.press_lines[0]
    assert any("3名学员顺利结业" in line for line in report.press_lines)
    assert [r.live_pct for r in class_roster(klass)] == [100, 80, 80, 80]  # type: ignore[attr-defined]


def test_metrics_are_registered_on_real_fields(tree):
    klass = make_class(tree.district)
    services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a)], acting_user=SYSTEM
    )
    for name in ("trainings.classes", "trainings.trainees", "trainings.graduates"):
        metric = METRICS[name]
        metric.queryset().values(metric.org_field, metric.date_field).first()
    assert METRICS["trainings.trainees"].queryset().count() == 1
