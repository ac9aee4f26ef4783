"""Pages: scoped lists with bounded queries and masked contact data; the lifecycle."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.demands.models import Demand, DemandState
from taizhang.demands.tests.factories import make_category, make_demand, make_replied
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(tree):
    return make_category(tree.district)


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_list_masks_mobile_and_is_scoped(client, tree, personas, category):
    """The list shows 138****5678, never the number, and none of A's rows to B."""
    make_demand(tree.community_a, category, title="A的诉求")
    make_demand(tree.community_b, category, title="B的诉求")
    body = login(client, personas.street_a).get(reverse("demands:list")).content.decode()
    assert "A的诉求" in body and "B的诉求" not in body
    assert "138****5678" in body and "13812345678" not in body


def test_personnel_also_sees_masked_in_lists(client, tree, personas, category):
    """Even with the personal-data right, lists stay masked; unmasking is an explicit act."""
    make_demand(tree.community_a, category)
    body = login(client, personas.personnel).get(reverse("demands:list")).content.decode()
    assert "13812345678" not in body


def test_list_query_count_is_bounded(
    client, tree, personas, category, django_assert_max_num_queries
):
    """The list runs a fixed number of queries however many demands it shows (the top
    bar's to-do count, kept a minute, is counted by the first page: not measured here)."""
    for i in range(20):
        make_demand(tree.community_a, category, title=f"诉求{i}")
    login(client, personas.district)
    client.get(reverse("demands:list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("demands:list")).status_code == 200


def test_detail_out_of_scope_is_404(client, tree, personas, category):
    demand = make_demand(tree.community_a, category)
    login(client, personas.street_b)
    assert client.get(reverse("demands:detail", args=[demand.pk])).status_code == 404


def test_reveal_through_the_page(client, tree, personas, category):
    """The personnel officer reveals contact data (audited); a clerk is refused."""
    demand = make_demand(tree.community_a, category)
    url = reverse("demands:reveal", args=[demand.pk])
    assert login(client, personas.street_a).post(url).status_code == 403
    client.logout()
    response = login(client, personas.personnel).post(url)
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert AuditEvent.objects.filter(action="demand.reveal", outcome="success").count() == 1


def test_intake_and_lifecycle_through_pages(client, tree, personas, category):
    """Record on behalf of a resident, assign, take on, reply, follow up: concluded."""
    login(client, personas.street_a)
    response = client.post(
        reverse("demands:create"),
        {
            "channel": "grid_report",
            "category": category.pk,
            "org": tree.community_a.pk,
            "location": tree.grid_a.pk,
            "title": "楼道杂物堆放",
            "content": "三楼楼道长期堆放纸箱，存在消防隐患。",
            "requester_kind": "person",
            "requester_name": "王阿姨",
            "requester_mobile": "13955556666",
            "requester_address": "",
        },
    )
    demand = Demand.objects.get(title="楼道杂物堆放")
    assert response.status_code == 302
    client.post(reverse("demands:assign", args=[demand.pk]), {"handling_org": tree.community_a.pk})
    client.post(reverse("demands:start", args=[demand.pk]))
    client.post(reverse("demands:reply", args=[demand.pk]), {"reply_text": "已清理，并张贴提示。"})
    client.post(
        reverse("demands:follow_up", args=[demand.pk]), {"satisfaction": "satisfied", "note": ""}
    )
    demand.refresh_from_db()
    assert demand.state == DemandState.CLOSED


def test_reassign_without_reason_shows_error(client, tree, personas, category):
    demand = make_demand(tree.community_a, category)
    login(client, personas.district)
    client.post(reverse("demands:assign", args=[demand.pk]), {"handling_org": tree.community_a.pk})
    response = client.post(
        reverse("demands:assign", args=[demand.pk]), {"handling_org": tree.street_a.pk}
    )
    assert response.status_code == 422
    demand.refresh_from_db()
    assert demand.handling_org == tree.community_a


def test_export_masks_contact_data(client, tree, personas, category):
    """The Excel export masks mobiles, even for the personnel officer."""
    make_replied(tree.community_a, category, title="A的诉求")
    make_demand(tree.community_b, category, title="B的诉求")
    response = login(client, personas.personnel).get(reverse("demands:export"))
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith("民声诉求台账 · ")
    assert rows[1][0] == "诉求编号"
    assert {r[4] for r in rows[2:]} == {"A的诉求", "B的诉求"}
    assert all("13812345678" not in str(r) for r in rows)
    assert "138****5678" in str(rows[2])


def test_stats_and_delegated_pages(client, tree, personas, category):
    login(client, personas.street_a)
    assert client.get(reverse("demands:stats")).status_code == 200
    assert client.get(reverse("demands:delegated")).status_code == 200


def test_delegated_page_lists_categories_and_rules_in_scope(client, tree, personas, category):
    """The routing rules shown are those on areas the viewer can see."""
    from taizhang.demands import services

    services.routing_rule_set(
        category=category, area=tree.street_a, handling_org=tree.street_a, acting_user=SYSTEM
    )
    services.routing_rule_set(
        category=category, area=tree.street_b, handling_org=tree.street_b, acting_user=SYSTEM
    )
    body = login(client, personas.street_a).get(reverse("demands:delegated")).content.decode()
    assert f"{tree.street_a.short_name} → {tree.street_a.short_name}" in body
    assert f"{tree.street_b.short_name} →" not in body
