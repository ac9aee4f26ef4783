"""双报到: a member of a government organ who reported to a community serves and attends
there. The community's clerk picks her through the one person rule (PERSON and its
cross-tree rule "reported to a community"), and gains no view of the organ."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.activities import services
from taizhang.activities.forms import AttendanceForm, persons_by_names
from taizhang.activities.models import AttendanceMode, VolunteerService
from taizhang.activities.selectors import activity_attendees, activity_list, attendee_candidates
from taizhang.activities.tests.factories import make_activity, make_person
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import OrgKind
from taizhang.people.services import community_report_create, community_report_end
from tests.support import PASSWORD, make_org, make_user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def reported(tree):
    """A bureau's member who reported to community A1 a month ago."""
    bureau = make_org(tree.district, "JG", OrgKind.ORGAN)
    member = make_person(bureau, "机关党员")
    report = community_report_create(
        community=tree.community_a,
        person=member,
        reported_on=TODAY - dt.timedelta(days=30),
        acting_user=SYSTEM,
    )
    return bureau, member, report


@pytest.fixture
def a1_clerk(tree):
    return make_user("a1_clerk", ("clerk", ScopeKind.ORG, tree.community_a))


def _serve(org, person, user):
    return services.volunteer_service_record(
        org=org,
        person=person,
        served_on=TODAY,
        hours=Decimal(2),
        content="社区服务",
        acting_user=user,
    )


def test_the_community_records_service_and_attendance_of_a_reported_member(
    client, tree, reported, a1_clerk
):
    bureau, member, _report = reported
    assert persons_by_names(a1_clerk, "机关党员") == [member]
    record = _serve(tree.community_a, member, a1_clerk)
    assert VolunteerService.objects.get() == record
    activity = make_activity(tree.community_a, attendees=[], acting_user=a1_clerk, held_on=TODAY)
    form = AttendanceForm(
        {"attendance_mode": "list", "extra_names": "机关党员"}, viewer=a1_clerk, activity=activity
    )
    assert form.is_valid(), form.errors
    services.activity_attendance_set(
        activity=activity,
        attendance_mode=AttendanceMode.LIST,
        attendees=form.cleaned_data["persons"],
        acting_user=a1_clerk,
    )
    assert list(activity_attendees(activity, viewer=a1_clerk)) == [member]
    assert member in attendee_candidates(activity, viewer=a1_clerk)
    client.login(username=a1_clerk.username, password=PASSWORD)
    body = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "机关党员" in body
    # No view of the organ: its own activities stay hidden, and she cannot record there.
    organ_activity = make_activity(bureau, headcount=5, title="机关学习")
    assert organ_activity not in set(activity_list(viewer=a1_clerk))
    with pytest.raises(PermissionDenied):
        _serve(bureau, member, a1_clerk)


def test_another_community_and_an_ended_report_are_refused(tree, reported, personas):
    _bureau, member, report = reported
    b1_clerk = make_user("b1_clerk", ("clerk", ScopeKind.ORG, tree.community_b))
    with pytest.raises(ValidationError):
        _serve(tree.community_b, member, b1_clerk)
    a1_clerk = make_user("a1_only", ("clerk", ScopeKind.ORG, tree.community_a))
    community_report_end(report=report, ended_on=TODAY, acting_user=SYSTEM)
    with pytest.raises(ValidationError) as refused:
        _serve(tree.community_a, member, a1_clerk)
    assert "person" in refused.value.message_dict
    with pytest.raises(Exception, match="No person of this name"):
        persons_by_names(a1_clerk, "机关党员")
