"""双报到: a member of an organ reports to a community; while the report is current the
community's people clerks see that member (masked) and nothing else of the organ."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import OrgKind
from taizhang.people.models import CommunityReport
from taizhang.people.permissions import COMMUNITY_REPORT, PERSON, can_view_personal
from taizhang.people.selectors import community_reports, get_person_for_viewer, person_list
from taizhang.people.services import (
    community_report_create,
    community_report_end,
    person_update,
)
from taizhang.people.tests.factories import make_person
from tests.support import make_org, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def world(tree, personas):
    """An organ under subdistrict B with two members; a clerk of community A1 only."""
    organ = make_org(tree.street_b, "BJ", OrgKind.ORGAN)
    member = make_person(organ, "林报到", mobile="13700007777")
    colleague = make_person(organ, "林同事", mobile="13700008888")
    clerk_a1 = make_user("clerk_a1", ("clerk", ScopeKind.ORG, tree.community_a))
    return organ, member, colleague, clerk_a1


def _latest() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


def test_community_clerk_records_a_report_by_name_and_mobile(tree, world):
    """The member gives name and mobile; the report is booked on A1 and audited."""
    organ, member, _colleague, clerk_a1 = world
    report = community_report_create(
        community=tree.community_a,
        reported_on=TODAY - dt.timedelta(days=3),
        name="林报到",
        mobile="13700007777",
        acting_user=clerk_a1,
    )
    assert report.person == member and report.created_by == clerk_a1
    event = _latest()
    assert event.action == "community_report.create" and event.actor_id == clerk_a1.pk
    assert "13700007777" not in str(event.changes) + event.object_repr


def test_reported_member_is_seen_and_nobody_else_of_the_organ(tree, personas, world):
    """A1's clerk (and A's) see the member, masked; the colleague, the organ's other
    records and B's people stay hidden."""
    organ, member, colleague, clerk_a1 = world
    assert not PERSON.covers(clerk_a1, member)
    community_report_create(
        community=tree.community_a,
        reported_on=TODAY - dt.timedelta(days=30),
        person=member,
        acting_user=SYSTEM,
    )
    for viewer in (clerk_a1, personas.street_a):
        assert set(person_list(viewer=viewer, subtree_of=organ)) == {member}
        assert PERSON.covers(viewer, member)
        assert get_person_for_viewer(viewer, member.pk) == member
        assert not PERSON.covers(viewer, colleague)
        with pytest.raises(Http404):
            get_person_for_viewer(viewer, colleague.pk)
        assert PERSON.explain(viewer, member)
    # Listing every person she sees adds the member only, once.
    assert list(person_list(viewer=clerk_a1)).count(member) == 1
    assert PERSON.queryset(clerk_a1).filter(organization=organ).count() == 1
    # B's clerk, who keeps the record, still sees both; C (nobody) neither.
    assert set(PERSON.queryset(personas.street_b).filter(organization=organ)) == {
        member,
        colleague,
    }


def test_the_community_reads_but_does_not_manage(tree, personas, world):
    """No edit, no unmasked data, no manage through the rule."""
    organ, member, _colleague, clerk_a1 = world
    community_report_create(
        community=tree.community_a, reported_on=TODAY, person=member, acting_user=SYSTEM
    )
    assert not PERSON.can_manage(clerk_a1, member)
    with pytest.raises(PermissionDenied):
        person_update(person=member, name="改名", acting_user=clerk_a1)
    # A personnel officer of A sees the member through the report, but masked: the
    # rule widens people.view only, never people.view_personal.
    personnel_a = make_user(
        "personnel_a",
        ("clerk", ScopeKind.SUBTREE, tree.street_a),
        ("personnel", ScopeKind.SUBTREE, tree.street_a),
    )
    assert PERSON.covers(personnel_a, member)
    assert not can_view_personal(personnel_a, member)


def test_an_ended_report_hides_the_person_again(tree, world):
    """From the end date on the member is hidden again; the end is audited."""
    _organ, member, _colleague, clerk_a1 = world
    report = community_report_create(
        community=tree.community_a,
        reported_on=TODAY - dt.timedelta(days=100),
        person=member,
        acting_user=SYSTEM,
    )
    assert PERSON.covers(clerk_a1, member)
    community_report_end(report=report, ended_on=TODAY, acting_user=clerk_a1)
    event = _latest()
    assert event.action == "community_report.end" and event.actor_id == clerk_a1.pk
    assert not PERSON.covers(clerk_a1, member)
    assert not PERSON.queryset(clerk_a1).filter(pk=member.pk).exists()
    assert list(community_reports(viewer=clerk_a1, community=tree.community_a)) == []
    assert list(community_reports(viewer=clerk_a1, community=tree.community_a, current=False)) == [
        CommunityReport.objects.get(pk=report.pk)
    ]
    # A report ending later keeps the member visible until then.
    again = community_report_create(
        community=tree.community_a,
        reported_on=TODAY - dt.timedelta(days=1),
        person=member,
        acting_user=SYSTEM,
    )
    community_report_end(report=again, ended_on=TODAY + dt.timedelta(days=7), acting_user=clerk_a1)
    assert PERSON.covers(clerk_a1, member)


def test_report_writes_need_people_manage_on_the_community(tree, personas, world):
    """B's clerk cannot record a report to A1, nor end one; a viewer of A1 cannot either."""
    _organ, member, _colleague, clerk_a1 = world
    with pytest.raises(PermissionDenied):
        community_report_create(
            community=tree.community_a,
            reported_on=TODAY,
            person=member,
            acting_user=personas.street_b,
        )
    report = community_report_create(
        community=tree.community_a,
        reported_on=TODAY,
        name="林报到",
        mobile="13700007777",
        acting_user=clerk_a1,
    )
    viewer_a1 = make_user("view_a1", ("viewer", ScopeKind.ORG, tree.community_a))
    for actor in (personas.street_b, viewer_a1):
        with pytest.raises(PermissionDenied):
            community_report_end(report=report, ended_on=TODAY, acting_user=actor)
    assert COMMUNITY_REPORT.covers(personas.street_a, report)
    assert not COMMUNITY_REPORT.covers(personas.street_b, report)


def test_a_member_is_found_only_by_what_they_give(tree, personas, world):
    """A wrong mobile, a person the recorder cannot see, and an unknown person all give
    the same message; nothing is written."""
    _organ, member, colleague, clerk_a1 = world
    attempts = [
        {"name": "林报到", "mobile": "13700000000"},
        {"name": "林报到", "mobile": ""},
        {"name": "无此人", "mobile": "13700007777"},
        {"person": colleague},  # hidden from A1's clerk
    ]
    messages = []
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            community_report_create(
                community=tree.community_a,
                reported_on=TODAY,
                acting_user=clerk_a1,
                **attempt,
            )
        messages.append(refused.value.message_dict)
    assert all(m == messages[0] for m in messages)
    assert not CommunityReport.objects.exists()


def test_report_validation(tree, world):
    """No future reports, no second open report, no report to one's own organization,
    no end before the start."""
    organ, member, _colleague, _clerk = world
    with pytest.raises(ValidationError):
        community_report_create(
            community=tree.community_a,
            reported_on=TODAY + dt.timedelta(days=1),
            person=member,
            acting_user=SYSTEM,
        )
    report = community_report_create(
        community=tree.community_a, reported_on=TODAY, person=member, acting_user=SYSTEM
    )
    with pytest.raises(ValidationError):
        community_report_create(
            community=tree.community_a, reported_on=TODAY, person=member, acting_user=SYSTEM
        )
    with pytest.raises(ValidationError):
        community_report_create(
            community=organ, reported_on=TODAY, person=member, acting_user=SYSTEM
        )
    with pytest.raises(ValidationError):
        community_report_end(
            report=report, ended_on=TODAY - dt.timedelta(days=1), acting_user=SYSTEM
        )
    community_report_end(report=report, ended_on=TODAY, acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        community_report_end(report=report, ended_on=TODAY, acting_user=SYSTEM)
