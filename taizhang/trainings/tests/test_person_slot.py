"""The person page's trainings panel: classes enrolled in, with the outcome, only
classes whose organizer the viewer sees."""

from __future__ import annotations

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.trainings import services
from taizhang.trainings.manifest import _person_trainings
from taizhang.trainings.tests.factories import make_class, make_person
from tests.support import make_user

pytestmark = pytest.mark.django_db


def test_enrolled_classes_shown_in_scope(tree, personas):
    """street_a sees the class A runs that the person is enrolled in."""
    person = make_person(tree.community_a, "孙八")
    klass = make_class(tree.street_a)
    (enrollment,) = services.enrollment_create(
        training_class=klass, persons=[person], acting_user=SYSTEM
    )
    panel = _person_trainings(personas.street_a, person)
    assert panel is not None and panel["enrollments"] == [enrollment]


def test_viewer_outside_scope_sees_nothing(tree, personas):
    """A class B runs is hidden from street_a; without trainings.view there is no panel."""
    person = make_person(tree.community_a, "孙八")
    services.enrollment_create(
        training_class=make_class(tree.street_b), persons=[person], acting_user=SYSTEM
    )
    assert _person_trainings(personas.street_a, person) is None
    assert _person_trainings(personas.street_b, person) is not None
    auditor = make_user("audit_t", ("audit_admin", ScopeKind.SUBTREE, tree.district))
    assert _person_trainings(auditor, person) is None
