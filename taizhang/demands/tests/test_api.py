"""The demands API: scoped, masked, 404/403/422 where they belong."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.demands.models import Demand
from taizhang.demands.tests.factories import make_category, make_demand
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/demands"


@pytest.fixture
def category(tree):
    return make_category(tree.district, code="property")


def _body(org_id, **extra):
    return {
        "org_id": org_id,
        "channel": "hotline",
        "category_code": "property",
        "title": "电梯故障",
        "content": "电梯一周停运三次。",
        "requesters": [{"name": "张大妈", "mobile": "13812345678"}],
        **extra,
    }


def test_list_scoped_and_masked(client, tree, personas, category):
    make_demand(tree.community_a, category, title="A的诉求")
    make_demand(tree.community_b, category, title="B的诉求")
    response = client.get(URL, **bearer(client, personas.street_b))
    items = response.json()["items"]
    assert [d["title"] for d in items] == ["B的诉求"]
    assert items[0]["requesters"][0]["masked_mobile"] == "138****5678"
    assert "13812345678" not in response.content.decode()


def test_detail_404_out_of_scope(client, tree, personas, category):
    demand = make_demand(tree.community_a, category)
    assert client.get(f"{URL}/{demand.pk}", **bearer(client, personas.street_b)).status_code == 404


def test_create_and_out_of_scope_org_refused(client, tree, personas, category):
    """A creates in her community (201); B's community in the body is a 422."""
    headers = bearer(client, personas.street_a)
    ok = client.post(URL, _body(tree.community_a.pk), content_type="application/json", **headers)
    assert ok.status_code == 201, ok.content
    refused = client.post(
        URL, _body(tree.community_b.pk), content_type="application/json", **headers
    )
    assert refused.status_code == 422
    refused = client.post(
        URL,
        _body(tree.community_a.pk, location_id=tree.community_b.pk),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422
    assert Demand.objects.count() == 1


def test_lifecycle_over_the_api(client, tree, personas, category):
    demand = make_demand(tree.community_a, category)
    headers = bearer(client, personas.street_a)
    post = lambda path, body=None: client.post(  # noqa: E731
        f"{URL}/{demand.pk}/{path}", body or {}, content_type="application/json", **headers
    )
    assert post("assign", {"handling_org_id": tree.community_a.pk}).status_code == 200
    assert post("start").status_code == 200
    assert post("reply", {"reply_text": "已联系维保单位。"}).status_code == 200
    response = post("follow-up", {"satisfaction": "satisfied"})
    assert response.status_code == 200 and response.json()["state"] == "closed"
    assert post("follow-up", {"satisfaction": "satisfied"}).status_code == 422  # already concluded


def test_a_late_reply_over_the_api_keeps_its_real_moment(client, tree, personas, category):
    """补录 over the API: the real moment and a reason; a reason without a moment is 422."""
    import datetime as dt

    from django.utils import timezone

    from taizhang.core.actors import SYSTEM
    from taizhang.demands import services

    then = timezone.now() - dt.timedelta(days=6)
    demand = make_demand(tree.community_a, category, when=then, late_reason="纸质台账补登")
    late_then = {"when": then, "late_reason": "纸质台账补登", "acting_user": SYSTEM}
    demand = services.demand_assign(demand=demand, handling_org=tree.community_a, **late_then)
    demand = services.demand_start(demand=demand, **late_then)
    headers = bearer(client, personas.street_a)
    post = lambda path, body=None: client.post(  # noqa: E731
        f"{URL}/{demand.pk}/{path}", body or {}, content_type="application/json", **headers
    )
    late = {"reply_text": "已联系维保单位。", "late_reason": "电话答复后补登"}
    assert post("reply", late).status_code == 422
    assert post("reply", {**late, "occurred_at": then.isoformat()}).status_code == 200
    step = demand.steps.get(action="reply")
    assert step.occurred_at == then and step.late_reason == "电话答复后补登"


def test_reveal_refused_and_allowed_both_audited(client, tree, personas, category):
    demand = make_demand(tree.community_a, category)
    refused = client.post(f"{URL}/{demand.pk}/reveal", **bearer(client, personas.street_a))
    assert refused.status_code == 403
    allowed = client.post(f"{URL}/{demand.pk}/reveal", **bearer(client, personas.personnel))
    assert allowed.status_code == 200 and allowed.json()[0]["mobile"] == "13812345678"
    assert AuditEvent.objects.filter(action="demand.reveal").count() == 2


def test_nobody_403(client, personas):
    assert client.get(URL, **bearer(client, personas.nobody)).status_code == 403


def test_hidden_and_missing_ids_get_the_same_422(client, tree, personas, category):
    """Every organization id in a body: one outside the caller's scope answers exactly
    like one that does not exist (no 403 that tells which ids exist)."""
    from taizhang.organizations.policy import unknown_message

    headers = bearer(client, personas.street_a)
    a = tree.community_a.pk
    person = {"name": "张大妈", "mobile": "13812345678"}
    cases = {
        "org_id": (_body(tree.community_b.pk), _body(999_999)),
        "location_id": (
            _body(a, location_id=tree.community_b.pk),
            _body(a, location_id=999_999),
        ),
        "enterprise_id": (
            _body(a, requesters=[{**person, "enterprise_id": tree.community_b.pk}]),
            _body(a, requesters=[{**person, "enterprise_id": 999_999}]),
        ),
    }
    for field, (hidden, missing) in cases.items():
        answers = [
            client.post(URL, body, content_type="application/json", **headers)
            for body in (hidden, missing)
        ]
        assert [r.status_code for r in answers] == [422, 422], field
        assert answers[0].json() == answers[1].json(), field
        assert unknown_message() in str(answers[0].json()), field
    assert not Demand.objects.exists()
    demand = make_demand(tree.community_a, category)
    answers = [
        client.post(
            f"{URL}/{demand.pk}/assign",
            {"handling_org_id": pk},
            content_type="application/json",
            **headers,
        )
        for pk in (tree.community_b.pk, 999_999)
    ]
    assert [r.status_code for r in answers] == [422, 422]
    assert answers[0].json() == answers[1].json()


def test_taker_reveals_over_the_api(client, tree, personas, category):
    """The clerk who took the demand reveals the phone (audited); the district clerk,
    who sees it but did not take it, gets a 403 (audited as denied)."""
    demand = make_demand(tree.community_a, category, acting_user=personas.street_a)
    url = f"{URL}/{demand.pk}/reveal"
    response = client.post(url, **bearer(client, personas.street_a))
    assert response.status_code == 200
    assert response.json()[0]["mobile"] == "13812345678"
    assert client.post(url, **bearer(client, personas.district)).status_code == 403
    outcomes = list(
        AuditEvent.objects.filter(action="demand.reveal")
        .order_by("pk")
        .values_list("outcome", flat=True)
    )
    assert outcomes[-1] == "denied" and outcomes[0] != "denied"
