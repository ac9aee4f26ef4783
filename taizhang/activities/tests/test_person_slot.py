"""The person page's activities panel: attended or spoken at, newest first, and only
activities the viewer may see."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.activities.manifest import _person_activities
from taizhang.activities.tests.factories import make_activity, make_person
from tests.support import make_user

pytestmark = pytest.mark.django_db


def test_attended_and_spoken_activities_newest_first(tree, personas):
    """street_a sees the activity the person attended and the one she spoke at."""
    person = make_person(tree.community_a, "钱七")
    attended = make_activity(tree.community_a, attendees=[person], held_on=dt.date(2026, 5, 1))
    spoken = make_activity(
        tree.community_a, headcount=20, speaker=person, held_on=dt.date(2026, 5, 9)
    )
    make_activity(tree.community_a, headcount=5)  # not hers
    panel = _person_activities(personas.street_a, person)
    assert panel is not None
    assert panel["activities"] == [spoken, attended]


def test_viewer_outside_scope_sees_nothing(tree, personas):
    """An activity held in B that an A person attended is not shown to street_a; B's
    clerk sees that one only; a user without activities.view gets no panel at all."""
    person = make_person(tree.community_a, "钱七")
    held_in_b = make_activity(tree.community_b, attendees=[person])
    assert _person_activities(personas.street_a, person) is None
    panel = _person_activities(personas.street_b, person)
    assert panel is not None and panel["activities"] == [held_in_b]
    auditor = make_user("audit_b", ("audit_admin", ScopeKind.SUBTREE, tree.district))
    assert _person_activities(auditor, person) is None
    assert _person_activities(None, person) is None


def test_person_page_shows_the_panel(client, tree, personas):
    """The person page renders the panel through ``{% slot "people.person_detail" %}``."""
    person = make_person(tree.community_a, "钱七")
    activity = make_activity(tree.community_a, attendees=[person])
    client.force_login(personas.street_a)
    body = client.get(f"/people/{person.pk}/").content.decode()
    assert 'id="person-activities"' in body and f"/activities/{activity.pk}/" in body
