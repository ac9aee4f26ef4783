"""Writes: capacity, quotas and duplicates refused; check-in; reflections; 结业 by the rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.trainings import services
from taizhang.trainings.models import CheckIn, Enrollment
from taizhang.trainings.tests.factories import START, make_class, make_person, make_sessions

pytestmark = pytest.mark.django_db
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


def test_create_audits_the_rule(tree, personas):
    klass = make_class(tree.district, acting_user=personas.district, min_attendance_pct=75)
    event = AuditEvent.objects.get(action="training_class.create")
    assert event.changes["min_attendance_pct"] == [None, 75]
    assert klass.days == 4


def test_create_refused_out_of_scope_and_duplicate_number(tree, personas):
    with pytest.raises(PermissionDenied):
        make_class(tree.street_a, acting_user=personas.street_b)
    make_class(tree.street_a)
    with pytest.raises(ValidationError):
        make_class(tree.street_a)


def test_enrollment_refuses_over_capacity(tree):
    """A class of 2 takes 2; the third is refused and nobody of that batch is enrolled."""
    klass = make_class(tree.district, capacity=2)
    people = [make_person(tree.community_a, f"学员{i}") for i in range(3)]
    services.enrollment_create(training_class=klass, persons=people[:2], acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="full"):
        services.enrollment_create(training_class=klass, persons=people[2:], acting_user=SYSTEM)
    assert klass.enrollments.count() == 2


def test_enrollment_refuses_duplicates(tree):
    klass = make_class(tree.district)
    person = make_person(tree.community_a)
    services.enrollment_create(training_class=klass, persons=[person], acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="Already enrolled"):
        services.enrollment_create(training_class=klass, persons=[person], acting_user=SYSTEM)
    other = make_person(tree.community_a, "李四")
    with pytest.raises(ValidationError) as refused:
        services.enrollment_create(training_class=klass, persons=[other, other], acting_user=SYSTEM)
    # Named twice is not "already enrolled", and the message names who it is.
    assert refused.value.messages == ["Named more than once: 李四. Each trainee is enrolled once."]
    with pytest.raises(ValidationError) as refused:
        services.enrollment_create(
            training_class=klass, persons=[person, other, other], acting_user=SYSTEM
        )
    assert refused.value.messages[:2] == [
        f"Already enrolled: {person.name}",
        "Named more than once: 李四. Each trainee is enrolled once.",
    ]


def test_quota_per_organization_subtree(tree):
    """A's 1 place covers A's subtree; B without a quota has no place."""
    klass = make_class(tree.district, capacity=5)
    services.class_quota_set(training_class=klass, org=tree.street_a, quota=1, acting_user=SYSTEM)
    first, second = make_person(tree.grid_a, "甲"), make_person(tree.community_a, "乙")
    services.enrollment_create(training_class=klass, persons=[first], acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="used all its 1 places"):
        services.enrollment_create(training_class=klass, persons=[second], acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="no places"):
        services.enrollment_create(
            training_class=klass, persons=[make_person(tree.community_b, "丙")], acting_user=SYSTEM
        )
    with pytest.raises(ValidationError):
        services.class_quota_set(
            training_class=klass, org=tree.street_b, quota=5, acting_user=SYSTEM
        )


def test_session_must_fall_in_the_class(tree):
    klass = make_class(tree.district)
    with pytest.raises(ValidationError):
        services.training_session_create(
            training_class=klass,
            kind="lecture",
            title="x",
            day=START - dt.timedelta(days=1),
            start_time=dt.time(9),
            end_time=dt.time(11),
            acting_user=SYSTEM,
        )


def test_check_in_and_sheet(tree, personas):
    """Checking in twice counts once; the sheet replaces the session's list; one event each."""
    klass = make_class(tree.district, acting_user=personas.district)
    session = make_sessions(klass, 1)[0]
    rows = services.enrollment_create(
        training_class=klass,
        persons=[make_person(tree.community_a, f"学员{i}") for i in range(3)],
        acting_user=SYSTEM,
    )
    assert services.session_check_in(session=session, enrollments=rows[:2], acting_user=SYSTEM) == 2
    assert services.session_check_in(session=session, enrollments=rows[:2], acting_user=SYSTEM) == 0
    services.session_sheet_save(session=session, present=[rows[2]], acting_user=personas.district)
    assert list(CheckIn.objects.values_list("enrollment_id", flat=True)) == [rows[2].pk]
    event = AuditEvent.objects.get(action="training_session.sheet")
    assert event.changes == {"added": [rows[2].pk], "removed": sorted(r.pk for r in rows[:2])}
    with pytest.raises(PermissionDenied):
        services.session_sheet_save(session=session, present=[], acting_user=personas.street_b)


def test_reflection_submitted_once_and_read(tree, personas):
    klass = make_class(tree.district)
    (row,) = services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a)], acting_user=SYSTEM
    )
    reflection = services.reflection_submit(
        enrollment=row, title="体会", text=TEXT, acting_user=SYSTEM
    )
    with pytest.raises(ValidationError):
        services.reflection_submit(enrollment=row, title="又一篇", text=TEXT, acting_user=SYSTEM)
    reflection = services.reflection_read(
        reflection=reflection, comment="写得好", acting_user=personas.district
    )
    assert reflection.read_at is not None and reflection.read_by == personas.district


def test_completion_applies_the_stated_rule(tree, personas):
    """80% attendance and a reflection: only the trainee meeting both graduates."""
    klass = make_class(tree.district)
    sessions = make_sessions(klass, 5)
    good, no_text, absent = services.enrollment_create(
        training_class=klass,
        persons=[make_person(tree.community_a, n) for n in ("好", "没写", "缺课")],
        acting_user=SYSTEM,
    )
    for i, session in enumerate(sessions):
        present = [good, no_text] + ([absent] if i < 3 else [])
        services.session_check_in(session=session, enrollments=present, acting_user=SYSTEM)
    for row in (good, absent):
        services.reflection_submit(enrollment=row, title="体会", text=TEXT, acting_user=SYSTEM)
    with pytest.raises(PermissionDenied):
        services.training_class_complete(training_class=klass, acting_user=personas.street_a)
    services.training_class_complete(
        training_class=klass,
        completed_on=START + dt.timedelta(days=3),
        acting_user=personas.district,
    )
    outcome = {e.person.name: (e.graduated, e.attendance_pct) for e in Enrollment.objects.all()}
    assert outcome == {"好": (True, 100), "没写": (False, 100), "缺课": (False, 60)}
    event = AuditEvent.objects.get(action="training_class.complete")
    assert event.changes["graduates"] == 1
    with pytest.raises(ValidationError):
        services.enrollment_create(
            training_class=klass,
            persons=[make_person(tree.community_a, "迟到")],
            acting_user=SYSTEM,
        )


def test_rule_without_reflection(tree):
    klass = make_class(tree.district, reflection_required=False, min_attendance_pct=50)
    sessions = make_sessions(klass, 2)
    (row,) = services.enrollment_create(
        training_class=klass, persons=[make_person(tree.community_a)], acting_user=SYSTEM
    )
    services.session_check_in(session=sessions[0], enrollments=[row], acting_user=SYSTEM)
    services.training_class_complete(training_class=klass, acting_user=SYSTEM)
    row.refresh_from_db()
    assert row.graduated is True and row.attendance_pct == 50


def test_completion_needs_sessions(tree):
    with pytest.raises(ValidationError):
        services.training_class_complete(
            training_class=make_class(tree.district), acting_user=SYSTEM
        )
