"""Pages: scoped lists with bounded queries; recording, attendance, campaigns, 双报到."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.activities import services
from taizhang.activities.models import Activity, AttendanceMode, CampaignTeam, VolunteerService
from taizhang.activities.tests.factories import kind, make_activity, make_campaign, make_person
from taizhang.core.actors import SYSTEM
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_list_is_scoped(client, tree, personas):
    """A sees her activity and not B's; the figures count only hers."""
    make_activity(tree.community_a, headcount=10, title="A的学习", held_on=TODAY)
    make_activity(tree.community_b, headcount=10, title="B的学习", held_on=TODAY)
    body = login(client, personas.street_a).get(reverse("activities:list")).content.decode()
    assert "A的学习" in body and "B的学习" not in body


def test_list_query_count_is_bounded(client, tree, personas, django_assert_max_num_queries):
    """The list runs the same few queries for 2 activities as for 25."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = make_person(tree.community_a)
    login(client, personas.district)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("activities:list")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        make_activity(tree.community_a, attendees=[member], title=f"学习{i}", held_on=TODAY)
    few = count()
    for i in range(23):
        make_activity(tree.community_a, headcount=9, title=f"学习{i}", held_on=TODAY)
    assert count() == few
    with django_assert_max_num_queries(16):
        client.get(reverse("activities:list"))


def test_detail_404_for_b(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=10)
    login(client, personas.street_b)
    assert client.get(reverse("activities:detail", args=[activity.pk])).status_code == 404
    assert client.get(reverse("activities:detail", args=[999999])).status_code == 404


def test_record_then_take_attendance(client, tree, personas):
    """Record a group study with a list, then tick who came: participants follow the list."""
    members = [make_person(tree.community_a, f"党员{i}") for i in range(3)]
    login(client, personas.street_a)
    response = client.post(
        reverse("activities:create"),
        {
            "org": tree.community_a.pk,
            "kind": kind().pk,
            "title": "集中学习新条例",
            "held_on": "2026-05-20",
            "mode": "offline",
            "attendance_mode": "list",
            "speaker": "党员0",
        },
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and activity.speaker == members[0]
    response = client.post(
        reverse("activities:attendance", args=[activity.pk]),
        {"attendance_mode": "list", "attendees": [m.pk for m in members[:2]]},
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.participants == 2 and activity.attendance_mode == AttendanceMode.LIST


def test_b_cannot_post_attendance_on_a(client, tree, personas):
    activity = make_activity(tree.community_a, headcount=10)
    login(client, personas.street_b)
    response = client.post(
        reverse("activities:attendance", args=[activity.pk]),
        {"attendance_mode": "headcount", "headcount": 99},
    )
    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.participants == 10


def test_create_in_b_org_is_refused_by_the_form(client, tree, personas):
    login(client, personas.street_a)
    response = client.post(
        reverse("activities:create"),
        {
            "org": tree.community_b.pk,
            "kind": kind().pk,
            "title": "越界",
            "held_on": "2026-05-20",
            "mode": "offline",
            "attendance_mode": "headcount",
            "headcount": 3,
        },
    )
    assert response.status_code == 200 and not Activity.objects.exists()


def test_campaign_pages_and_team(client, tree, personas):
    """The district sets up a campaign and forms a team; progress is shown."""
    member = make_person(tree.street_a, "宣讲员")
    login(client, personas.district)
    response = client.post(
        reverse("activities:campaign_create"),
        {
            "org": tree.district.pk,
            "title": "百场宣讲",
            "target_count": 100,
            "start_date": "2026-03-01",
            "end_date": "2026-12-31",
        },
    )
    assert response.status_code == 302
    campaign_url = response["Location"]
    campaign_pk = int(campaign_url.rstrip("/").split("/")[-1])
    response = client.post(
        reverse("activities:team_create", args=[campaign_pk]),
        {
            "name": "理论宣讲队",
            "org": tree.street_a.pk,
            "quota": 12,
            "leader": "宣讲员",
            "members": "",
        },
    )
    assert response.status_code == 302
    team = CampaignTeam.objects.get()
    assert team.leader == member and list(team.members.all()) == [member]
    body = client.get(campaign_url).content.decode()
    assert "理论宣讲队" in body
    assert client.get(reverse("activities:campaigns")).status_code == 200
    client.logout()
    login(client, personas.street_b)
    assert client.get(campaign_url).status_code == 404


def test_volunteer_page_records_service(client, tree, personas):
    make_person(tree.community_a, "志愿者")
    login(client, personas.street_a)
    response = client.post(
        reverse("activities:volunteer"),
        {
            "org": tree.community_a.pk,
            "person": "志愿者",
            "served_on": "2026-05-20",
            "hours": "2",
            "content": "楼道清洁",
        },
    )
    assert response.status_code == 302
    assert VolunteerService.objects.count() == 1
    assert "楼道清洁" in client.get(reverse("activities:volunteer") + "?year=2026").content.decode()


def test_survey_page_raises_problem(client, tree, personas):
    """A 调研 visit page offers 'put on the problem list'; the problem links back."""
    visit = make_activity(tree.community_a, headcount=5, kind=kind("survey"), title="管网调研")
    login(client, personas.street_a)
    page = client.get(reverse("activities:detail", args=[visit.pk])).content.decode()
    assert reverse("activities:raise_problem", args=[visit.pk]) in page
    response = client.post(
        reverse("activities:raise_problem", args=[visit.pk]),
        {"title": "雨污管网滞后", "description": "", "deadline": "2026-12-01"},
    )
    assert response.status_code == 302
    page = client.get(reverse("activities:detail", args=[visit.pk])).content.decode()
    assert "雨污管网滞后" in page


def test_pages_are_chinese(client, tree, personas):
    """The UI renders in Simplified Chinese for a zh-hans browser."""
    make_activity(tree.community_a, headcount=10, held_on=TODAY)
    login(client, personas.street_a)
    body = client.get(reverse("activities:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "活动台账" in body


def test_team_of_a_campaign_counts(tree, personas):
    campaign = make_campaign(tree.district, target=5)
    team = services.campaign_team_create(
        campaign=campaign, name="一队", org=tree.street_a, quota=5, acting_user=SYSTEM
    )
    make_activity(tree.street_a, headcount=10, team=team)
    assert Activity.objects.get().campaign == campaign


def test_edit_page_corrects_details(client, tree, personas):
    """The holding org's clerk corrects the topic; B gets a 404; the diff is audited."""
    from taizhang.core.models import AuditEvent

    activity = make_activity(tree.community_a, headcount=10)
    url = reverse("activities:edit", args=[activity.pk])
    login(client, personas.street_b)
    assert client.get(url).status_code == 404
    client.logout()
    login(client, personas.street_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": activity.kind_id,
            "title": "学习新条例",
            "held_on": "2026-05-12",
            "mode": "online",
            "venue": "",
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.mode, activity.participants) == ("学习新条例", "online", 10)
    event = AuditEvent.objects.get(action="activity.update")
    assert event.changes["mode"] == ["offline", "online"]


def test_detail_and_campaign_pages_query_counts(client, tree, personas):
    """Activity and campaign pages cost the same queries for 2 attendees/activities as for 20."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    members = [make_person(tree.community_a, f"党员{i}") for i in range(20)]
    few = make_activity(tree.community_a, attendees=members[:2])
    many = make_activity(tree.community_a, attendees=members)
    campaign = make_campaign(tree.district, target=50)
    team = services.campaign_team_create(
        campaign=campaign, name="一队", org=tree.street_a, quota=20, acting_user=SYSTEM
    )
    login(client, personas.district)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert count(reverse("activities:detail", args=[few.pk])) == count(
        reverse("activities:detail", args=[many.pk])
    )
    campaign_url = reverse("activities:campaign", args=[campaign.pk])
    make_activity(tree.street_a, headcount=5, team=team)
    before = count(campaign_url)
    for _ in range(10):
        make_activity(tree.street_a, headcount=5, team=team)
    assert count(campaign_url) == before


def test_home_shows_campaigns_under_way(client, tree, personas):
    """The home page lists campaigns under way in scope, never B's."""
    make_campaign(tree.street_a, title="A的宣讲", start_date=TODAY, end_date=TODAY)
    make_campaign(tree.street_b, title="B的宣讲", start_date=TODAY, end_date=TODAY)
    body = login(client, personas.street_a).get("/").content.decode()
    assert "A的宣讲" in body and "B的宣讲" not in body
