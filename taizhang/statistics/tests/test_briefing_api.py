"""The briefing API: read a draft with its version, write its narrative (a changed
figure 422, someone else's change 409), issue it, log a correction; scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.accounts.models import ScopeKind
from taizhang.activities.tests.factories import make_activity
from taizhang.core.models import AuditEvent
from taizhang.statistics import services
from taizhang.statistics.periods import Period
from tests.support import bearer, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/statistics/briefings"


@pytest.fixture
def draft(tree, personas):
    make_activity(tree.community_a, headcount=30, held_on=dt.date(2026, 3, 20))
    return services.briefing_generate(
        acting_user=personas.street_a, org=tree.street_a, period=Period.month(2026, 3)
    )


def test_read_write_issue_and_correct(client, draft, personas):
    auth = bearer(client, personas.street_a)
    read = client.get(f"{BASE}/{draft.pk}", **auth)
    assert read.status_code == 200
    body = read.json()
    assert body["state"] == "draft" and body["number"] is None
    assert [s["module"] for s in body["sections"]] == ["activities"]
    etag = read["ETag"]
    assert etag == f'"{body["version"]}"'

    patch = client.patch(
        f"{BASE}/{draft.pk}",
        {"sections": {"activities": {"progress": "开展主题党日"}}},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth,
    )
    assert patch.status_code == 200, patch.content
    assert patch.json()["sections"][0]["progress"] == "开展主题党日"
    assert AuditEvent.objects.filter(action="statistics.briefing_edit").count() == 1

    stale = client.patch(
        f"{BASE}/{draft.pk}",
        {"sections": {"activities": {"progress": "旧页面"}}},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth,
    )
    assert stale.status_code == 409

    figure = client.patch(
        f"{BASE}/{draft.pk}",
        {"sections": {"activities": {"figures": "开展各类活动99场。"}}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
    )
    assert figure.status_code == 422
    assert "cannot be typed over" in figure.json()["error"]["fields"]["activities-figures"][0]

    issued = client.post(f"{BASE}/{draft.pk}/issue", **auth)
    assert issued.status_code == 200 and issued.json()["number"] == 1
    again = client.patch(
        f"{BASE}/{draft.pk}",
        {"sections": {"activities": {"progress": "改"}}},
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 422
    corrected = client.post(
        f"{BASE}/{draft.pk}/corrections",
        {"text": "应为31人", "reason": "笔误", "section": "activities"},
        content_type="application/json",
        **auth,
    )
    assert corrected.status_code == 201
    assert corrected.json()["corrections"][0]["section"] == "activities"
    assert AuditEvent.objects.filter(action="statistics.briefing_correct").count() == 1


def test_scope(client, draft, tree, personas):
    """Another street: 404 everywhere; a reader of the street: reads, 403 on writes."""
    other = bearer(client, personas.street_b)
    assert client.get(f"{BASE}/{draft.pk}", **other).status_code == 404
    assert (
        client.patch(
            f"{BASE}/{draft.pk}",
            {"sections": {"activities": {"progress": "x"}}},
            content_type="application/json",
            **other,
        ).status_code
        == 404
    )
    assert client.post(f"{BASE}/{draft.pk}/issue", **other).status_code == 404
    reader = make_user("reader", ("leader", ScopeKind.SUBTREE, tree.street_a))
    auth = bearer(client, reader)
    assert client.get(f"{BASE}/{draft.pk}", **auth).status_code == 200
    assert client.post(f"{BASE}/{draft.pk}/issue", **auth).status_code == 403
    draft.refresh_from_db()
    assert draft.is_draft and draft.sections.get().progress == ""
