"""Person writes are scoped and audited; personal data never enters the trail in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.people.models import Position, PositionTitle
from taizhang.people.services import (
    person_create,
    person_import,
    person_reveal,
    person_update,
    position_assign,
    position_end,
)
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_create_is_audited_without_personal_data(tree, personas):
    """The audit event says the mobile number was set, not what it is."""
    person_create(
        organization=tree.community_a,
        name="李华",
        gender="F",
        mobile="13900001111",
        id_number="990102198505051234",
        acting_user=personas.street_a,
    )
    event = AuditEvent.objects.get(action="person.create")
    assert "13900001111" not in str(event.changes)
    assert event.changes["mobile"] == ["", "***"]
    assert event.changes["name"] == [None, "李华"]


def test_writes_outside_scope_refused(tree, personas):
    """street_a cannot record a person in B, nor move one of hers there."""
    with pytest.raises(PermissionDenied):
        person_create(
            organization=tree.community_b, name="x", gender="M", acting_user=personas.street_a
        )
    person = make_person(tree.community_a)
    with pytest.raises(PermissionDenied):
        person_update(person=person, organization=tree.community_b, acting_user=personas.street_a)


def test_several_positions_at_once(tree):
    """One person may be secretary and director at the same time."""
    person = make_person(tree.community_a, title=PositionTitle.SECRETARY)
    position_assign(
        person=person,
        organization=tree.community_a,
        title=PositionTitle.DIRECTOR,
        start_date=dt.date(2022, 1, 1),
        acting_user=SYSTEM,
    )
    assert Position.objects.filter(person=person, end_date__isnull=True).count() == 2


def test_position_end_before_start_refused(tree):
    """A position cannot end before it began."""
    person = make_person(tree.community_a, title=PositionTitle.GRID_WORKER)
    position = person.positions.get()
    with pytest.raises(ValidationError):
        position_end(position=position, end_date=dt.date(2000, 1, 1), acting_user=SYSTEM)


def test_reveal_is_audited_and_refused_without_the_right(tree, personas):
    """The personnel officer sees the number (audited); a clerk is refused (audited too)."""
    person = make_person(tree.community_a)
    assert person_reveal(person=person, acting_user=personas.personnel) == {
        "mobile": "13812345678",
        "id_number": "990102199001011234",
    }
    assert person_reveal(person=person, acting_user=personas.street_a) is None
    outcomes = list(
        AuditEvent.objects.filter(action="person.reveal").values_list("outcome", flat=True)
    )
    assert outcomes == ["success", "denied"]


def test_import_is_all_or_nothing(tree):
    """One bad row means no person is written."""
    rows = [
        {"organization": tree.community_a, "name": "甲", "gender": "M"},
        {"organization": tree.community_a, "name": "乙", "gender": "X"},
    ]
    with pytest.raises(ValidationError):
        person_import(persons=rows, source="test", acting_user=SYSTEM)
    assert not AuditEvent.objects.filter(action="person.import").exists()
    rows[1]["gender"] = "F"
    created = person_import(persons=rows, source="test", acting_user=SYSTEM)
    assert len(created) == 2
    assert AuditEvent.objects.get(action="person.import").changes["persons"] == [None, 2]
