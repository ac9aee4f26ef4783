"""The person page's honours panel: published honours received and winning entries of
published competitions, only those the viewer may see."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.evaluations.manifest import _person_honours
from taizhang.evaluations.models import Award, Nomination, NominationStatus
from taizhang.people.tests.factories import make_person
from tests.support import make_user

pytestmark = pytest.mark.django_db


def _honour(award_org, person, status=NominationStatus.PUBLISHED):
    # Rows written directly: the panel reads the end state of the award workflow.
    award = Award.objects.create(
        org=award_org, kind="excellent_member", name="优秀共产党员", year=2026, quota=5
    )
    return Nomination.objects.create(
        award=award,
        org=person.organization,
        person=person,
        status=status,
        nominated_on=dt.date(2026, 5, 1),
        published_on=dt.date(2026, 6, 30) if status == NominationStatus.PUBLISHED else None,
    )


def test_published_honour_shown_unpublished_not(tree, personas):
    """street_a sees the published honour A gave the person, not a pending nomination."""
    person = make_person(tree.community_a)
    published = _honour(tree.street_a, person)
    _honour(tree.street_a, person, NominationStatus.APPROVED)
    panel = _person_honours(personas.street_a, person)
    assert panel is not None and panel["honours"] == [published] and panel["wins"] == []


def test_viewer_outside_scope_sees_nothing(tree, personas):
    """street_b sees nothing of an A person's honour given by A; a user without
    evaluations.view gets no panel."""
    person = make_person(tree.community_a)
    _honour(tree.street_a, person)
    assert _person_honours(personas.street_b, person) is None
    auditor = make_user("audit_e", ("audit_admin", ScopeKind.SUBTREE, tree.district))
    assert _person_honours(auditor, person) is None
