"""The trainings policies in every layer: classes and enrollments through their
organizer, trainees and lecturers through the one person rule (PERSON), every
service's audit action, and the refused cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.policy import unknown_message
from taizhang.trainings import services
from taizhang.trainings.forms import ClassForm, QuotaForm
from taizhang.trainings.permissions import ENROLLMENT, TRAINING_CLASS, can
from taizhang.trainings.selectors import (
    get_training_class_for_viewer,
    trainee_record,
    training_class_list,
)
from taizhang.trainings.tests.factories import START, make_class, make_person, make_sessions
from tests.support import make_user

pytestmark = pytest.mark.django_db
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


def test_classes_and_enrollments_are_seen_through_the_organizer(tree, personas):
    ours = make_class(tree.street_a, number=1)
    theirs = make_class(tree.street_b, number=2)
    person = make_person(tree.community_a, "学员甲")
    for klass in (ours, theirs):
        services.enrollment_create(training_class=klass, persons=[person], acting_user=SYSTEM)
    assert set(training_class_list(viewer=personas.street_a)) == {ours}
    assert get_training_class_for_viewer(personas.street_a, ours.pk) == ours
    for pk in (theirs.pk, 999_999, "x"):
        with pytest.raises(Http404):
            get_training_class_for_viewer(personas.street_a, pk)
    _person, rows = trainee_record(viewer=personas.street_a, person_pk=person.pk)
    assert [row.training_class_id for row in rows] == [ours.pk]
    assert set(ENROLLMENT.queryset(personas.district).values_list("training_class", flat=True)) == {
        ours.pk,
        theirs.pk,
    }
    with pytest.raises(Http404):
        trainee_record(viewer=personas.street_b, person_pk=person.pk)


def test_org_only_clerk_runs_her_classes_only(tree):
    clerk = make_user("a_only", ("clerk", ScopeKind.ORG, tree.street_a))
    ours = make_class(tree.street_a, number=1)
    below = make_class(tree.community_a, number=2)
    assert can(clerk, "enroll", ours) and not can(clerk, "enroll", below)
    offered = set(ClassForm(viewer=clerk).fields["org"].queryset)
    assert offered == {tree.street_a}
    assert set(QuotaForm(viewer=clerk).fields["org"].queryset) == {tree.street_a}
    with pytest.raises(PermissionDenied):
        make_sessions_as(below, clerk)
    # A trainee she may not see (a person of a community below) is refused.
    hidden = make_person(tree.community_a, "社区学员")
    with pytest.raises(ValidationError) as refused:
        services.enrollment_create(training_class=ours, persons=[hidden], acting_user=clerk)
    assert "persons" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.class_quota_set(
            training_class=ours, org=tree.community_a, quota=1, acting_user=clerk
        )
    assert refused.value.message_dict == {"org": [unknown_message()]}


def make_sessions_as(klass, user):
    return services.training_session_create(
        training_class=klass,
        kind="lecture",
        title="专题课",
        day=klass.start_date,
        start_time=dt.time(9),
        end_time=dt.time(11),
        acting_user=user,
    )


def test_a_hidden_lecturer_is_refused(tree, personas):
    klass = make_class(tree.street_a)
    outsider = make_person(tree.community_b, "外校教授")
    with pytest.raises(ValidationError) as refused:
        services.training_session_create(
            training_class=klass,
            kind="lecture",
            title="专题课",
            day=START,
            start_time=dt.time(9),
            end_time=dt.time(11),
            speaker=outsider,
            acting_user=personas.street_a,
        )
    assert "speaker" in refused.value.message_dict


def test_every_write_refuses_outsiders_and_a_missing_actor(tree, personas):
    klass = make_class(tree.street_a)
    session = make_sessions(klass, 1)[0]
    person = make_person(tree.community_a, "学员乙")
    enrollment = services.enrollment_create(
        training_class=klass, persons=[person], acting_user=SYSTEM
    )[0]
    reflection = services.reflection_submit(
        enrollment=enrollment, title="心得", text=TEXT, acting_user=SYSTEM
    )
    calls = [
        lambda user: services.class_quota_set(
            training_class=klass, org=tree.street_a, quota=1, acting_user=user
        ),
        lambda user: make_sessions_as(klass, user),
        lambda user: services.enrollment_create(training_class=klass, persons=[], acting_user=user),
        lambda user: services.session_check_in(
            session=session, enrollments=[enrollment], acting_user=user
        ),
        lambda user: services.session_sheet_save(session=session, present=[], acting_user=user),
        lambda user: services.reflection_read(reflection=reflection, acting_user=user),
        lambda user: services.enrollment_withdraw(enrollment=enrollment, acting_user=user),
        lambda user: services.training_class_complete(training_class=klass, acting_user=user),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call(personas.street_b)
        with pytest.raises(TypeError):
            call(None)


def test_every_service_records_its_audit_action(tree, personas):
    clerk = personas.street_a
    klass = make_class(tree.street_a, acting_user=clerk, capacity=3)
    person, other = make_person(tree.community_a, "学员丙"), make_person(tree.community_a, "学员丁")
    steps = [
        ("training_class.create", lambda: make_class(tree.street_a, number=7, acting_user=clerk)),
        ("training_class.quota", lambda: services.class_quota_set(
            training_class=klass, org=tree.street_a, quota=3, acting_user=clerk)),
        ("training_session.create", lambda: make_sessions_as(klass, clerk)),
        ("training_class.enroll", lambda: services.enrollment_create(
            training_class=klass, persons=[person, other], acting_user=clerk)),
        ("training_session.check_in", lambda: services.session_check_in(
            session=klass.sessions.get(), enrollments=list(klass.enrollments.all()),
            acting_user=clerk)),
        ("training_session.sheet", lambda: services.session_sheet_save(
            session=klass.sessions.get(), present=list(klass.enrollments.all()),
            acting_user=clerk)),
        ("training_class.withdraw", lambda: services.enrollment_withdraw(
            enrollment=klass.enrollments.get(person=other), acting_user=clerk)),
        ("reflection.submit", lambda: services.reflection_submit(
            enrollment=klass.enrollments.get(), title="心得", text=TEXT, acting_user=clerk)),
        ("reflection.read", lambda: services.reflection_read(
            reflection=klass.enrollments.get().reflection, acting_user=clerk)),
        ("training_class.complete", lambda: services.training_class_complete(
            training_class=klass, completed_on=START + dt.timedelta(days=3),
            acting_user=clerk)),
    ]  # fmt: skip
    for action, step in steps:
        step()
        event = AuditEvent.objects.latest("pk")
        assert (event.action, event.actor_id) == (action, clerk.pk), action


def test_policy_org_choices_match_the_grants(tree, personas):
    assert set(TRAINING_CLASS.org_choices(personas.street_b)) >= {tree.street_b}
    assert tree.street_a not in set(TRAINING_CLASS.org_choices(personas.street_b))
