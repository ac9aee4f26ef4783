"""The activity dictionaries (kinds and venue categories) kept by the system
administrator: pages and API allowed to him, 403 for clerks, audited; a deactivated
entry is no longer offered but stays on the activities recorded with it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.activities import services
from taizhang.activities.forms import ActivityEditForm, ActivityForm
from taizhang.activities.models import ActivityKind, VenueCategory
from taizhang.activities.tests.factories import kind, make_activity, venue
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_page_is_the_system_administrators(client, sysadmin, personas):
    """The system administrator opens the page and an entry; a clerk gets 403 on both."""
    url = reverse("activities:dictionaries")
    edit = reverse("activities:dictionary_edit", args=["kind", kind().pk])
    page = login(client, sysadmin).get(url)
    assert page.status_code == 200 and "主题党课" in page.content.decode()
    assert client.get(edit).status_code == 200
    client.logout()
    login(client, personas.district)
    assert client.get(url).status_code == 403
    assert client.get(edit).status_code == 403
    active = reverse("activities:dictionary_active", args=["kind", kind().pk])
    assert client.post(active).status_code == 403
    assert kind().is_active


def test_add_edit_deactivate_kind_and_venue(client, sysadmin):
    """Each write is one audit event with the entity's action name."""
    login(client, sysadmin)
    url = reverse("activities:dictionaries")
    r = client.post(
        url, {"which": "kind", "kind-code": "reading", "kind-name": "读书会", "kind-sort_order": 90}
    )
    assert r.status_code == 302
    r = client.post(
        url, {"which": "venue", "venue-code": "park", "venue-name": "公园", "venue-sort_order": 70}
    )
    assert r.status_code == 302
    reading = ActivityKind.objects.get(code="reading")
    park = VenueCategory.objects.get(code="park")
    r = client.post(
        reverse("activities:dictionary_edit", args=["kind", reading.pk]),
        {"name": "读书分享会", "sort_order": 95},
    )
    assert r.status_code == 302
    reading.refresh_from_db()
    assert reading.name == "读书分享会" and reading.code == "reading"
    client.post(reverse("activities:dictionary_active", args=["kind", reading.pk]))
    client.post(reverse("activities:dictionary_active", args=["venue", park.pk]))
    client.post(reverse("activities:dictionary_active", args=["venue", park.pk]))
    assert actions()[-6:] == [
        "activity_kind.create",
        "venue_category.create",
        "activity_kind.update",
        "activity_kind.deactivate",
        "venue_category.deactivate",
        "venue_category.reactivate",
    ]
    assert AuditEvent.objects.get(action="activity_kind.update").changes == {
        "name": ["读书会", "读书分享会"],
        "sort_order": [90, 95],
    }


def test_deactivated_entries_not_offered_but_kept(tree, personas):
    """After deactivation, new-activity forms no longer offer the kind or venue; an
    activity recorded with them keeps them and its edit form still shows them."""
    lecture, campus = kind("party_lecture"), venue("campus")
    activity = make_activity(tree.community_a, kind=lecture, venue_category=campus)
    services.activity_kind_set_active(kind=lecture, active=False, acting_user=SYSTEM)
    services.venue_category_set_active(category=campus, active=False, acting_user=SYSTEM)
    activity.refresh_from_db()
    assert activity.kind == lecture and activity.venue_category == campus
    new = ActivityForm(viewer=personas.district)
    assert lecture not in new.fields["kind"].queryset
    assert campus not in new.fields["venue_category"].queryset
    edit = ActivityEditForm(viewer=personas.district, activity=activity)
    assert lecture in edit.fields["kind"].queryset
    assert campus in edit.fields["venue_category"].queryset
    assert kind("group_study") in edit.fields["kind"].queryset


def test_dictionaries_api(client, sysadmin, personas):
    """Create, patch, deactivate through the API; the public list drops the deactivated
    kind; a clerk gets 403."""
    headers = bearer(client, sysadmin)
    made = client.post(
        "/api/v1/activities/dictionaries/kinds",
        data={"code": "reading", "name": "读书会"},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    patched = client.patch(
        f"/api/v1/activities/dictionaries/kinds/{pk}",
        data={"sort_order": 5},
        content_type="application/json",
        **headers,
    )
    assert patched.json()["sort_order"] == 5
    off = client.post(f"/api/v1/activities/dictionaries/kinds/{pk}/deactivate", **headers)
    assert off.json()["is_active"] is False
    listed = client.get("/api/v1/activities/dictionaries/kinds", **headers).json()
    assert "reading" in {row["code"] for row in listed}
    clerk = bearer(client, personas.district)
    assert "reading" not in {
        r["code"] for r in client.get("/api/v1/activities/kinds", **clerk).json()
    }
    assert client.get("/api/v1/activities/dictionaries/kinds", **clerk).status_code == 403
    assert client.get("/api/v1/activities/dictionaries/nothing", **headers).status_code == 404
