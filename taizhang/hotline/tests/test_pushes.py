"""State changes of hotline demands pushed back to the platform: which events, what
they carry, the signature, retries with backoff against a local platform stand-in, and
failures for the administrator."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import TODOS
from taizhang.demands import services as demands
from taizhang.demands.tests.factories import make_category, make_demand
from taizhang.hotline.models import Push, PushAttempt, PushStatus
from taizhang.hotline.services import MAX_ATTEMPTS, push_retry, pushes_dispatch
from taizhang.hotline.standin import platform_stand_in
from taizhang.hotline.tests.factories import KEY, PHONE, make_endpoint, receive
from tests.support import make_user

pytestmark = pytest.mark.django_db


def _demand(endpoint):
    return receive(endpoint).demand


def _events(order=None):
    rows = Push.objects.order_by("pk")
    if order is not None:
        rows = rows.filter(order=order)
    return [p.payload["event_id"].split(":", 1)[1] for p in rows]


def test_the_whole_lifecycle_is_pushed_in_order(tree, django_capture_on_commit_callbacks):
    """签收, 办理, 答复, 回访结果 and 办结 each reach the platform once, signed, carrying
    the order number and the demand number and no requester data."""
    with platform_stand_in(KEY) as platform:
        endpoint = make_endpoint(tree.street_a, push_url=platform.url)
        demand = _demand(endpoint)
        with django_capture_on_commit_callbacks(execute=True):
            demand = demands.demand_assign(
                demand=demand, handling_org=tree.community_a, acting_user=SYSTEM
            )
        with django_capture_on_commit_callbacks(execute=True):
            demand = demands.demand_start(demand=demand, acting_user=SYSTEM)
        with django_capture_on_commit_callbacks(execute=True):
            demand = demands.demand_reply(
                demand=demand, reply_text="已联系维保单位更换主板。", acting_user=SYSTEM
            )
        with django_capture_on_commit_callbacks(execute=True):
            demands.demand_follow_up(demand=demand, satisfaction="satisfied", acting_user=SYSTEM)
    order_no = demand.hotline_order.order_no
    events = [r.body["event"] for r in platform.received]
    assert events == ["assigned", "handling", "replied", "satisfaction", "closed"]
    assert all(r.signed for r in platform.received)
    assert [r.headers["X-Event-Id"] for r in platform.received] == [
        f"{order_no}:{e}:1" for e in events
    ]
    first, _handling, replied, satisfaction, closed = (r.body for r in platform.received)
    assert first["order_no"] == order_no and first["demand_number"] == demand.number
    assert first["handling_unit"] == tree.community_a.name and first["state"] == "assigned"
    assert replied["reply"] == "已联系维保单位更换主板。"
    assert satisfaction["satisfaction"] == "satisfied" and satisfaction["reopened"] is False
    assert closed["state"] == "closed"
    for received in platform.received:
        text = received.raw.decode()
        assert PHONE not in text and "李先生" not in text
        assert dt.datetime.fromisoformat(received.body["occurred_at"])
    assert Push.objects.filter(status=PushStatus.SENT).count() == 5


def test_a_reopened_demand_pushes_its_second_reply_as_a_new_event(tree):
    endpoint = make_endpoint(tree.street_a)
    demand = _demand(endpoint)
    demand = demands.demand_assign(demand=demand, acting_user=SYSTEM)
    demand = demands.demand_start(demand=demand, acting_user=SYSTEM)
    demand = demands.demand_reply(demand=demand, reply_text="第一次答复内容。", acting_user=SYSTEM)
    demand = demands.demand_follow_up(demand=demand, satisfaction="unsatisfied", acting_user=SYSTEM)
    demands.demand_reply(demand=demand, reply_text="第二次答复内容。", acting_user=SYSTEM)
    assert _events() == [
        "assigned:1",
        "handling:1",
        "replied:1",
        "satisfaction:1",
        "replied:2",
    ]
    reopened = Push.objects.get(event="satisfaction").payload
    assert reopened["satisfaction"] == "unsatisfied" and reopened["reopened"] is True
    assert reopened["state"] == "handling"


def test_a_reassignment_is_pushed_again(tree):
    endpoint = make_endpoint(tree.street_a)
    demand = demands.demand_assign(
        demand=_demand(endpoint), handling_org=tree.community_a, acting_user=SYSTEM
    )
    demands.demand_assign(
        demand=demand, handling_org=tree.grid_a, reason="属网格事项", acting_user=SYSTEM
    )
    assert _events() == ["assigned:1", "assigned:2"]


def test_a_merged_demand_is_closed_for_the_platform(tree):
    endpoint = make_endpoint(tree.street_a)
    duplicate = _demand(endpoint)
    keeper = make_demand(tree.street_a, endpoint.default_category)
    demands.demand_merge(duplicate=duplicate, into=keeper, acting_user=SYSTEM)
    push = Push.objects.get()
    assert push.event == "closed" and push.payload["merged_into"] == keeper.number


def test_demands_that_did_not_come_from_the_hotline_push_nothing(tree):
    make_endpoint(tree.street_a)
    category = make_category(tree.district, code="road", name="道路")
    demand = make_demand(tree.street_a, category)
    demands.demand_assign(demand=demand, acting_user=SYSTEM)
    assert not Push.objects.exists()


def test_a_late_entry_is_pushed_with_its_real_moment(tree):
    endpoint = make_endpoint(tree.street_a)
    demand = demands.demand_assign(demand=_demand(endpoint), acting_user=SYSTEM)
    with platform_stand_in(KEY) as platform:
        endpoint.push_url = platform.url
        endpoint.save()
        # A moment of its own (after the assignment; the server's clock slack allows it).
        moment = demand.assigned_at + dt.timedelta(seconds=90)
        demands.demand_start(
            demand=demand, when=moment, late_reason="电话中已开始办理", acting_user=SYSTEM
        )
        pushes_dispatch(now=timezone.now() + dt.timedelta(minutes=1))
    handling = next(r.body for r in platform.received if r.body["event"] == "handling")
    assert dt.datetime.fromisoformat(handling["occurred_at"]) == moment.replace(microsecond=0)


def test_end_to_end_retries_until_the_platform_takes_it(tree, django_capture_on_commit_callbacks):
    """The stand-in refuses the first two pushes (503) and then accepts: the task tries
    once after the commit, the retries follow the backoff, every attempt is recorded,
    and the same signed body with the same event id arrives each time."""
    with platform_stand_in(KEY, fail_first=2) as platform:
        endpoint = make_endpoint(tree.street_a, push_url=platform.url)
        demand = _demand(endpoint)
        start = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            demands.demand_assign(demand=demand, acting_user=SYSTEM)
        push = Push.objects.get()
        assert (push.status, push.attempts) == (PushStatus.PENDING, 1)
        assert push.next_attempt_at >= start + dt.timedelta(minutes=1)

        assert pushes_dispatch(now=start + dt.timedelta(seconds=30)) == {"attempted": 0, "sent": 0}
        assert pushes_dispatch(now=start + dt.timedelta(minutes=2)) == {"attempted": 1, "sent": 0}
        push.refresh_from_db()
        assert push.next_attempt_at >= start + dt.timedelta(minutes=6)
        assert pushes_dispatch(now=start + dt.timedelta(minutes=8)) == {"attempted": 1, "sent": 1}
        assert pushes_dispatch(now=start + dt.timedelta(hours=5)) == {"attempted": 0, "sent": 0}
    push.refresh_from_db()
    assert push.status == PushStatus.SENT and push.attempts == 3
    log = list(PushAttempt.objects.filter(push=push).values_list("number", "status_code", "ok"))
    assert log == [(1, 503, False), (2, 503, False), (3, 200, True)]
    assert [r.answered for r in platform.received] == [503, 503, 200]
    assert len({r.raw for r in platform.received}) == 1
    assert len({r.headers["X-Event-Id"] for r in platform.received}) == 1
    assert all(r.signed for r in platform.received)
    assert len(platform.accepted) == 1


def test_after_the_last_attempt_the_failure_is_the_administrators(
    tree, client, django_capture_on_commit_callbacks
):
    """Five refusals make the push failed: it is on the to-do list and the pushes page
    of the endpoint's administrator (not of another street's); sending it again is
    audited and, once the platform takes it, the push is sent."""
    admin_a = make_user("sys_a", ("system_admin", ScopeKind.SUBTREE, tree.street_a))
    admin_b = make_user("sys_b", ("system_admin", ScopeKind.SUBTREE, tree.street_b))
    with platform_stand_in(KEY, fail_first=MAX_ATTEMPTS) as platform:
        endpoint = make_endpoint(tree.street_a, push_url=platform.url)
        with django_capture_on_commit_callbacks(execute=True):
            demands.demand_assign(demand=_demand(endpoint), acting_user=SYSTEM)
        later = timezone.now()
        for _ in range(MAX_ATTEMPTS + 2):
            later += dt.timedelta(hours=3)
            pushes_dispatch(now=later)
        push = Push.objects.get()
        assert push.status == PushStatus.FAILED and push.attempts == MAX_ATTEMPTS
        assert push.last_error == "HTTP 503" and push.next_attempt_at is None
        assert PushAttempt.objects.count() == MAX_ATTEMPTS

        kind = TODOS["hotline.failed_pushes"]
        assert list(kind.items(admin_a)) == [push]
        assert list(kind.items(admin_b)) == []

        client.force_login(admin_a)
        page = client.get("/hotline/pushes/?status=failed")
        assert page.status_code == 200 and push.order.order_no in page.content.decode()
        client.force_login(admin_b)
        assert client.post(f"/hotline/pushes/{push.pk}/retry/").status_code == 404

        with django_capture_on_commit_callbacks(execute=True):
            push_retry(push=push, acting_user=admin_a)
    push.refresh_from_db()
    assert push.status == PushStatus.SENT
    assert PushAttempt.objects.filter(push=push).count() == MAX_ATTEMPTS + 1
    retried = AuditEvent.objects.get(action="hotline_push.retry")
    assert retried.actor_id == admin_a.pk


def test_an_inactive_endpoint_keeps_its_pushes_waiting(tree):
    from taizhang.hotline.services import hotline_endpoint_update

    endpoint = make_endpoint(tree.street_a)
    demands.demand_assign(demand=_demand(endpoint), acting_user=SYSTEM)
    hotline_endpoint_update(endpoint=endpoint, active=False, acting_user=SYSTEM)
    assert pushes_dispatch(now=timezone.now() + dt.timedelta(days=1))["attempted"] == 0
    assert Push.objects.get().status == PushStatus.PENDING


def test_a_backend_that_defers_gets_the_retry_at_its_time(tree, settings):
    """With the worker's database backend (here its in-memory stand-in, which also defers)
    a failed attempt queues the next one itself, at the backoff's moment."""
    from taizhang.hotline.services import push_attempt
    from taizhang.hotline.standin import dead_url
    from taizhang.hotline.tasks import send_pushes

    endpoint = make_endpoint(tree.street_a, push_url=dead_url())
    demands.demand_assign(demand=_demand(endpoint), acting_user=SYSTEM)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = send_pushes.get_backend()
    push = push_attempt(Push.objects.get())
    assert push.status == PushStatus.PENDING and push.last_error.startswith("unreachable")
    (queued,) = backend.results  # type: ignore[attr-defined]
    assert queued.args == [[push.pk]]
    assert queued.task.run_after == push.next_attempt_at
