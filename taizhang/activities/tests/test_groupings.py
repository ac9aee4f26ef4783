"""Activities attributed to a grouping (联创协作组): only a grouping the recorder sees,
only when the holding organization was a member on the day held, audited, and the
same 422 through the API for a missing and a hidden grouping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from taizhang.activities import services
from taizhang.activities.models import Activity
from taizhang.activities.tests.factories import DAY, kind, make_activity
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.organizations.models import GroupingMembership
from taizhang.organizations.services import grouping_create, grouping_member_end
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/activities"


@pytest.fixture
def grouping(tree):
    """Owned by subdistrict A (street_a sees it, street_b does not); A1 and B1 are
    members from 2026-03-01."""
    return grouping_create(
        name="联创协作组一",
        kind="联创",
        owner=tree.street_a,
        members=[tree.community_a, tree.community_b],
        joined_on=dt.date(2026, 3, 1),
        acting_user=SYSTEM,
    )


@pytest.fixture
def district_grouping(tree):
    return grouping_create(
        name="区级协作组",
        kind="联创",
        owner=tree.district,
        members=[tree.community_a],
        joined_on=dt.date(2026, 1, 1),
        acting_user=SYSTEM,
    )


def test_attributed_activity_is_audited(tree, personas, grouping):
    """street_a attributes an A1 activity to her subdistrict's grouping; the audit event
    carries the grouping with the other fields."""
    activity = make_activity(
        tree.community_a, headcount=8, grouping=grouping, acting_user=personas.street_a
    )
    assert activity.grouping == grouping
    event = AuditEvent.objects.get(action="activity.create", object_id=str(activity.pk))
    assert event.changes["grouping"] == [None, grouping.pk]


def test_hidden_grouping_refused_like_a_missing_one(tree, personas, grouping, district_grouping):
    """A grouping the recorder may not see is refused with the one message."""
    with pytest.raises(ValidationError) as hidden:
        make_activity(
            tree.community_a, headcount=3, grouping=district_grouping, acting_user=personas.street_a
        )
    with pytest.raises(ValidationError) as neighbour:
        make_activity(
            tree.community_b, headcount=3, grouping=grouping, acting_user=personas.street_b
        )
    assert hidden.value.message_dict == neighbour.value.message_dict
    assert list(hidden.value.message_dict) == ["grouping"]
    assert not Activity.objects.exists()


def test_member_on_the_day_held(tree, personas, grouping, district_grouping):
    """Before joining, after leaving, or never a member: refused; SYSTEM is held to the
    membership rule too (it only skips the scope checks)."""
    before = DAY.replace(month=2, day=1)
    with pytest.raises(ValidationError) as error:
        make_activity(
            tree.community_a,
            headcount=3,
            grouping=grouping,
            held_on=before,
            acting_user=personas.street_a,
        )
    assert "not a member" in str(error.value)
    with pytest.raises(ValidationError):
        make_activity(tree.street_a, headcount=3, grouping=grouping, acting_user=SYSTEM)
    membership = GroupingMembership.objects.get(grouping=grouping, organization=tree.community_a)
    grouping_member_end(membership=membership, left_on=dt.date(2026, 6, 1), acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        make_activity(
            tree.community_a,
            headcount=3,
            grouping=grouping,
            held_on=dt.date(2026, 6, 1),
            acting_user=SYSTEM,
        )
    kept = make_activity(
        tree.community_a, headcount=3, grouping=grouping, held_on=dt.date(2026, 5, 31)
    )
    assert kept.grouping == grouping
    assert make_activity(tree.community_a, headcount=1, grouping=district_grouping).grouping


def test_update_sets_and_clears_the_grouping_with_the_rule(tree, personas, grouping):
    """activity.update carries the grouping's change; moving the day before the
    membership began is refused while the grouping stays."""
    activity = make_activity(tree.community_a, headcount=3, acting_user=personas.street_a)
    services.activity_update(activity=activity, acting_user=personas.street_a, grouping=grouping)
    event = AuditEvent.objects.filter(action="activity.update").latest("pk")
    assert event.changes["grouping"] == [None, grouping.pk]
    with pytest.raises(ValidationError):
        services.activity_update(
            activity=activity, acting_user=personas.street_a, held_on=dt.date(2026, 1, 5)
        )
    services.activity_update(activity=activity, acting_user=personas.street_a, grouping=None)
    activity.refresh_from_db()
    assert activity.grouping is None


def test_import_checks_each_row(tree, grouping):
    """A bulk import with one row outside the membership writes nothing."""
    rows = [
        services.ActivityIn(
            org=tree.community_a, kind=kind(), title="一", held_on=DAY, grouping=grouping
        ),
        services.ActivityIn(
            org=tree.street_b, kind=kind(), title="二", held_on=DAY, grouping=grouping
        ),
    ]
    with pytest.raises(ValidationError):
        services.activity_import(rows=rows, source="test", acting_user=SYSTEM)
    assert not Activity.objects.exists()


# --- pages ---------------------------------------------------------------------------


def test_form_offers_the_visible_groupings_of_managed_units(
    client, tree, personas, grouping, district_grouping
):
    """street_a is offered her subdistrict's grouping, not the district's; street_b
    (B1 is a member of A's grouping) is offered none."""
    client.force_login(personas.street_a)
    page = client.get("/activities/new/").content.decode()
    assert "联创协作组一" in page
    assert "区级协作组" not in page
    client.force_login(personas.street_b)
    page = client.get("/activities/new/").content.decode()
    assert "联创协作组一" not in page


def test_create_page_records_the_grouping(client, tree, personas, grouping):
    client.force_login(personas.street_a)
    response = client.post(
        "/activities/new/",
        {
            "org": tree.community_a.pk,
            "kind": kind().pk,
            "title": "联创共建",
            "held_on": "2026-05-12",
            "mode": "offline",
            "grouping": grouping.pk,
            "attendance_mode": "headcount",
            "headcount": 12,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    activity = Activity.objects.get(title="联创共建")
    assert activity.grouping == grouping
    detail = client.get(f"/activities/{activity.pk}/").content.decode()
    assert f"/organizations/groupings/{grouping.pk}/" in detail


def test_create_page_shows_the_membership_error(client, tree, personas, grouping):
    client.force_login(personas.street_a)
    response = client.post(
        "/activities/new/",
        {
            "org": tree.street_a.pk,
            "kind": kind().pk,
            "title": "不是成员",
            "held_on": "2026-05-12",
            "mode": "offline",
            "grouping": grouping.pk,
            "attendance_mode": "headcount",
            "headcount": 1,
        },
    )
    assert response.status_code == 200
    assert "不是该协作组的成员" in response.content.decode()
    assert not Activity.objects.exists()


def test_list_filters_by_grouping_and_hides_foreign_ones(client, tree, personas, grouping):
    attributed = make_activity(tree.community_a, headcount=2, title="协作组的", grouping=grouping)
    make_activity(tree.community_a, headcount=2, title="普通的")
    client.force_login(personas.street_a)
    page = client.get(f"/activities/?year=2026&grouping={grouping.pk}").content.decode()
    assert attributed.title in page
    assert "普通的" not in page
    client.force_login(personas.street_b)
    assert client.get(f"/activities/?year=2026&grouping={grouping.pk}").status_code == 404
    # The neighbour sees nothing of the grouping on the activity either.
    other = make_activity(tree.community_b, headcount=2, title="B的", grouping=grouping)
    detail = client.get(f"/activities/{other.pk}/").content.decode()
    assert "联创协作组一" not in detail


def test_edit_keeps_a_grouping_the_viewer_cannot_see(client, tree, personas, grouping):
    """street_b corrects B1's activity attributed to A's grouping: it is not offered and
    stays as it is."""
    activity = make_activity(tree.community_b, headcount=2, title="B的", grouping=grouping)
    client.force_login(personas.street_b)
    page = client.get(f"/activities/{activity.pk}/edit/").content.decode()
    assert 'name="grouping"' not in page
    response = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            "kind": activity.kind_id,
            "title": "B的（改）",
            "held_on": "2026-05-12",
            "mode": "offline",
        },
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "B的（改）"
    assert activity.grouping == grouping


# --- API -----------------------------------------------------------------------------


def _body(org_id, **extra):
    return {
        "org_id": org_id,
        "kind_code": "group_study",
        "title": "联创活动",
        "held_on": "2026-05-20",
        **extra,
    }


def test_api_grouping_422_same_for_missing_and_hidden(
    client, tree, personas, grouping, district_grouping
):
    headers = bearer(client, personas.street_a)
    hidden = client.post(
        URL,
        _body(tree.community_a.pk, grouping_id=district_grouping.pk),
        content_type="application/json",
        **headers,
    )
    missing = client.post(
        URL,
        _body(tree.community_a.pk, grouping_id=999999),
        content_type="application/json",
        **headers,
    )
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
    created = client.post(
        URL,
        _body(tree.community_a.pk, grouping_id=grouping.pk),
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["grouping_id"] == grouping.pk
    listed = client.get(f"{URL}?grouping_id={grouping.pk}", **headers).json()["items"]
    assert [a["id"] for a in listed] == [created.json()["id"]]
    patched = client.patch(
        f"{URL}/{created.json()['id']}",
        {"grouping_id": district_grouping.pk},
        content_type="application/json",
        **headers,
    )
    assert patched.status_code == 422
    assert patched.json() == missing.json()


def test_api_member_rule(client, tree, personas, grouping):
    headers = bearer(client, personas.street_a)
    response = client.post(
        URL,
        _body(tree.street_a.pk, grouping_id=grouping.pk),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert not Activity.objects.exists()
