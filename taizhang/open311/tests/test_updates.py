"""The update extension: a request's status changes with their time and a public note,
per request (``requests/{id}/updates``) and over all (``servicerequestupdates``), so a
client follows its request to 办结."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.demands import services
from taizhang.demands.models import Demand, DemandStep
from taizhang.demands.tests.factories import make_demand
from taizhang.open311.tests.conftest import BASE, PHONE, as_json, as_xml, make_channel, submit

pytestmark = pytest.mark.django_db

UPDATE_KEYS = {
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
}


def _demand(number: str) -> Demand:
    return Demand.objects.get(pk=int(number.split("-")[1]))


def _row(client, number, **params):
    return as_json(client.get(f"{BASE}/requests/{number}.json", params))[0]


def test_a_request_followed_from_post_to_closed(client, tree, category, channel):
    """POST, then the demand's own services move it; the client reads each step."""
    number = submit(client, channel)
    demand = _demand(number)
    assert _row(client, number)["status"] == "open"

    services.demand_assign(demand=demand, acting_user=SYSTEM)
    services.demand_start(demand=demand, acting_user=SYSTEM)
    reply = "已更换灯泡，恢复照明。请联系13812345678的欧阳晓明确认。"
    services.demand_reply(demand=demand, reply_text=reply, acting_user=SYSTEM)
    assert _row(client, number)["status"] == "open"  # 答复 awaits the follow-up call
    services.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=SYSTEM)

    row = _row(client, number)
    assert (row["status"], row["status_notes"]) == ("closed", "已办结")
    assert row["agency_responsible"] == tree.community_a.name

    updates = as_json(client.get(f"{BASE}/requests/{number}/updates.json"))
    assert all(set(u) == UPDATE_KEYS for u in updates)
    assert [(u["status"], u["description"]) for u in updates] == [
        ("open", "已受理"),
        ("open", "已分派承办单位"),
        ("open", "承办单位开始办理"),
        ("open", "已答复"),
        ("closed", "已回访，办结"),
    ]
    assert {u["service_request_id"] for u in updates} == {number}
    steps = list(DemandStep.objects.filter(demand=demand).order_by("occurred_at", "pk"))
    assert [u["update_id"] for u in updates] == [str(s.pk) for s in steps]
    assert updates[-1]["updated_datetime"] == timezone.localtime(steps[-1].occurred_at).isoformat(
        timespec="seconds"
    )
    # Public notes only: a step's own note (the reply "To 欧阳晓明: …") never leaves.
    body = client.get(f"{BASE}/requests/{number}/updates.json").content.decode()
    assert "欧阳" not in body and PHONE not in body and "13812345678" not in body


def test_updates_xml(client, category, channel):
    number = submit(client, channel)
    root = as_xml(client.get(f"{BASE}/requests/{number}/updates.xml"))
    assert root.tag == "service_request_updates"
    update = root.find("request_update")
    assert update is not None
    assert {child.tag for child in update} == UPDATE_KEYS
    assert update.findtext("status") == "open"
    assert update.findtext("description") == "已受理"


def test_reopened_after_an_unsatisfied_call(client, category, channel):
    number = submit(client, channel)
    demand = _demand(number)
    services.demand_assign(demand=demand, acting_user=SYSTEM)
    services.demand_start(demand=demand, acting_user=SYSTEM)
    services.demand_reply(demand=demand, reply_text="已安排维修。", acting_user=SYSTEM)
    services.demand_follow_up(demand=demand, satisfaction="unsatisfied", acting_user=SYSTEM)
    updates = as_json(client.get(f"{BASE}/requests/{number}/updates.json"))
    assert (updates[-1]["status"], updates[-1]["description"]) == ("open", "回访不满意，重新办理")
    assert _row(client, number)["status"] == "open"


def test_updates_of_an_unknown_or_hidden_request_are_404(client, tree, category, channel):
    staff = make_demand(tree.community_a, category, channel="hotline")
    for number in ("SQ2026-99999", staff.number):
        response = client.get(f"{BASE}/requests/{number}/updates.json")
        assert response.status_code == 404
        assert response.json()[0]["code"] == 404
    # The key of street A reads the hotline demand's steps; street B's does not.
    keyed = client.get(f"{BASE}/requests/{staff.number}/updates.json", {"api_key": channel.token})
    assert [u["description"] for u in keyed.json()] == ["已受理"]
    other = make_channel(tree.street_b, username="open311_b")
    response = client.get(f"{BASE}/requests/{staff.number}/updates.json", {"api_key": other.token})
    assert response.status_code == 404


def test_servicerequestupdates_since_a_moment(client, category, channel):
    """Every readable request's changes after ``updated_after`` (or ``start_date``), in
    the order they became known."""
    first = _demand(submit(client, channel))
    second = _demand(submit(client, channel))
    mark = timezone.now()
    services.demand_assign(demand=second, acting_user=SYSTEM)
    services.demand_assign(demand=first, acting_user=SYSTEM)
    stamp = mark.isoformat()
    for params in ({"updated_after": stamp}, {"start_date": stamp}):
        rows = as_json(client.get(f"{BASE}/servicerequestupdates.json", params))
        assert [(r["service_request_id"], r["description"]) for r in rows] == [
            (second.number, "已分派承办单位"),
            (first.number, "已分派承办单位"),
        ]
    everything = as_json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert len(everything) == 4
    before = as_json(client.get(f"{BASE}/servicerequestupdates.json", {"updated_before": stamp}))
    assert [r["description"] for r in before] == ["已受理", "已受理"]
    root = as_xml(client.get(f"{BASE}/servicerequestupdates.xml", {"updated_after": stamp}))
    assert len(root.findall("request_update")) == 2


def test_a_late_entry_is_news_when_it_is_entered(client, category, channel):
    """A reply entered late (补录) dates its update by the real moment, but a sync since
    the last run still finds it."""
    demand = _demand(submit(client, channel))
    services.demand_assign(demand=demand, acting_user=SYSTEM)
    services.demand_start(demand=demand, acting_user=SYSTEM)
    mark = timezone.now()
    DemandStep.objects.filter(demand=demand).update(occurred_at=mark - dt.timedelta(hours=3))
    services.demand_reply(
        demand=demand,
        reply_text="已当面答复。",
        when=mark - dt.timedelta(hours=1),
        late_reason="电话答复后补录",
        acting_user=SYSTEM,
    )
    rows = as_json(
        client.get(f"{BASE}/servicerequestupdates.json", {"updated_after": mark.isoformat()})
    )
    assert [r["description"] for r in rows] == ["已答复"]
    assert rows[0]["updated_datetime"] < timezone.localtime(mark).isoformat(timespec="seconds")
    listed = as_json(client.get(f"{BASE}/requests.json", {"updated_after": mark.isoformat()}))
    assert [r["service_request_id"] for r in listed] == [demand.number]
