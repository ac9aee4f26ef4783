"""The activities policies in every layer, and the one person rule (PERSON) for every
person the module names or offers: an org-only clerk of a community never sees the
names of persons of its grids, on the page, in the form choices or in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.activities import services
from taizhang.activities.forms import AttendanceForm, persons_by_names
from taizhang.activities.models import Activity, Attendance, AttendanceMode
from taizhang.activities.permissions import ACTIVITY, can
from taizhang.activities.selectors import (
    activity_attendees,
    activity_list,
    attendee_candidates,
    get_activity_for_viewer,
    volunteer_service_list,
)
from taizhang.activities.tests.factories import (
    DAY,
    kind,
    make_activity,
    make_campaign,
    make_person,
    make_service,
    make_team,
)
from taizhang.organizations.policy import unknown_message
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_only(tree):
    """A clerk of community A1 alone (grant kind "org"): A1's persons, not its grid's."""
    return make_user("a1_clerk", ("clerk", ScopeKind.ORG, tree.community_a))


@pytest.fixture
def hall(tree):
    """An activity of A1 attended by a person of A1 and one of its grid A1G."""
    near = make_person(tree.community_a, "社区党员")
    far = make_person(tree.grid_a, "网格党员")
    activity = make_activity(tree.community_a, attendees=[near, far], speaker=far)
    return activity, near, far


def test_org_only_clerk_sees_the_activity_but_not_grid_names(client, tree, org_only, hall):
    activity, near, far = hall
    client.login(username=org_only.username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert "社区党员" in body
    assert "网格党员" not in body
    assert "And 1 person outside your scope." in body
    assert list(activity_attendees(activity, viewer=org_only)) == [near]
    assert [p.pk for p in attendee_candidates(activity, viewer=org_only)] == [near.pk]


def test_sign_in_form_offers_only_visible_persons(tree, org_only, hall):
    activity, near, far = hall
    form = AttendanceForm(viewer=org_only, activity=activity)
    offered = set(form.fields["attendees"].queryset.values_list("pk", flat=True))
    assert offered == {near.pk}
    ticked = AttendanceForm(
        {"attendance_mode": "list", "attendees": [far.pk]}, viewer=org_only, activity=activity
    )
    assert not ticked.is_valid() and "attendees" in ticked.errors
    by_name = AttendanceForm(
        {"attendance_mode": "list", "extra_names": "网格党员"}, viewer=org_only, activity=activity
    )
    assert not by_name.is_valid() and "extra_names" in by_name.errors
    with pytest.raises(Exception, match="No person of this name"):
        persons_by_names(org_only, "网格党员")
    assert persons_by_names(org_only, "社区党员") == [near]


def test_the_subtree_clerk_still_sees_everyone(tree, personas, hall):
    activity, near, far = hall
    assert set(activity_attendees(activity, viewer=personas.street_a)) == {near, far}
    assert {p.pk for p in attendee_candidates(activity, viewer=personas.street_a)} == {
        near.pk,
        far.pk,
    }


def test_saving_the_sheet_keeps_attendees_she_cannot_see(tree, org_only, hall):
    activity, near, far = hall
    newcomer = make_person(tree.community_a, "新党员")
    services.activity_attendance_set(
        activity=activity,
        attendance_mode=AttendanceMode.LIST,
        attendees=[newcomer],
        acting_user=org_only,
    )
    kept = set(Attendance.objects.filter(activity=activity).values_list("person_id", flat=True))
    assert kept == {newcomer.pk, far.pk}
    activity.refresh_from_db()
    assert activity.participants == 2
    with pytest.raises(ValidationError) as refused:
        services.activity_attendance_set(
            activity=activity,
            attendance_mode=AttendanceMode.LIST,
            attendees=[far],
            acting_user=org_only,
        )
    assert "attendees" in refused.value.message_dict


def test_edit_keeps_a_speaker_she_cannot_see(client, tree, org_only, hall):
    activity, _near, far = hall
    client.login(username=org_only.username, password=PASSWORD)
    page = client.get(reverse("activities:edit", args=[activity.pk])).content.decode()
    assert "网格党员" not in page
    response = client.post(
        reverse("activities:edit", args=[activity.pk]),
        {
            "kind": activity.kind_id,
            "title": "改过的题目",
            "held_on": "2026-05-12",
            "mode": "offline",
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "改过的题目" and activity.speaker_id == far.pk


def test_api_names_only_visible_attendees(client, tree, org_only, hall):
    activity, near, _far = hall
    body = client.get(f"/api/v1/activities/{activity.pk}", **bearer(client, org_only)).json()
    assert body["attendee_ids"] == [near.pk] and body["participants"] == 2


def test_volunteer_names_follow_the_person_rule(client, tree, org_only):
    far = make_person(tree.grid_a, "网格志愿者")
    make_service(tree.community_a, far)
    rows = list(volunteer_service_list(viewer=org_only))
    assert len(rows) == 1 and rows[0].person_visible is False
    assert list(volunteer_service_list(viewer=org_only, q="网格志愿者")) == []
    client.login(username=org_only.username, password=PASSWORD)
    body = client.get(reverse("activities:volunteer")).content.decode()
    assert "网格志愿者" not in body
    with pytest.raises(ValidationError) as refused:
        services.volunteer_service_record(
            org=tree.community_a,
            person=far,
            served_on=DAY,
            hours=Decimal(1),
            content="打扫",
            acting_user=org_only,
        )
    assert "person" in refused.value.message_dict


def test_team_members_and_leader_follow_the_person_rule(tree, org_only, personas):
    campaign = make_campaign(tree.community_a)
    far = make_person(tree.grid_a, "网格宣讲员")
    with pytest.raises(ValidationError) as refused:
        services.campaign_team_create(
            campaign=campaign, name="一队", org=tree.community_a, leader=far, acting_user=org_only
        )
    assert "leader" in refused.value.message_dict
    team = make_team(campaign, tree.community_a)
    with pytest.raises(ValidationError):
        services.campaign_team_members_set(team=team, members=[far], acting_user=org_only)
    services.campaign_team_members_set(team=team, members=[far], acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        services.campaign_team_members_set(team=team, members=[], acting_user=personas.street_b)


def test_activity_policy_reads_and_writes(tree, personas, org_only):
    mine = make_activity(tree.community_a, headcount=3, title="A1的")
    below = make_activity(tree.grid_a, headcount=3, title="网格的")
    assert set(activity_list(viewer=org_only)) == {mine}
    assert set(activity_list(viewer=personas.street_a)) == {mine, below}
    assert get_activity_for_viewer(org_only, mine.pk) == mine
    from django.http import Http404

    for pk in (below.pk, 999_999, "x"):
        with pytest.raises(Http404):
            get_activity_for_viewer(org_only, pk)
    assert can(org_only, "edit", mine) and not can(org_only, "edit", below)
    assert not can(personas.street_b, "attendance", mine)
    services.activity_update(activity=mine, title="改", acting_user=org_only)
    with pytest.raises(PermissionDenied):
        services.activity_update(activity=below, title="改", acting_user=org_only)
    with pytest.raises(PermissionDenied):
        make_activity(tree.grid_a, headcount=1, acting_user=org_only)
    with pytest.raises(TypeError):
        services.activity_update(activity=mine, title="改", acting_user=None)


def test_own_records_grant_sees_and_edits_only_her_own(tree, personas):
    """The "own records" grant kind: the activities she recorded, nothing else."""
    own_only = make_user("own_only", ("clerk", ScopeKind.OWN, None))
    hers = make_activity(tree.community_a, headcount=2, title="她的")
    other = make_activity(tree.community_a, headcount=2, title="别人的")
    # Recorded by her while she held a post on A1 (the grant since replaced).
    Activity.objects.filter(pk=hers.pk).update(created_by=own_only)
    hers.refresh_from_db()
    assert set(ACTIVITY.queryset(own_only)) == {hers}
    assert set(activity_list(viewer=own_only)) == {hers}
    assert ACTIVITY.covers(own_only, hers) and not ACTIVITY.covers(own_only, other)
    services.activity_update(activity=hers, title="她改的", acting_user=own_only)
    with pytest.raises(PermissionDenied):
        services.activity_update(activity=other, title="改", acting_user=own_only)
    # Creating needs the organization itself: an own-records grant holds none.
    with pytest.raises(PermissionDenied):
        make_activity(tree.community_a, headcount=1, acting_user=own_only)
    assert ACTIVITY.explain(own_only, hers)


def test_a_hidden_campaign_team_is_refused(tree, personas):
    team = make_team(make_campaign(tree.community_b), tree.community_b)
    with pytest.raises(ValidationError) as refused:
        make_activity(tree.community_a, headcount=1, team=team, acting_user=personas.street_a)
    assert refused.value.message_dict == {"team": [unknown_message()]}


def test_grid_worker_records_activities_of_her_grid(tree):
    worker = make_user("grid_worker", ("grid_worker", ScopeKind.SUBTREE, tree.grid_a))
    activity = make_activity(tree.grid_a, headcount=4, acting_user=worker)
    assert can(worker, "attendance", activity)
    with pytest.raises(PermissionDenied):
        make_activity(tree.community_a, headcount=4, acting_user=worker)
    with pytest.raises(PermissionDenied):
        services.activity_kind_create(code="walk", name="走访", acting_user=worker)
    assert not can(worker, "configure", activity)


def test_configure_needs_the_function(tree, personas):
    with pytest.raises(PermissionDenied):
        services.venue_category_create(code="x", name="某处", acting_user=personas.street_a)
    with pytest.raises(TypeError):
        services.venue_category_create(code="x", name="某处", acting_user=None)


def test_import_checks_every_org_and_person(tree, personas):
    far = make_person(tree.community_b, "B的人")
    row = services.ActivityIn(
        org=tree.community_a,
        kind=kind(),
        title="集中学习",
        held_on=dt.date(2026, 5, 1),
        attendance_mode=AttendanceMode.LIST,
        attendees=[far],
    )
    with pytest.raises(ValidationError):
        services.activity_import(rows=[row], source="台账.xlsx", acting_user=personas.street_a)
    row.org = tree.community_b
    row.attendees = []
    with pytest.raises(PermissionDenied):
        services.activity_import(rows=[row], source="台账.xlsx", acting_user=personas.street_a)
    assert not Activity.objects.exists()


def test_namesakes_are_listed_and_can_be_written_with_their_unit(tree, personas):
    """A shared name lists every namesake with the unit; written that way it resolves
    (issue 18)."""
    from django.utils import translation

    from taizhang.activities.tests.factories import make_person

    here = make_person(tree.community_a, "同名甲")
    there = make_person(tree.street_a, "同名甲")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        persons_by_names(personas.district, "同名甲")
    message = " ".join(refused.value.messages)
    assert f"同名甲（{tree.community_a.short_name}）" in message
    assert f"同名甲（{tree.street_a.short_name}）" in message
    assert persons_by_names(personas.district, f"同名甲（{tree.street_a.short_name}）") == [there]
    assert persons_by_names(personas.district, f"同名甲({tree.community_a.short_name})") == [here]
